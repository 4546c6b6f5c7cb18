import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import type { GeoJSONSource, Map as MlMap, MapGeoJSONFeature, MapMouseEvent } from 'maplibre-gl';
import { graphql } from '../gql';
import { useI18n } from '../i18n';
import { useTitle } from '../lib/useTitle';
import type { MessageKey } from '../i18n/fr';
import {
  addDomainLayers,
  addOverlayLayers,
  createMap,
  DEPOSIT_STATUS_COLORS,
  INFRA_KIND_COLORS,
  INTERACTIVE_LAYERS,
  PERMIT_STATUS_COLORS,
  savedBasemap,
  saveBasemap,
  setGroupVisible,
  type Basemap,
  type DomainGroup,
} from '../map/setup';
import { Sketch, type SketchMode } from '../map/sketch';
import { bboxOf, boxOf, circleOf, pathLengthM, polygonOf, ringAreaM2, type Position } from '../map/geo';
import { useDebounced } from '../lib/useDebounced';
import { TargetIcon } from '../components/Icon';
import { useUserLayers } from '../map/userLayers';
import { DEFAULT_LAYER_COLOR, layerSwatch, userLayerIds, userLayerOf, type LayerStyle } from '../map/layerStyle';

const LegendQuery = graphql(`
  query MapLegend {
    commodities(first: 200) {
      nodes {
        code
        nameFr
        nameEn
        color
      }
    }
  }
`);

const SearchQuery = graphql(`
  query MapSearch($q: String!) {
    deposits(first: 5, filter: { search: $q }) {
      nodes {
        id
        name
        geometry
      }
    }
    exploitationAreas(first: 5, filter: { search: $q }) {
      nodes {
        id
        name
        permitNumber
        geometry
      }
    }
    infrastructures(first: 5, filter: { search: $q }) {
      nodes {
        id
        name
        geometry
      }
    }
  }
`);

const SelectionQuery = graphql(`
  query MapSelection($deposits: DepositFilterInput, $areas: ExploitationAreaFilterInput, $infra: InfrastructureFilterInput) {
    deposits(first: 200, filter: $deposits) {
      totalCount
      nodes {
        id
        name
        status
        geometry
        commodity {
          code
        }
      }
    }
    exploitationAreas(first: 200, filter: $areas) {
      totalCount
      nodes {
        id
        name
        permitNumber
        status
        geometry
      }
    }
    infrastructures(first: 200, filter: $infra) {
      totalCount
      nodes {
        id
        name
        kind
        geometry
      }
    }
  }
`);

// The full feature of an uploaded layer that was clicked: tiles may carry
// only some attributes (`style.tileAttributes`), GraphQL has them all.
const PickedFeatureQuery = graphql(`
  query MapPickedFeature($layer: ID!, $at: DwithinInput!) {
    layer(id: $layer) {
      id
      features(first: 50, filter: { dwithin: $at }) {
        nodes {
          id
          properties
        }
      }
    }
  }
`);

type Tool = 'selectBox' | 'selectPolygon' | 'selectRadius' | 'measureDistance' | 'measureArea';
const TOOL_MODE: Record<Tool, SketchMode> = {
  selectBox: 'box',
  selectPolygon: 'polygon',
  selectRadius: 'point',
  measureDistance: 'line',
  measureArea: 'polygon',
};
const TOOL_HELP: Record<Tool, MessageKey> = {
  selectBox: 'map.boxHelp',
  selectPolygon: 'map.polygonHelp',
  selectRadius: 'map.radiusHelp',
  measureDistance: 'map.measureHelp',
  measureArea: 'map.measureHelp',
};

interface Picked {
  layer: DomainGroup | 'user';
  /** For a feature of an uploaded layer: that layer. */
  userLayer?: { id: string; name: string };
  id: string;
  props: Record<string, unknown>;
  /** Where it was clicked, and a few pixels in metres (to find an uploaded layer's feature by GraphQL). */
  at?: { lng: number; lat: number; meters: number };
}

const ROUTE: Record<DomainGroup, string> = { deposits: '/gisements', areas: '/permis', infrastructure: '/infrastructures' };

function groupOfLayer(layerId: string): DomainGroup {
  if (layerId.startsWith('deposits')) return 'deposits';
  if (layerId.startsWith('areas')) return 'areas';
  return 'infrastructure';
}

export function MapPage() {
  const { t, locale, fmt } = useI18n();
  useTitle(t('map.title'));
  const [params] = useSearchParams();
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MlMap | null>(null);
  const sketchRef = useRef<Sketch | null>(null);
  const [ready, setReady] = useState(false);
  const [basemap, setBasemap] = useState<Basemap>(savedBasemap);
  const [basemapDown, setBasemapDown] = useState(false);
  const [visible, setVisible] = useState<Record<DomainGroup, boolean>>({ deposits: true, areas: true, infrastructure: true });
  const [tool, setTool] = useState<Tool | null>(null);
  const [radiusKm, setRadiusKm] = useState('10');
  const [measure, setMeasure] = useState<string | null>(null);
  const [selectionVars, setSelectionVars] = useState<Record<string, unknown> | null>(null);
  const [picked, setPicked] = useState<Picked | null>(null);
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);

  const [legend] = useQuery({ query: LegendQuery });
  const userLayers = useUserLayers(ready ? mapRef.current : null, ready);
  const userLayersRef = useRef(userLayers.layers);
  userLayersRef.current = userLayers.layers;
  const [searchResult] = useQuery({ query: SearchQuery, variables: { q }, pause: q.length < 2 });
  const [selection] = useQuery({ query: SelectionQuery, variables: selectionVars ?? {}, pause: !selectionVars });
  const pickedAt = picked?.userLayer && picked.at ? picked : null;
  const [pickedFull] = useQuery({
    query: PickedFeatureQuery,
    variables: pickedAt?.at ? { layer: pickedAt.userLayer!.id, at: { geometry: { type: 'Point', coordinates: [pickedAt.at.lng, pickedAt.at.lat] }, meters: pickedAt.at.meters } } : { layer: '', at: { geometry: null, meters: 0 } },
    pause: !pickedAt,
  });
  const pickedProps = useMemo(() => {
    if (!picked) return {};
    const layer = pickedFull.data?.layer;
    const full = pickedAt && layer && layer.id === pickedAt.userLayer?.id ? layer.features.nodes.find((n) => n.id === pickedAt.id) : undefined;
    return full ? { ...picked.props, ...(full.properties as Record<string, unknown>) } : picked.props;
  }, [picked, pickedAt, pickedFull.data]);

  const toolRef = useRef<Tool | null>(null);
  toolRef.current = tool;
  const radiusRef = useRef(radiusKm);
  radiusRef.current = radiusKm;

  const onSketchDone = useCallback(
    (_mode: SketchMode, v: Position[]) => {
      const current = toolRef.current;
      setTool(null);
      const sketch = sketchRef.current;
      if (!current || !sketch) return;
      if (current === 'measureDistance') {
        setMeasure(t('map.distance', { value: fmt.lengthKm(pathLengthM(v) / 1000) }));
      } else if (current === 'measureArea') {
        const poly = polygonOf(v);
        sketch.show(poly);
        setMeasure(t('map.area', { value: fmt.areaKm2(ringAreaM2(poly.coordinates[0]) / 1e6) }));
      } else if (current === 'selectRadius') {
        const meters = Math.max(0, parseFloat(radiusRef.current.replace(',', '.')) || 0) * 1000;
        sketch.show(circleOf(v[0], meters));
        const dwithin = { geometry: { type: 'Point', coordinates: v[0] }, meters };
        setSelectionVars({ deposits: { dwithin }, areas: { dwithin }, infra: { dwithin } });
      } else {
        const poly = current === 'selectBox' ? boxOf(v[0], v[1]) : polygonOf(v);
        sketch.show(poly);
        setSelectionVars({ deposits: { intersects: poly }, areas: { intersects: poly }, infra: { intersects: poly } });
      }
    },
    [t, fmt],
  );

  // Create the map once.
  useEffect(() => {
    if (!container.current) return;
    const map = createMap({ container: container.current, basemap: savedBasemap(), onBasemapDown: () => setBasemapDown(true) });
    mapRef.current = map;
    (window as unknown as { __odgMap?: MlMap }).__odgMap = map;
    map.on('load', () => {
      addDomainLayers(map, { deposits: true, areas: true, infrastructure: true });
      addOverlayLayers(map);
      setReady(true);
    });
    return () => {
      sketchRef.current?.destroy();
      sketchRef.current = null;
      map.remove();
      mapRef.current = null;
      delete (window as unknown as { __odgMap?: MlMap }).__odgMap;
    };
  }, []);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    const sketch = new Sketch(map, onSketchDone);
    sketchRef.current = sketch;
    // Uploaded layers are drawn above the domain layers, so they are hit first.
    const interactive = () =>
      [...userLayersRef.current.flatMap((l) => userLayerIds(l.id)).reverse(), ...INTERACTIVE_LAYERS].filter((l) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
    const hitsAt = (p: { x: number; y: number }): MapGeoJSONFeature[] => {
      const layers = interactive();
      return layers.length ? map.queryRenderedFeatures([p.x, p.y] as never, { layers }) : [];
    };
    const click = (e: MapMouseEvent) => {
      if (sketch.active) return;
      const f = hitsAt(e.point)[0];
      if (!f) {
        setPicked(null);
        return;
      }
      const layerId = userLayerOf(f.layer.id);
      if (layerId) {
        const entry = userLayersRef.current.find((l) => l.id === layerId);
        const near = map.unproject([e.point.x + 6, e.point.y]);
        setPicked({
          layer: 'user',
          userLayer: { id: layerId, name: entry?.name ?? layerId },
          id: String(f.id ?? f.properties.id ?? ''),
          props: f.properties,
          at: { lng: e.lngLat.lng, lat: e.lngLat.lat, meters: Math.max(1, e.lngLat.distanceTo(near)) },
        });
        return;
      }
      setPicked({ layer: groupOfLayer(f.layer.id), id: String(f.id ?? f.properties.id ?? ''), props: f.properties });
    };
    const move = (e: MapMouseEvent) => {
      if (sketch.active) return;
      map.getCanvas().style.cursor = hitsAt(e.point).length ? 'pointer' : '';
    };
    map.on('click', click);
    map.on('mousemove', move);
    return () => {
      map.off('click', click);
      map.off('mousemove', move);
      sketch.destroy();
      sketchRef.current = null;
    };
  }, [ready, onSketchDone]);

  // Layer toggles and basemap.
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    (Object.keys(visible) as DomainGroup[]).forEach((g) => setGroupVisible(map, g, visible[g]));
  }, [ready, visible]);
  useEffect(() => {
    const map = mapRef.current;
    saveBasemap(basemap);
    if (!ready || !map || !map.getLayer('osm')) return;
    map.setLayoutProperty('osm', 'visibility', basemap === 'osm' && !basemapDown ? 'visible' : 'none');
  }, [ready, basemap, basemapDown]);

  // `/carte?bbox=w,s,e,n` frames a record shown from a table.
  useEffect(() => {
    const map = mapRef.current;
    const bbox = params.get('bbox')?.split(',').map(Number);
    if (!ready || !map || !bbox || bbox.length !== 4 || bbox.some((n) => !Number.isFinite(n))) return;
    map.fitBounds(bbox as [number, number, number, number], { padding: 80, maxZoom: 12, duration: 0 });
  }, [ready, params]);

  // Highlight the selected features.
  useEffect(() => {
    const map = mapRef.current;
    const src = map?.getSource('selection') as GeoJSONSource | undefined;
    if (!src) return;
    const d = selection.data;
    const features: GeoJSON.Feature[] = d
      ? [...d.deposits.nodes, ...d.exploitationAreas.nodes, ...d.infrastructures.nodes].map((n) => ({
          type: 'Feature',
          properties: { id: n.id, name: n.name },
          geometry: n.geometry as GeoJSON.Geometry,
        }))
      : [];
    src.setData({ type: 'FeatureCollection', features });
  }, [selection.data, ready]);

  const startTool = (next: Tool) => {
    const sketch = sketchRef.current;
    if (!sketch) return;
    setMeasure(null);
    setPicked(null);
    if (next.startsWith('select')) setSelectionVars(null);
    if (tool === next) {
      sketch.cancel();
      setTool(null);
      return;
    }
    setTool(next);
    sketch.start(TOOL_MODE[next]);
    mapRef.current?.getContainer().focus();
  };

  const clearTools = () => {
    sketchRef.current?.cancel();
    setTool(null);
    setMeasure(null);
    setSelectionVars(null);
  };

  const flyTo = (geometry: unknown) => {
    const b = bboxOf(geometry);
    const map = mapRef.current;
    if (!b || !map) return;
    map.fitBounds(b, { padding: 80, maxZoom: 12, duration: 800 });
  };

  const commodityName = useMemo(() => {
    const m = new Map<string, string>();
    for (const c of legend.data?.commodities.nodes ?? []) m.set(c.code, locale === 'fr' ? c.nameFr : c.nameEn);
    return m;
  }, [legend.data, locale]);

  const results = searchResult.data && q.length >= 2 ? searchResult.data : null;
  const resultItems = results
    ? [
        ...results.deposits.nodes.map((n) => ({ key: `d${n.id}`, label: n.name, kind: t('layer.deposits'), geometry: n.geometry })),
        ...results.exploitationAreas.nodes.map((n) => ({ key: `a${n.id}`, label: `${n.name} (${n.permitNumber})`, kind: t('nav.areas'), geometry: n.geometry })),
        ...results.infrastructures.nodes.map((n) => ({ key: `i${n.id}`, label: n.name, kind: t('layer.infrastructure'), geometry: n.geometry })),
      ]
    : [];

  const groups: { key: DomainGroup; label: MessageKey }[] = [
    { key: 'deposits', label: 'layer.deposits' },
    { key: 'areas', label: 'layer.areas' },
    { key: 'infrastructure', label: 'layer.infrastructure' },
  ];

  const sel = selection.data;
  return (
    <div className="map-page">
      <aside className="map-panel" aria-label={t('map.tools')}>
        <section className="map-panel__section">
          <label htmlFor="map-search" className="sr-only">
            {t('common.search')}
          </label>
          <input id="map-search" type="search" placeholder={t('map.searchPlaceholder')} value={search} onChange={(e) => setSearch(e.target.value)} autoComplete="off" />
          {results ? (
            resultItems.length ? (
              <ul className="search-results" data-testid="search-results">
                {resultItems.map((r) => (
                  <li key={r.key}>
                    <button type="button" className="linklike" onClick={() => flyTo(r.geometry)}>
                      {r.label}
                    </button>{' '}
                    <small>{r.kind}</small>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">{t('map.noResult')}</p>
            )
          ) : null}
        </section>

        <section className="map-panel__section">
          <h2>{t('map.layers')}</h2>
          {groups.map((g) => (
            <label key={g.key} className="check">
              <input type="checkbox" data-layer-toggle={g.key} checked={visible[g.key]} onChange={(e) => setVisible({ ...visible, [g.key]: e.target.checked })} />
              {t(g.label)}
            </label>
          ))}
          {userLayers.layers.length ? (
            <fieldset className="user-layers">
              <legend>{t('nav.layers')}</legend>
              {userLayers.layers.map((l) => (
                <label key={l.id} className="check">
                  <input type="checkbox" data-user-layer-toggle={l.id} checked={!!userLayers.shown[l.id]} onChange={(e) => userLayers.setShown({ ...userLayers.shown, [l.id]: e.target.checked })} />
                  <span className="swatch" style={{ background: layerSwatch(l.style) }} /> {l.name}
                </label>
              ))}
            </fieldset>
          ) : null}
          <div className="field field--inline">
            <label htmlFor="basemap">{t('map.basemap')}</label>
            <select id="basemap" value={basemap} onChange={(e) => setBasemap(e.target.value as Basemap)}>
              <option value="osm">{t('map.basemap.osm')}</option>
              <option value="none">{t('map.basemap.none')}</option>
            </select>
          </div>
          {basemapDown && basemap === 'osm' ? (
            <p className="muted" role="status">
              {t('map.basemapDown')}
            </p>
          ) : null}
        </section>

        <section className="map-panel__section">
          <h2>{t('map.tools')}</h2>
          <div className="toolbar" role="toolbar" aria-label={t('map.tools')}>
            {(Object.keys(TOOL_MODE) as Tool[]).map((k) => (
              <button key={k} type="button" className={`btn btn--small${tool === k ? ' btn--active' : ''}`} aria-pressed={tool === k} onClick={() => startTool(k)} data-tool={k}>
                {t(`map.${k}` as MessageKey)}
              </button>
            ))}
          </div>
          <div className="field field--inline">
            <label htmlFor="radius">{t('map.radius')}</label>
            <input id="radius" type="number" min="0" step="any" value={radiusKm} onChange={(e) => setRadiusKm(e.target.value)} />
          </div>
          {tool ? (
            <p className="muted">
              {t(TOOL_HELP[tool])} <span className="sr-only-focusable">{t('map.keyboardHelp')}</span>{' '}
              {TOOL_MODE[tool] === 'line' || TOOL_MODE[tool] === 'polygon' ? (
                <button type="button" className="btn btn--small" onClick={() => sketchRef.current?.finish()}>
                  {t('geometry.finish')}
                </button>
              ) : null}
            </p>
          ) : null}
          {measure ? (
            <p className="measure" data-testid="measure" role="status">
              {measure}
            </p>
          ) : null}
          {tool || measure || selectionVars ? (
            <button type="button" className="btn btn--ghost btn--small" onClick={clearTools}>
              {t('map.clear')}
            </button>
          ) : null}
        </section>

        {selectionVars ? (
          <section className="map-panel__section" data-testid="selection">
            <h2>{t('map.selection')}</h2>
            {selection.fetching && !sel ? <p>{t('common.loading')}</p> : null}
            {sel ? (
              <>
                <p>{t('map.selectionCount', { count: sel.deposits.totalCount + sel.exploitationAreas.totalCount + sel.infrastructures.totalCount })}</p>
                <SelectionList title={t('layer.deposits')} items={sel.deposits.nodes.map((n) => ({ id: n.id, label: n.name, extra: `${n.commodity?.code ?? ''} · ${t(`status.${n.status}` as MessageKey)}`, geometry: n.geometry }))} route="/gisements" onFly={flyTo} />
                <SelectionList title={t('layer.areas')} items={sel.exploitationAreas.nodes.map((n) => ({ id: n.id, label: n.name, extra: n.permitNumber, geometry: n.geometry }))} route="/permis" onFly={flyTo} />
                <SelectionList title={t('layer.infrastructure')} items={sel.infrastructures.nodes.map((n) => ({ id: n.id, label: n.name, extra: t(`kind.${n.kind}` as MessageKey), geometry: n.geometry }))} route="/infrastructures" onFly={flyTo} />
              </>
            ) : null}
          </section>
        ) : null}

        {picked ? (
          <section className="map-panel__section" data-testid="feature-details">
            <h2>{String(pickedProps.name ?? t('map.feature'))}</h2>
            {picked.userLayer ? <p className="muted">{picked.userLayer.name}</p> : null}
            <dl className="props">
              {Object.entries(pickedProps)
                .filter(([k]) => k !== 'name' && k !== 'id' && (picked.userLayer || k !== 'color'))
                .map(([k, v]) => (
                  <div key={k}>
                    <dt>{picked.userLayer ? k : propLabel(k, t)}</dt>
                    <dd>{picked.userLayer ? rawValue(v) : propValue(k, v, t, fmt, commodityName)}</dd>
                  </div>
                ))}
            </dl>
            {picked.userLayer ? (
              <Link to={`/couches/${picked.userLayer.id}`}>{t('common.details')}</Link>
            ) : picked.id && picked.layer !== 'user' ? (
              <Link to={`${ROUTE[picked.layer]}/${picked.id}`}>{t('common.details')}</Link>
            ) : null}
          </section>
        ) : null}

        <section className="map-panel__section legend">
          <h2>{t('map.legend')}</h2>
          <h3>{t('layer.deposits')}</h3>
          <ul>
            {(legend.data?.commodities.nodes ?? []).map((c) => (
              <li key={c.code}>
                <span className="swatch swatch--dot" style={{ background: c.color }} /> {locale === 'fr' ? c.nameFr : c.nameEn}
              </li>
            ))}
            {Object.entries(DEPOSIT_STATUS_COLORS).map(([s, c]) => (
              <li key={s}>
                <span className="swatch swatch--ring" style={{ borderColor: c }} /> {t(`status.${s}` as MessageKey)}
              </li>
            ))}
          </ul>
          <h3>{t('layer.areas')}</h3>
          <ul>
            {Object.entries(PERMIT_STATUS_COLORS).map(([s, c]) => (
              <li key={s}>
                <span className="swatch" style={{ background: c, opacity: 0.6 }} /> {t(`status.${s}` as MessageKey)}
              </li>
            ))}
          </ul>
          <h3>{t('layer.infrastructure')}</h3>
          <ul>
            {Object.entries(INFRA_KIND_COLORS).map(([k, c]) => (
              <li key={k}>
                <span className="swatch swatch--line" style={{ background: c }} /> {t(`kind.${k}` as MessageKey)}
              </li>
            ))}
          </ul>
          {userLayers.layers.some((l) => userLayers.shown[l.id]) ? (
            <>
              <h3>{t('nav.layers')}</h3>
              <ul data-testid="user-layers-legend">
                {userLayers.layers
                  .filter((l) => userLayers.shown[l.id])
                  .map((l) => (
                    <li key={l.id} data-legend-layer={l.id}>
                      <LayerLegendSwatch style={l.style} geometryTypes={l.geometryTypes} /> {l.name}
                    </li>
                  ))}
              </ul>
            </>
          ) : null}
        </section>
      </aside>
      <div className="map-canvas" ref={container} tabIndex={0} aria-label={t('map.title')} data-testid="map" data-ready={ready ? 'true' : 'false'} />
    </div>
  );
}

/** One swatch per kind of geometry the layer holds, drawn as the map draws it. */
function LayerLegendSwatch({ style, geometryTypes }: { style: LayerStyle; geometryTypes: string[] }) {
  const color = style.color || DEFAULT_LAYER_COLOR;
  const fill = style.fillColor || color;
  const has = (k: string) => geometryTypes.some((g) => g.includes(k));
  const kinds = (['point', 'line', 'polygon'] as const).filter((k) => has(k === 'point' ? 'Point' : k === 'line' ? 'LineString' : 'Polygon'));
  return (
    <>
      {(kinds.length ? kinds : ['polygon']).map((k) =>
        k === 'point' ? (
          <span key={k} className="swatch swatch--dot" style={{ background: fill, opacity: style.opacity ?? 0.9 }} />
        ) : k === 'line' ? (
          <span key={k} className="swatch swatch--line" style={{ background: color, opacity: style.opacity ?? 0.9 }} />
        ) : (
          <span key={k} className="swatch" style={{ background: fill, opacity: Math.max(0.2, style.fillOpacity ?? 0.25), outline: `2px solid ${color}`, outlineOffset: -2 }} />
        ),
      )}
    </>
  );
}

function SelectionList({ title, items, route, onFly }: { title: string; items: { id: string; label: string; extra: string; geometry: unknown }[]; route: string; onFly: (g: unknown) => void }) {
  const { t } = useI18n();
  if (!items.length) return null;
  return (
    <>
      <h3>
        {title} ({items.length})
      </h3>
      <ul className="selection-list">
        {items.map((i) => (
          <li key={i.id}>
            <Link to={`${route}/${i.id}`}>{i.label}</Link> <small>{i.extra}</small>{' '}
            <button type="button" className="linklike" onClick={() => onFly(i.geometry)} aria-label={`${t('common.showOnMap')}: ${i.label}`}>
              <TargetIcon />
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

const PROP_LABELS: Record<string, MessageKey> = {
  status: 'field.status',
  commodityCode: 'field.commodity',
  operatorName: 'field.operator',
  permitNumber: 'field.permitNumber',
  areaKm2: 'field.areaKm2',
  kind: 'field.kind',
  lengthKm: 'field.lengthKm',
};

function propLabel(k: string, t: (k: MessageKey) => string): string {
  return PROP_LABELS[k] ? t(PROP_LABELS[k]) : k;
}

/** A property of an uploaded layer's feature, as it is. */
function rawValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function propValue(k: string, v: unknown, t: (k: MessageKey) => string, fmt: { areaKm2: (n: number) => string; lengthKm: (n: number) => string }, commodities: Map<string, string>): string {
  if (v === null || v === undefined || v === '') return '—';
  if (k === 'status') return t(`status.${String(v)}` as MessageKey);
  if (k === 'kind') return t(`kind.${String(v)}` as MessageKey);
  if (k === 'areaKm2') return fmt.areaKm2(Number(v));
  if (k === 'lengthKm') return fmt.lengthKm(Number(v));
  if (k === 'commodityCode') return commodities.get(String(v)) ?? String(v);
  return String(v);
}
