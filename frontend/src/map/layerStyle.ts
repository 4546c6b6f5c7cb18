// The MapLibre layers of an uploaded ODG layer, from its `Layer.style`.
// Pure (type imports only), so it is unit-tested without a map.
import type { CircleLayerSpecification, FillLayerSpecification, LineLayerSpecification } from 'maplibre-gl';

/** The style of an uploaded layer (`Layer.style`), as the server stores it. */
export interface LayerStyle {
  color?: string;
  fillColor?: string;
  fillOpacity?: number;
  opacity?: number;
  lineWidth?: number;
  pointRadius?: number;
}

export const DEFAULT_LAYER_COLOR = '#7c3aed';

/** The map source id of an uploaded layer; its tiles hold one MVT layer of the same name. */
export const userLayerSource = (id: string) => `layer-${id}`;

/** The map layer ids drawn for an uploaded layer (fill under line under circle). */
export function userLayerIds(id: string): string[] {
  const s = userLayerSource(id);
  return [`${s}-fill`, `${s}-line`, `${s}-circle`];
}

/** The uploaded layer a map layer id belongs to (`layer-12-circle` → `12`), else null. */
export function userLayerOf(mapLayerId: string): string | null {
  const m = /^layer-(.+)-(fill|line|circle)$/.exec(mapLayerId);
  return m ? m[1] : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
function num(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'string' && v.trim() ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : undefined;
}

/** The style as the server sent it (JSON of any shape), with unusable values dropped. */
export function parseLayerStyle(raw: unknown): LayerStyle {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const s: LayerStyle = {};
  const color = str(o.color);
  const fillColor = str(o.fillColor);
  const fillOpacity = num(o.fillOpacity, 0, 1);
  const opacity = num(o.opacity, 0, 1);
  const lineWidth = num(o.lineWidth, 0, 50);
  const pointRadius = num(o.pointRadius, 0, 100);
  if (color) s.color = color;
  if (fillColor) s.fillColor = fillColor;
  if (fillOpacity !== undefined) s.fillOpacity = fillOpacity;
  if (opacity !== undefined) s.opacity = opacity;
  if (lineWidth !== undefined) s.lineWidth = lineWidth;
  if (pointRadius !== undefined) s.pointRadius = pointRadius;
  return s;
}

/** The colour shown for a layer in the layer list and the legend. */
export function layerSwatch(style: LayerStyle): string {
  return style.fillColor || style.color || DEFAULT_LAYER_COLOR;
}

export type UserLayerSpec = FillLayerSpecification | LineLayerSpecification | CircleLayerSpecification;

/**
 * Three layers per uploaded layer, each filtered by geometry type (`$type`):
 * polygons filled (`fillColor`, `fillOpacity`), lines and polygon outlines
 * stroked (`color`, `lineWidth`, `opacity`), points as circles (`fillColor`,
 * `pointRadius`, `opacity`, outlined with `color`).
 */
export function userLayerSpecs(id: string, style: LayerStyle, visible = true): UserLayerSpec[] {
  const source = userLayerSource(id);
  const [fillId, lineId, circleId] = userLayerIds(id);
  const color = style.color || DEFAULT_LAYER_COLOR;
  const fill = style.fillColor || color;
  const opacity = style.opacity ?? 0.9;
  const layout = { visibility: visible ? ('visible' as const) : ('none' as const) };
  return [
    {
      id: fillId,
      type: 'fill',
      source,
      'source-layer': source,
      filter: ['==', '$type', 'Polygon'],
      layout,
      paint: { 'fill-color': fill, 'fill-opacity': style.fillOpacity ?? 0.25 },
    },
    {
      id: lineId,
      type: 'line',
      source,
      'source-layer': source,
      filter: ['in', '$type', 'LineString', 'Polygon'],
      layout: { ...layout, 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': color, 'line-width': style.lineWidth ?? 2, 'line-opacity': opacity },
    },
    {
      id: circleId,
      type: 'circle',
      source,
      'source-layer': source,
      filter: ['==', '$type', 'Point'],
      layout,
      paint: {
        'circle-color': fill,
        'circle-radius': style.pointRadius ?? 5,
        'circle-opacity': opacity,
        'circle-stroke-color': color === fill ? '#ffffff' : color,
        'circle-stroke-width': 1.5,
        'circle-stroke-opacity': opacity,
      },
    },
  ];
}
