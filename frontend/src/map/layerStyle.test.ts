import { parseLayerStyle, userLayerIds, userLayerOf, userLayerSpecs, layerSwatch } from './layerStyle';

describe('uploaded layer style → MapLibre layers', () => {
  it('draws one fill, line and circle layer from the layer tiles, filtered by $type', () => {
    const specs = userLayerSpecs('12', { color: '#112233', fillColor: '#445566', fillOpacity: 0.4, opacity: 0.7, lineWidth: 3, pointRadius: 8 });
    expect(specs.map((s) => [s.id, s.type, s.source, s['source-layer']])).toEqual([
      ['layer-12-fill', 'fill', 'layer-12', 'layer-12'],
      ['layer-12-line', 'line', 'layer-12', 'layer-12'],
      ['layer-12-circle', 'circle', 'layer-12', 'layer-12'],
    ]);
    const [fill, line, circle] = specs;
    expect(fill.filter).toEqual(['==', '$type', 'Polygon']);
    expect(line.filter).toEqual(['in', '$type', 'LineString', 'Polygon']);
    expect(circle.filter).toEqual(['==', '$type', 'Point']);
    expect(fill.paint).toEqual({ 'fill-color': '#445566', 'fill-opacity': 0.4 });
    expect(line.paint).toMatchObject({ 'line-color': '#112233', 'line-width': 3, 'line-opacity': 0.7 });
    expect(circle.paint).toMatchObject({ 'circle-color': '#445566', 'circle-radius': 8, 'circle-opacity': 0.7, 'circle-stroke-color': '#112233' });
    expect(specs.every((s) => s.layout?.visibility === 'visible')).toBe(true);
    expect(specs.map((s) => s.id)).toEqual(userLayerIds('12'));
  });

  it('falls back to the defaults and can start hidden', () => {
    const [fill, line, circle] = userLayerSpecs('3', {}, false);
    expect(fill.paint).toEqual({ 'fill-color': '#7c3aed', 'fill-opacity': 0.25 });
    expect(line.paint).toMatchObject({ 'line-color': '#7c3aed', 'line-width': 2, 'line-opacity': 0.9 });
    expect(circle.paint).toMatchObject({ 'circle-color': '#7c3aed', 'circle-radius': 5, 'circle-stroke-color': '#ffffff' });
    expect([fill, line, circle].every((s) => s.layout?.visibility === 'none')).toBe(true);
  });

  it('uses the stroke colour for fills when the style has no fill colour', () => {
    const [fill, , circle] = userLayerSpecs('1', { color: '#b45309', fillOpacity: 0 });
    expect(fill.paint).toEqual({ 'fill-color': '#b45309', 'fill-opacity': 0 });
    expect(circle.paint).toMatchObject({ 'circle-color': '#b45309' });
  });

  it('reads the server style JSON, dropping unusable values and clamping', () => {
    expect(parseLayerStyle({ color: '#2563eb', fillColor: '', fillOpacity: 1.5, opacity: '0.5', lineWidth: 'wide', pointRadius: 6, icon: null })).toEqual({
      color: '#2563eb',
      fillOpacity: 1,
      opacity: 0.5,
      pointRadius: 6,
    });
    expect(parseLayerStyle(null)).toEqual({});
    expect(layerSwatch({ color: '#111111' })).toBe('#111111');
    expect(layerSwatch({ color: '#111111', fillColor: '#222222' })).toBe('#222222');
  });

  it('tells which uploaded layer a map layer draws', () => {
    expect(userLayerOf('layer-42-circle')).toBe('42');
    expect(userLayerOf('layer-7-fill')).toBe('7');
    expect(userLayerOf('deposits-circle')).toBeNull();
  });
});
