import { toCreateInput, toPatchInput, toFormValue, type FieldSpec } from './form';
import { formFieldOf, toFormErrors } from '../graphql/errors';

const specs: FieldSpec[] = [
  { name: 'name', kind: 'text', required: true },
  { name: 'grade', kind: 'number' },
  { name: 'geometry', kind: 'geometry', required: true },
  { name: 'province', kind: 'text' },
  { name: 'codes', kind: 'multiselect' },
];

describe('form conversion', () => {
  it('builds a create input, leaving empty optional fields out', () => {
    const r = toCreateInput(specs, { name: ' Bélinga ', grade: '61,5', geometry: '{"type":"Point","coordinates":[13.2,0.9]}', province: '', codes: ['FE'] });
    expect(r.errors).toEqual({});
    expect(r.input).toEqual({ name: 'Bélinga', grade: 61.5, geometry: { type: 'Point', coordinates: [13.2, 0.9] }, codes: ['FE'] });
  });

  it('reports unparsable GeoJSON on its field without sending', () => {
    const r = toCreateInput(specs, { name: 'x', geometry: '{"type": "Point",' });
    expect(r.errors).toEqual({ geometry: 'json' });
  });

  it('patches only what changed, clearing an emptied optional field', () => {
    const initial = { name: 'A', grade: '1', geometry: '{}', province: 'Haut-Ogooué', codes: ['MN'] };
    const r = toPatchInput(specs, { ...initial, name: 'B', province: '' }, initial);
    expect(r.input).toEqual({ name: 'B', province: null });
  });

  it('renders record values as form strings', () => {
    expect(toFormValue(null, 'text')).toBe('');
    expect(toFormValue(12.5, 'number')).toBe('12.5');
    expect(toFormValue({ type: 'Point', coordinates: [1, 2] }, 'geometry')).toBe('{"type":"Point","coordinates":[1,2]}');
  });
});

describe('server errors on form fields', () => {
  it('maps a field path to the form field', () => {
    expect(formFieldOf('input.geometry.coordinates[0]')).toBe('geometry');
    expect(formFieldOf('input.commodityCode')).toBe('commodityCode');
    expect(formFieldOf('currentPassword')).toBe('currentPassword');
    expect(formFieldOf(undefined)).toBeUndefined();
  });

  it('puts BAD_USER_INPUT on the named field and the rest in general', () => {
    const r = toFormErrors(
      [
        { message: 'input.geometry.coordinates[0]: the ring is not closed', code: 'BAD_USER_INPUT', field: 'input.geometry.coordinates[0]' },
        { message: 'a partner account is read-only', code: 'FORBIDDEN' },
      ],
      ['name', 'geometry'],
    );
    expect(r.fields).toEqual({ geometry: 'input.geometry.coordinates[0]: the ring is not closed' });
    expect(r.general).toHaveLength(1);
  });
});
