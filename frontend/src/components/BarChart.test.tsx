import { render } from '@testing-library/react';
import { BarChart } from './BarChart';
import { tally } from '../pages/HomePage';

describe('dashboard charts', () => {
  it('counts deposits by commodity and status', () => {
    const { byCommodity, byStatus } = tally([
      { status: 'ACTIVE', commodity: { code: 'MN' } },
      { status: 'ACTIVE', commodity: { code: 'MN' } },
      { status: 'CLOSED', commodity: { code: 'U' } },
    ]);
    expect(Object.fromEntries(byCommodity)).toEqual({ MN: 2, U: 1 });
    expect(Object.fromEntries(byStatus)).toEqual({ ACTIVE: 2, CLOSED: 1 });
  });

  it('draws one bar per value, the longest for the largest', () => {
    const { container } = render(
      <BarChart
        title="Gisements par substance"
        format={String}
        bars={[
          { key: 'MN', label: 'Manganèse', value: 7, color: '#000' },
          { key: 'U', label: 'Uranium', value: 3 },
        ]}
      />,
    );
    const rects = [...container.querySelectorAll('rect')].map((r) => Number(r.getAttribute('width')));
    expect(rects).toHaveLength(2);
    expect(rects[0]).toBeGreaterThan(rects[1]);
    expect(container.querySelector('[data-bar="MN"]')?.getAttribute('data-value')).toBe('7');
  });
});
