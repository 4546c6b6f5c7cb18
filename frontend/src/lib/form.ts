// Turning form strings into GraphQL inputs, the same way for every entity.
export type FieldKind = 'text' | 'textarea' | 'number' | 'date' | 'select' | 'multiselect' | 'geometry' | 'json' | 'password' | 'color';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  required?: boolean;
}

export type FormValues = Record<string, string | string[]>;

export interface Converted {
  input: Record<string, unknown>;
  /** Problems found before sending (unparsable JSON or numbers), by field. */
  errors: Record<string, string>;
}

function convert(spec: FieldSpec, raw: string | string[]): { value: unknown; error?: string } {
  if (spec.kind === 'multiselect') return { value: Array.isArray(raw) ? raw : [] };
  const s = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (s === '') return { value: null };
  switch (spec.kind) {
    case 'number': {
      const n = Number(s.replace(',', '.'));
      return Number.isFinite(n) ? { value: n } : { value: null, error: 'number' };
    }
    case 'geometry':
    case 'json':
      try {
        return { value: JSON.parse(s) };
      } catch {
        return { value: null, error: 'json' };
      }
    default:
      return { value: s };
  }
}

/**
 * A create input: every filled field. Empty optional fields are left out;
 * empty required ones are sent as they are so that the server names them.
 */
export function toCreateInput(specs: FieldSpec[], values: FormValues): Converted {
  const out: Converted = { input: {}, errors: {} };
  for (const spec of specs) {
    const { value, error } = convert(spec, values[spec.name] ?? '');
    if (error) out.errors[spec.name] = error;
    else if (value !== null) out.input[spec.name] = value;
    else if (spec.required) out.input[spec.name] = spec.kind === 'geometry' ? null : '';
  }
  return out;
}

/** A patch input: only the fields that changed; an emptied optional field is sent as null (cleared). */
export function toPatchInput(specs: FieldSpec[], values: FormValues, initial: FormValues): Converted {
  const out: Converted = { input: {}, errors: {} };
  for (const spec of specs) {
    const now = values[spec.name] ?? '';
    const before = initial[spec.name] ?? '';
    if (JSON.stringify(now) === JSON.stringify(before)) continue;
    const { value, error } = convert(spec, now);
    if (error) out.errors[spec.name] = error;
    else out.input[spec.name] = value;
  }
  return out;
}

/** Form strings from a record's values. */
export function toFormValue(v: unknown, kind: FieldKind): string | string[] {
  if (kind === 'multiselect') return Array.isArray(v) ? v.map(String) : [];
  if (v === null || v === undefined) return '';
  if (kind === 'geometry' || kind === 'json') return JSON.stringify(v, null, kind === 'json' ? 2 : undefined);
  return String(v);
}
