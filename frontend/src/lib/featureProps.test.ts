import { fromFieldText, parseProperties, propertiesFromFields, readRasterInfo, toFieldText } from './featureProps';

describe('feature property editing', () => {
  const attributes = [
    { name: 'nom', type: 'STRING' },
    { name: 'profondeur', type: 'INTEGER' },
    { name: 'teneur', type: 'FLOAT' },
    { name: 'actif', type: 'BOOLEAN' },
  ];

  it('types each field by its attribute', () => {
    expect(fromFieldText('12', 'INTEGER')).toEqual({ value: 12 });
    expect(fromFieldText('12.5', 'INTEGER')).toEqual({ problem: 'integer' });
    expect(fromFieldText('41,5', 'FLOAT')).toEqual({ value: 41.5 });
    expect(fromFieldText('abc', 'FLOAT')).toEqual({ problem: 'number' });
    expect(fromFieldText('true', 'BOOLEAN')).toEqual({ value: true });
    expect(fromFieldText('', 'STRING')).toEqual({ value: null });
    expect(fromFieldText(' Puits ', 'STRING')).toEqual({ value: ' Puits ' });
  });

  it('keeps other properties and untouched values', () => {
    const original = { nom: 'Puits A', profondeur: 12, teneur: null, actif: true, folder: 'x' };
    const texts = Object.fromEntries(attributes.map((a) => [a.name, toFieldText(original[a.name as keyof typeof original])]));
    expect(propertiesFromFields(original, attributes, { ...texts, profondeur: '30', nom: 'Puits Z' })).toEqual({
      properties: { nom: 'Puits Z', profondeur: 30, teneur: null, actif: true, folder: 'x' },
    });
    expect(propertiesFromFields(original, attributes, { ...texts, teneur: 'beaucoup' })).toEqual({ problems: { teneur: 'number' } });
  });

  it('accepts only a JSON object', () => {
    expect(parseProperties('{"a": 1}')).toEqual({ properties: { a: 1 } });
    expect(parseProperties('[1]')).toEqual({ error: 'object' });
    expect('error' in parseProperties('{a')).toBe(true);
  });

  it('reads a GeoTIFF layer raster description', () => {
    expect(readRasterInfo({ width: 10, height: 20, bands: 3, data_type: 'Byte', nodata: 0, crs: 'EPSG:32632', pixel_size_x: 30, pixel_size_y: -30 })).toEqual({
      width: 10,
      height: 20,
      bands: 3,
      dataType: 'Byte',
      nodata: 0,
      crs: 'EPSG:32632',
      pixelSizeX: 30,
      pixelSizeY: -30,
    });
    expect(readRasterInfo(null)).toBeNull();
  });
});
