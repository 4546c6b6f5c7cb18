import { Map as MlMap, NavigationControl, ScaleControl, setWorkerUrl, type ErrorEvent, type StyleSpecification, type LayerSpecification } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { getSession } from '../auth/session';
import { DEPOSIT_STATUS_COLORS, INFRA_KIND_COLORS, PERMIT_STATUS_COLORS } from './colors';
import { userLayerIds, userLayerSource, userLayerSpecs, type LayerStyle } from './layerStyle';

export { DEPOSIT_STATUS_COLORS, INFRA_KIND_COLORS, PERMIT_STATUS_COLORS };

// The worker is served by ODG itself (same origin), never from a blob URL
// or a CDN, so a strict Content-Security-Policy (`worker-src 'self'`) holds.
setWorkerUrl(workerUrl);

export type Basemap = 'osm' | 'none';
const BASEMAP_KEY = 'odg.basemap';
/** Raster basemap; set VITE_BASEMAP_URL at build time for another tile server. */
export const BASEMAP_URL: string = import.meta.env.VITE_BASEMAP_URL || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
export const BASEMAP_ATTRIBUTION = '© OpenStreetMap contributors';

export function savedBasemap(): Basemap {
  try {
    return localStorage.getItem(BASEMAP_KEY) === 'none' ? 'none' : 'osm';
  } catch {
    return 'osm';
  }
}
export function saveBasemap(b: Basemap): void {
  try {
    localStorage.setItem(BASEMAP_KEY, b);
  } catch {
    /* not persisted */
  }
}

/** Gabon, where the demo data lies. */
export const GABON_BOUNDS: [number, number, number, number] = [8.5, -4.1, 14.6, 2.4];

/** Style with a plain background (always drawn) and the raster basemap above it. */
export function baseStyle(basemap: Basemap): StyleSpecification {
  return {
    version: 8,
    sources: {
      osm: { type: 'raster', tiles: [BASEMAP_URL], tileSize: 256, maxzoom: 19, attribution: BASEMAP_ATTRIBUTION },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#e8eef0' } },
      { id: 'osm', type: 'raster', source: 'osm', layout: { visibility: basemap === 'osm' ? 'visible' : 'none' } },
    ],
  };
}

export function tileJsonUrl(source: string): string {
  return new URL(`/tiles/${source}.json`, window.location.origin).href;
}

/** Sends the access token with every ODG tile request (TileJSON and MVT). */
export function transformRequest(url: string) {
  const s = getSession();
  if (s && url.startsWith(`${window.location.origin}/tiles/`)) {
    return { url, headers: { Authorization: `Bearer ${s.accessToken}` } };
  }
  return { url };
}

export interface CreateMapOptions {
  container: HTMLElement;
  basemap: Basemap;
  /** Called once when the basemap fails to load (unreachable server, offline). */
  onBasemapDown?: () => void;
  bounds?: [number, number, number, number];
}

/**
 * A map that keeps working without its basemap: tile errors of the raster
 * source hide that layer (the plain background stays), and every map error
 * is handled here so none reaches the console as an uncaught error.
 */
export function createMap(opts: CreateMapOptions): MlMap {
  const map = new MlMap({
    container: opts.container,
    style: baseStyle(opts.basemap),
    bounds: opts.bounds ?? GABON_BOUNDS,
    transformRequest,
    attributionControl: { compact: true },
    fadeDuration: 0,
  });
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  let basemapDown = false;
  map.on('error', (e: ErrorEvent) => {
    const sourceId = (e as unknown as { sourceId?: string }).sourceId;
    if (sourceId === 'osm') {
      if (!basemapDown) {
        basemapDown = true;
        if (map.getLayer('osm')) map.setLayoutProperty('osm', 'visibility', 'none');
        opts.onBasemapDown?.();
      }
      return;
    }
    // Other errors (a tile the server refused, a lost connection) leave the map usable.
    console.warn('map:', e.error?.message ?? e);
  });
  return map;
}

function match(prop: string, colors: Record<string, string>, fallback: string): unknown {
  return ['match', ['get', prop], ...Object.entries(colors).flat(), fallback];
}

export type DomainGroup = 'deposits' | 'areas' | 'infrastructure';

/** The map layers of each toggle of the layer list. */
export const GROUP_LAYERS: Record<DomainGroup, string[]> = {
  areas: ['areas-fill', 'areas-line'],
  infrastructure: ['infra-line', 'infra-point'],
  deposits: ['deposits-fill', 'deposits-outline', 'deposits-circle'],
};
export const INTERACTIVE_LAYERS = ['deposits-circle', 'deposits-fill', 'infra-point', 'infra-line', 'areas-fill'];

/** Adds ODG's three domain tile sources (from their TileJSON) and their styled layers. */
export function addDomainLayers(map: MlMap, visible: Record<DomainGroup, boolean>): void {
  const vis = (g: DomainGroup) => (visible[g] ? 'visible' : 'none') as 'visible' | 'none';
  map.addSource('exploitation-areas', { type: 'vector', url: tileJsonUrl('exploitation-areas') });
  map.addSource('infrastructure', { type: 'vector', url: tileJsonUrl('infrastructure') });
  map.addSource('deposits', { type: 'vector', url: tileJsonUrl('deposits') });
  const layers: LayerSpecification[] = [
    {
      id: 'areas-fill',
      type: 'fill',
      source: 'exploitation-areas',
      'source-layer': 'exploitation-areas',
      layout: { visibility: vis('areas') },
      paint: { 'fill-color': match('status', PERMIT_STATUS_COLORS, '#607d8b') as never, 'fill-opacity': 0.25 },
    },
    {
      id: 'areas-line',
      type: 'line',
      source: 'exploitation-areas',
      'source-layer': 'exploitation-areas',
      layout: { visibility: vis('areas') },
      paint: { 'line-color': match('status', PERMIT_STATUS_COLORS, '#607d8b') as never, 'line-width': 1.5 },
    },
    {
      id: 'infra-line',
      type: 'line',
      source: 'infrastructure',
      'source-layer': 'infrastructure',
      filter: ['!=', ['geometry-type'], 'Point'],
      layout: { visibility: vis('infrastructure'), 'line-cap': 'round' },
      paint: {
        'line-color': match('kind', INFRA_KIND_COLORS, '#546e7a') as never,
        'line-width': ['interpolate', ['linear'], ['zoom'], 5, 1.5, 10, 3.5],
        'line-opacity': ['match', ['get', 'status'], 'DECOMMISSIONED', 0.45, 1],
      },
    },
    {
      id: 'infra-point',
      type: 'circle',
      source: 'infrastructure',
      'source-layer': 'infrastructure',
      filter: ['==', ['geometry-type'], 'Point'],
      layout: { visibility: vis('infrastructure') },
      paint: {
        'circle-color': match('kind', INFRA_KIND_COLORS, '#546e7a') as never,
        'circle-radius': 6,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      },
    },
    {
      id: 'deposits-fill',
      type: 'fill',
      source: 'deposits',
      'source-layer': 'deposits',
      filter: ['==', ['geometry-type'], 'Polygon'],
      layout: { visibility: vis('deposits') },
      paint: { 'fill-color': ['coalesce', ['get', 'color'], '#795548'], 'fill-opacity': 0.45 },
    },
    {
      id: 'deposits-outline',
      type: 'line',
      source: 'deposits',
      'source-layer': 'deposits',
      filter: ['==', ['geometry-type'], 'Polygon'],
      layout: { visibility: vis('deposits') },
      paint: { 'line-color': match('status', DEPOSIT_STATUS_COLORS, '#424242') as never, 'line-width': 2 },
    },
    {
      id: 'deposits-circle',
      type: 'circle',
      source: 'deposits',
      'source-layer': 'deposits',
      filter: ['==', ['geometry-type'], 'Point'],
      layout: { visibility: vis('deposits') },
      paint: {
        'circle-color': ['coalesce', ['get', 'color'], '#795548'],
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 5, 5, 12, 9],
        'circle-stroke-color': match('status', DEPOSIT_STATUS_COLORS, '#424242') as never,
        'circle-stroke-width': 2.5,
        'circle-opacity': ['match', ['get', 'status'], 'CLOSED', 0.5, 0.95],
      },
    },
  ];
  for (const l of layers) map.addLayer(l);
}

export function setGroupVisible(map: MlMap, group: DomainGroup, visible: boolean): void {
  for (const id of GROUP_LAYERS[group]) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
}

/** GeoJSON sources for the selection highlight and the sketch being drawn. */
export function addOverlayLayers(map: MlMap): void {
  const empty = { type: 'FeatureCollection' as const, features: [] };
  map.addSource('selection', { type: 'geojson', data: empty });
  map.addSource('sketch', { type: 'geojson', data: empty });
  map.addLayer({ id: 'selection-fill', type: 'fill', source: 'selection', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#00bcd4', 'fill-opacity': 0.3 } });
  map.addLayer({ id: 'selection-line', type: 'line', source: 'selection', paint: { 'line-color': '#00838f', 'line-width': 3 } });
  map.addLayer({
    id: 'selection-point',
    type: 'circle',
    source: 'selection',
    filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#00bcd4', 'circle-stroke-width': 3 },
  });
  map.addLayer({ id: 'sketch-fill', type: 'fill', source: 'sketch', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ffeb3b', 'fill-opacity': 0.2 } });
  map.addLayer({ id: 'sketch-line', type: 'line', source: 'sketch', paint: { 'line-color': '#e65100', 'line-width': 2, 'line-dasharray': [2, 1] } });
  map.addLayer({
    id: 'sketch-point',
    type: 'circle',
    source: 'sketch',
    filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#e65100', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
}

export type { LayerStyle } from './layerStyle';

/**
 * Adds an uploaded layer as a vector tile source (its TileJSON,
 * `/tiles/layer-<id>.json`, fetched with the token header by
 * `transformRequest`) and its fill, line and circle layers, under the
 * selection and sketch overlays.
 */
export function addUserLayer(map: MlMap, id: string, style: LayerStyle, visible = true): void {
  const source = userLayerSource(id);
  if (!map.getSource(source)) map.addSource(source, { type: 'vector', url: tileJsonUrl(source) });
  const before = map.getLayer('selection-fill') ? 'selection-fill' : undefined;
  for (const spec of userLayerSpecs(id, style, visible)) if (!map.getLayer(spec.id)) map.addLayer(spec, before);
}

/** Applies a changed style to the layers of an uploaded layer already on the map. */
export function restyleUserLayer(map: MlMap, id: string, style: LayerStyle): void {
  for (const spec of userLayerSpecs(id, style)) {
    if (!map.getLayer(spec.id)) continue;
    for (const [k, v] of Object.entries(spec.paint ?? {})) {
      const key = k as Parameters<MlMap['getPaintProperty']>[1];
      if (JSON.stringify(map.getPaintProperty(spec.id, key)) !== JSON.stringify(v)) map.setPaintProperty(spec.id, key, v);
    }
  }
}

export function setUserLayerVisible(map: MlMap, id: string, visible: boolean): void {
  for (const l of [...userLayerIds(id), rasterLayerId(id)]) {
    if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', visible ? 'visible' : 'none');
  }
}

/** The source and map layer of a GeoTIFF layer's raster tiles. */
export function rasterLayerId(id: string): string {
  return `raster-${id}`;
}

/**
 * Draws a GeoTIFF layer from its raster tiles (`/tiles/raster/<id>.json`,
 * PNG, token sent by `transformRequest`), under the selection overlays.
 */
export function addRasterLayer(map: MlMap, id: string, style: LayerStyle, visible = true): void {
  const source = rasterLayerId(id);
  if (!map.getSource(source)) map.addSource(source, { type: 'raster', url: tileJsonUrl(`raster/${id}`), tileSize: 256 });
  const before = map.getLayer('selection-fill') ? 'selection-fill' : undefined;
  if (!map.getLayer(source)) {
    map.addLayer(
      {
        id: source,
        type: 'raster',
        source,
        layout: { visibility: visible ? 'visible' : 'none' },
        paint: { 'raster-opacity': style.opacity ?? 0.85 },
      },
      before,
    );
  }
}

/** Layer ids drawn for a GeoJSON source added by `addGeoJsonLayer`. */
export function geoJsonLayerIds(id: string): string[] {
  return [`${id}-fill`, `${id}-line`, `${id}-circle`];
}

/** Adds a GeoJSON source and its fill, line and circle layers, styled like an ODG layer. */
export function addGeoJsonLayer(map: MlMap, id: string, data: GeoJSON.FeatureCollection, style: LayerStyle, visible = true): void {
  const color = style.color || '#7c3aed';
  const fill = style.fillColor || color;
  const visibility = visible ? 'visible' : 'none';
  map.addSource(id, { type: 'geojson', data });
  const before = map.getLayer('selection-fill') ? 'selection-fill' : undefined;
  map.addLayer(
    {
      id: `${id}-fill`,
      type: 'fill',
      source: id,
      filter: ['==', ['geometry-type'], 'Polygon'],
      layout: { visibility },
      paint: { 'fill-color': fill, 'fill-opacity': style.fillOpacity ?? 0.25 },
    },
    before,
  );
  map.addLayer(
    {
      id: `${id}-line`,
      type: 'line',
      source: id,
      filter: ['!=', ['geometry-type'], 'Point'],
      layout: { visibility },
      paint: { 'line-color': color, 'line-width': style.lineWidth ?? 2, 'line-opacity': style.opacity ?? 0.9 },
    },
    before,
  );
  map.addLayer(
    {
      id: `${id}-circle`,
      type: 'circle',
      source: id,
      filter: ['==', ['geometry-type'], 'Point'],
      layout: { visibility },
      paint: { 'circle-color': fill, 'circle-radius': style.pointRadius ?? 5, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5, 'circle-opacity': style.opacity ?? 0.9 },
    },
    before,
  );
}
