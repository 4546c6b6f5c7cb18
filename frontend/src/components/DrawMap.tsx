import { useEffect, useRef, useState } from 'react';
import type { GeoJSONSource, Map as MlMap } from 'maplibre-gl';
import { useI18n } from '../i18n';
import { addOverlayLayers, createMap, savedBasemap } from '../map/setup';
import { Sketch, type SketchMode } from '../map/sketch';
import { bboxOf, polygonOf, type Position } from '../map/geo';

function parse(text: string): GeoJSON.Geometry | null {
  try {
    const g = JSON.parse(text) as GeoJSON.Geometry;
    return g && typeof g === 'object' && 'type' in g ? g : null;
  } catch {
    return null;
  }
}

/** The map of a geometry field: shows the current geometry and draws a new one. */
export default function DrawMap({ value, onChange, modes }: { value: string; onChange: (v: string) => void; modes: SketchMode[] }) {
  const { t } = useI18n();
  const [activeMode, setActiveMode] = useState<SketchMode | null>(null);
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MlMap | null>(null);
  const sketchRef = useRef<Sketch | null>(null);
  const [ready, setReady] = useState(false);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const initial = useRef(value);

  useEffect(() => {
    if (!container.current) return;
    const start = parse(initial.current);
    const b = start ? bboxOf(start) : null;
    const map = createMap({ container: container.current, basemap: savedBasemap(), bounds: b ? [b[0] - 0.05, b[1] - 0.05, b[2] + 0.05, b[3] + 0.05] : undefined });
    mapRef.current = map;
    map.on('load', () => {
      addOverlayLayers(map);
      sketchRef.current = new Sketch(map, (mode, v: Position[]) => {
        setActiveMode(null);
        const g = mode === 'point' ? { type: 'Point', coordinates: v[0] } : mode === 'line' ? { type: 'LineString', coordinates: v } : polygonOf(v);
        sketchRef.current?.clear();
        onChangeRef.current(JSON.stringify(g));
      });
      setReady(true);
    });
    return () => {
      sketchRef.current?.destroy();
      sketchRef.current = null;
      map.remove();
      mapRef.current = null;
    };
  }, []);

  useEffect(() => {
    const src = mapRef.current?.getSource('selection') as GeoJSONSource | undefined;
    if (!ready || !src) return;
    const g = parse(value);
    src.setData({ type: 'FeatureCollection', features: g ? [{ type: 'Feature', properties: {}, geometry: g }] : [] });
  }, [ready, value]);

  const begin = (m: SketchMode) => {
    sketchRef.current?.start(m);
    setActiveMode(m);
    container.current?.focus();
  };
  const labels: Record<SketchMode, string> = { point: t('geometry.drawPoint'), line: t('geometry.drawLine'), polygon: t('geometry.drawPolygon'), box: t('map.selectBox') };

  return (
    <>
      <div className="geometry-tools">
        {ready
          ? modes.map((m) => (
              <button key={m} type="button" className={`btn btn--small${activeMode === m ? ' btn--active' : ''}`} aria-pressed={activeMode === m} onClick={() => begin(m)}>
                {labels[m]}
              </button>
            ))
          : null}
        {activeMode && activeMode !== 'point' ? (
          <button type="button" className="btn btn--small" onClick={() => sketchRef.current?.finish()}>
            {t('geometry.finish')}
          </button>
        ) : null}
      </div>
      <p className="muted">
        {t('geometry.drawHelp')} {t('map.keyboardHelp')}
      </p>
      <div className="mini-map" ref={container} tabIndex={0} aria-label={t('geometry.draw')} />
    </>
  );
}
