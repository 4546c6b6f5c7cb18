import { dedupe } from './sketch';

describe('sketch', () => {
  it('drops the vertex a finishing double click places twice', () => {
    expect(
      dedupe([
        [1, 1],
        [2, 2],
        [2, 2],
        [3, 3],
        [3, 3],
      ]),
    ).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });
});
