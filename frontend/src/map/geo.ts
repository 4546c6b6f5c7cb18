// Measures for the map tools, on a sphere of the WGS84 mean radius: close
// enough (≤ 0.5 %) for measuring on screen. Stored measures (areaKm2,
// lengthKm, distanceM) always come from the server's geodesic maths.
export type Position = [number, number];

export interface PointGeom {
  type: 'Point';
  coordinates: Position;
}
export interface LineGeom {
  type: 'LineString';
  coordinates: Position[];
}
export interface PolygonGeom {
  type: 'Polygon';
  coordinates: Position[][];
}
export type SimpleGeometry = PointGeom | LineGeom | PolygonGeom;

const R = 6_371_008.8; // mean Earth radius, metres
const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** Great-circle distance in metres between two lon/lat positions. */
export function distanceM(a: Position, b: Position): number {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Length in metres of a path. */
export function pathLengthM(path: Position[]): number {
  let total = 0;
  for (let i = 1; i < path.length; i++) total += distanceM(path[i - 1], path[i]);
  return total;
}

/** Area in m² of a ring (closed or not) on the sphere (Chamberlain & Duquette). */
export function ringAreaM2(ring: Position[]): number {
  const pts = ring.length > 1 && samePosition(ring[0], ring[ring.length - 1]) ? ring.slice(0, -1) : ring;
  if (pts.length < 3) return 0;
  let sum = 0;
  for (let i = 0; i < pts.length; i++) {
    const p1 = pts[i];
    const p2 = pts[(i + 1) % pts.length];
    sum += rad(p2[0] - p1[0]) * (2 + Math.sin(rad(p1[1])) + Math.sin(rad(p2[1])));
  }
  return Math.abs((sum * R * R) / 2);
}

export function samePosition(a: Position, b: Position): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** A closed polygon from the clicked vertices. */
export function polygonOf(vertices: Position[]): PolygonGeom {
  const ring = [...vertices];
  if (ring.length && !samePosition(ring[0], ring[ring.length - 1])) ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

/** The rectangle spanned by two opposite corners. */
export function boxOf(a: Position, b: Position): PolygonGeom {
  const [w, e] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
  const [s, n] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
  return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
}

/** A polygon approximating the circle of `radiusM` metres around `center`, to draw it. */
export function circleOf(center: Position, radiusM: number, steps = 64): PolygonGeom {
  const ring: Position[] = [];
  const d = radiusM / R;
  const lat1 = rad(center[1]);
  const lon1 = rad(center[0]);
  for (let i = 0; i <= steps; i++) {
    const brg = (2 * Math.PI * (i % steps)) / steps;
    const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(brg));
    const lon2 = lon1 + Math.atan2(Math.sin(brg) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
    ring.push([round(deg(lon2)), round(deg(lat2))]);
  }
  ring[ring.length - 1] = ring[0];
  return { type: 'Polygon', coordinates: [ring] };
}

function round(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

/** [west, south, east, north] of any GeoJSON geometry, or null when it has no position. */
export function bboxOf(geometry: unknown): [number, number, number, number] | null {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const visit = (c: unknown) => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  const g = geometry as { coordinates?: unknown; geometries?: unknown[]; geometry?: unknown; features?: unknown[] } | null;
  if (!g) return null;
  if (g.coordinates) visit(g.coordinates);
  if (g.geometry) {
    const b = bboxOf(g.geometry);
    if (b) visit([[b[0], b[1]], [b[2], b[3]]]);
  }
  for (const part of [...(g.geometries ?? []), ...(g.features ?? [])]) {
    const b = bboxOf(part);
    if (b) visit([[b[0], b[1]], [b[2], b[3]]]);
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}
