import type { GeoJSONSource, Map as MlMap, MapMouseEvent } from 'maplibre-gl';
import { boxOf, polygonOf, type Position } from './geo';

export type SketchMode = 'point' | 'line' | 'polygon' | 'box';

/**
 * Draws points, lines, polygons and boxes by clicking on the map, into the
 * `sketch` GeoJSON source. A line or polygon ends with a double click, Enter
 * or `finish()`; Escape cancels. `onDone` receives the clicked vertices.
 */
export class Sketch {
  private mode: SketchMode | null = null;
  /** The mode of the shape shown, kept after it is finished. */
  private drawn: SketchMode = 'line';
  private vertices: Position[] = [];
  private hover: Position | null = null;
  private readonly keydown = (e: KeyboardEvent) => {
    if (!this.mode) return;
    if (e.key === 'Escape') this.cancel();
    if (e.key === 'Enter') this.finish();
    // Keyboard drawing: pan with the arrow keys, place a vertex at the centre with Space.
    if (e.key === ' ') {
      e.preventDefault();
      const c = this.map.getCenter();
      this.add([round(c.lng), round(c.lat)]);
    }
  };

  constructor(
    private readonly map: MlMap,
    private readonly onDone: (mode: SketchMode, vertices: Position[]) => void,
  ) {
    map.on('click', this.click);
    map.on('dblclick', this.dblclick);
    map.on('mousemove', this.move);
    map.getContainer().addEventListener('keydown', this.keydown);
  }

  get active(): boolean {
    return this.mode !== null;
  }

  start(mode: SketchMode): void {
    this.mode = mode;
    this.drawn = mode;
    this.vertices = [];
    this.hover = null;
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = 'crosshair';
    this.map.getContainer().classList.add('is-sketching');
    this.render();
  }

  cancel(): void {
    this.stop();
    this.clear();
  }

  /** Ends a line or polygon with the vertices placed so far. */
  finish(): void {
    const mode = this.mode;
    if (!mode) return;
    const v = dedupe(this.vertices);
    if ((mode === 'line' && v.length >= 2) || (mode === 'polygon' && v.length >= 3)) {
      this.stop();
      this.vertices = v;
      this.render();
      this.onDone(mode, v);
    }
  }

  /** Shows a finished geometry (e.g. a selection outline) in the sketch layer. */
  show(geometry: GeoJSON.Geometry | null): void {
    this.source()?.setData({ type: 'FeatureCollection', features: geometry ? [{ type: 'Feature', properties: {}, geometry }] : [] });
  }

  clear(): void {
    this.vertices = [];
    this.hover = null;
    this.show(null);
  }

  destroy(): void {
    this.map.off('click', this.click);
    this.map.off('dblclick', this.dblclick);
    this.map.off('mousemove', this.move);
    this.map.getContainer().removeEventListener('keydown', this.keydown);
  }

  private stop() {
    this.mode = null;
    this.hover = null;
    this.map.getCanvas().style.cursor = '';
    this.map.getContainer().classList.remove('is-sketching');
    // Re-enable after this event loop turn, so the finishing double click does not zoom.
    window.setTimeout(() => this.map.doubleClickZoom.enable(), 0);
  }

  private readonly click = (e: MapMouseEvent) => {
    if (!this.mode) return;
    this.add([round(e.lngLat.lng), round(e.lngLat.lat)]);
  };

  private add(p: Position) {
    const mode = this.mode;
    if (!mode) return;
    this.vertices.push(p);
    if (mode === 'point') {
      this.stop();
      this.render();
      this.onDone(mode, [p]);
    } else if (mode === 'box' && this.vertices.length === 2) {
      const v = [...this.vertices];
      this.stop();
      this.render();
      this.onDone(mode, v);
    } else {
      this.render();
    }
  }

  private readonly dblclick = (e: MapMouseEvent) => {
    if (this.mode === 'line' || this.mode === 'polygon') {
      e.preventDefault();
      this.finish();
    }
  };

  private readonly move = (e: MapMouseEvent) => {
    if (!this.mode || !this.vertices.length) return;
    this.hover = [e.lngLat.lng, e.lngLat.lat];
    this.render();
  };

  private source(): GeoJSONSource | undefined {
    return this.map.getSource('sketch') as GeoJSONSource | undefined;
  }

  private render() {
    const v = this.hover && this.mode ? [...this.vertices, this.hover] : this.vertices;
    const features: GeoJSON.Feature[] = this.vertices.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } }));
    const mode = this.drawn;
    if (mode === 'box' && v.length === 2) features.push({ type: 'Feature', properties: {}, geometry: boxOf(v[0], v[1]) });
    else if (mode === 'polygon' && v.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: polygonOf(v) });
    else if (v.length >= 2 && mode !== 'point') features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: v } });
    this.source()?.setData({ type: 'FeatureCollection', features });
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Drops consecutive repeats (a double click places the last vertex twice). */
export function dedupe(v: Position[]): Position[] {
  const out: Position[] = [];
  for (const p of v) {
    const last = out[out.length - 1];
    if (!last || Math.abs(last[0] - p[0]) > 1e-9 || Math.abs(last[1] - p[1]) > 1e-9) out.push(p);
  }
  return out;
}
