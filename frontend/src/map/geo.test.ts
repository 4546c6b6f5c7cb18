import { bboxOf, boxOf, circleOf, distanceM, pathLengthM, polygonOf, ringAreaM2 } from './geo';

describe('map measures', () => {
  it('measures Libreville to Franceville as about 505 km', () => {
    const d = distanceM([9.45, 0.39], [13.58, -1.63]);
    expect(d / 1000).toBeGreaterThan(500);
    expect(d / 1000).toBeLessThan(515);
  });

  it('adds the legs of a path', () => {
    const a: [number, number] = [13, -1];
    const b: [number, number] = [13.1, -1];
    const c: [number, number] = [13.1, -1.1];
    expect(pathLengthM([a, b, c])).toBeCloseTo(distanceM(a, b) + distanceM(b, c), 6);
  });

  it('gives a 0.1° square at the equator about 123.6 km²', () => {
    const area = ringAreaM2(boxOf([13, 0], [13.1, 0.1]).coordinates[0]) / 1e6;
    expect(area).toBeGreaterThan(122.5);
    expect(area).toBeLessThan(124.5);
  });

  it('closes a drawn polygon', () => {
    const p = polygonOf([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(p.coordinates[0]).toHaveLength(4);
    expect(p.coordinates[0][3]).toEqual([0, 0]);
  });

  it('draws a circle whose vertices lie at the radius', () => {
    const c = circleOf([13.2, -1.566], 10_000, 32);
    expect(c.coordinates[0][0]).toEqual(c.coordinates[0][32]);
    for (const p of c.coordinates[0]) expect(distanceM([13.2, -1.566], p)).toBeCloseTo(10_000, -1);
  });

  it('finds the bounding box of a feature collection', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Point', coordinates: [10, -1] } },
        { type: 'Feature', geometry: { type: 'LineString', coordinates: [[11, 0], [12, 2]] } },
      ],
    };
    expect(bboxOf(fc)).toEqual([10, -1, 12, 2]);
    expect(bboxOf({ type: 'Point', coordinates: [] })).toBeNull();
  });
});
