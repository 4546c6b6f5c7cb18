import { useEffect, useRef } from 'react';
import type { GeoJSONSource, Map as MlMap } from 'maplibre-gl';
import { addGeoJsonLayer, createMap, savedBasemap } from '../map/setup';
import { bboxOf } from '../map/geo';

/** A small map of GeoJSON features (e.g. the first features of a file before its import). */
export default function PreviewMap({ data }: { data: unknown }) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MlMap | null>(null);
  useEffect(() => {
    if (!container.current) return;
    const b = bboxOf(data);
    const map = createMap({ container: container.current, basemap: savedBasemap(), bounds: b ? [b[0] - 0.01, b[1] - 0.01, b[2] + 0.01, b[3] + 0.01] : undefined });
    mapRef.current = map;
    map.on('load', () => addGeoJsonLayer(map, 'preview', data as GeoJSON.FeatureCollection, {}));
    return () => {
      map.remove();
      mapRef.current = null;
    };
    // Made once; later data is set by the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    const src = mapRef.current?.getSource('preview') as GeoJSONSource | undefined;
    src?.setData(data as GeoJSON.FeatureCollection);
  }, [data]);
  return <div className="mini-map" ref={container} data-testid="preview-map" />;
}
