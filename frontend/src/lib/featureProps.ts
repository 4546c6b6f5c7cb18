// Editing the properties of a layer feature: per field (typed by the
// layer's attribute schema) or as a whole JSON object.

export type AttributeKind = 'STRING' | 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'DATE';

export interface AttributeDef {
  name: string;
  type: AttributeKind | string;
}

export type FieldProblem = 'number' | 'integer' | 'boolean';

/** The text shown in a field for a property value (null and absent are empty). */
export function toFieldText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A field's text as a value of the attribute's type; empty text is null. */
export function fromFieldText(text: string, type: string): { value: unknown } | { problem: FieldProblem } {
  const s = text.trim();
  if (!s) return { value: null };
  switch (type) {
    case 'INTEGER': {
      const n = Number(s.replace(',', '.'));
      return Number.isInteger(n) ? { value: n } : { problem: 'integer' };
    }
    case 'FLOAT': {
      const n = Number(s.replace(',', '.'));
      return Number.isFinite(n) ? { value: n } : { problem: 'number' };
    }
    case 'BOOLEAN':
      if (s === 'true') return { value: true };
      if (s === 'false') return { value: false };
      return { problem: 'boolean' };
    default:
      return { value: text };
  }
}

/**
 * The new properties of a feature from its edited fields. Properties that are
 * not attributes of the layer are kept as they were (the mutation replaces all).
 */
export function propertiesFromFields(
  original: Record<string, unknown>,
  attributes: AttributeDef[],
  texts: Record<string, string>,
): { properties: Record<string, unknown> } | { problems: Record<string, FieldProblem> } {
  const properties: Record<string, unknown> = { ...original };
  const problems: Record<string, FieldProblem> = {};
  for (const a of attributes) {
    const text = texts[a.name] ?? '';
    // An untouched field keeps the original value exactly (e.g. an object, or a number kept as text).
    if (text === toFieldText(original[a.name])) continue;
    const r = fromFieldText(text, a.type);
    if ('problem' in r) problems[a.name] = r.problem;
    else properties[a.name] = r.value;
  }
  return Object.keys(problems).length ? { problems } : { properties };
}

/** Properties typed as a JSON object. */
export function parseProperties(json: string): { properties: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'object' };
  return { properties: v as Record<string, unknown> };
}

/** The raster description of a GeoTIFF layer (`Layer.rasterInfo`), read defensively. */
export interface RasterInfo {
  width?: number;
  height?: number;
  bands?: number;
  dataType?: string;
  nodata?: number | string | null;
  crs?: string;
  pixelSizeX?: number;
  pixelSizeY?: number;
}

export function readRasterInfo(raw: unknown): RasterInfo | null {
  if (!raw || typeof raw !== 'object') return null;
  const o = raw as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    width: n(o.width),
    height: n(o.height),
    bands: n(o.bands),
    dataType: s(o.data_type) ?? s(o.dataType),
    nodata: o.nodata === undefined ? null : (o.nodata as number | string | null),
    crs: s(o.crs),
    pixelSizeX: n(o.pixel_size_x),
    pixelSizeY: n(o.pixel_size_y),
  };
}
