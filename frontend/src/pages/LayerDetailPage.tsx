import { useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { LayerFeatureFilterInput } from '../gql/graphql';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { useAuth } from '../auth/AuthProvider';
import { getSession } from '../auth/session';
import { canManageLayers } from '../lib/permissions';
import { useDebounced } from '../lib/useDebounced';
import { toFormValue, type FormValues } from '../lib/form';
import { apiErrors, type ApiError } from '../graphql/errors';
import { after, Pager } from '../components/Pager';
import { usePagedFilter } from '../lib/usePagedFilter';
import { DeleteButton } from '../components/RecordList';
import { MapLink, PageHeader, StatusBadge } from '../components/ListTools';
import { SelectField, TextField } from '../components/Field';
import { EntityForm, type FormField } from '../components/EntityForm';
import { ErrorList, Success } from '../components/Notice';
import { FeatureEditor } from '../components/FeatureEditor';
import { readRasterInfo, type AttributeDef } from '../lib/featureProps';
import { LAYER_KINDS, LAYER_STATUSES } from './LayersPage';

// The formats of `exportUrl(format:)`; the query below asks each by its enum value.
type ExportFormat = 'GEOJSON' | 'CSV' | 'KML' | 'SHAPEFILE' | 'GPKG';
const EXPORT_FORMATS: ExportFormat[] = ['GEOJSON', 'CSV', 'KML', 'SHAPEFILE', 'GPKG'];
const EXPORT_LABELS: Record<ExportFormat, string> = { GEOJSON: 'GeoJSON', CSV: 'CSV', KML: 'KML', SHAPEFILE: 'Shapefile (.zip)', GPKG: 'GeoPackage (.gpkg)' };
const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { GEOJSON: 'geojson', CSV: 'csv', KML: 'kml', SHAPEFILE: 'zip', GPKG: 'gpkg' };

const LayerQuery = graphql(`
  query LayerDetail($id: ID!) {
    layer(id: $id) {
      id
      name
      description
      kind
      status
      visible
      public
      style
      sourceFormat
      sourceCrs
      featureCount
      geometryTypes
      bbox
      createdAt
      updatedAt
      attributes {
        name
        type
      }
      geojson: exportUrl(format: GEOJSON)
      csv: exportUrl(format: CSV)
      kml: exportUrl(format: KML)
      shapefile: exportUrl(format: SHAPEFILE)
      gpkg: exportUrl(format: GPKG)
      rasterInfo
    }
  }
`);

const StatisticsQuery = graphql(`
  query LayerStatistics($id: ID!, $attribute: String) {
    layer(id: $id) {
      id
      statistics(attribute: $attribute) {
        count
        bbox
        totalAreaKm2
        totalLengthKm
        distinctValues {
          value
          count
        }
      }
    }
  }
`);

const DeleteLayerFeature = graphql(`
  mutation DeleteLayerFeature($id: ID!) {
    deleteLayerFeature(id: $id)
  }
`);

const FeaturesQuery = graphql(`
  query LayerFeatures($id: ID!, $first: Int!, $after: String, $filter: LayerFeatureFilterInput) {
    layer(id: $id) {
      id
      features(first: $first, after: $after, filter: $filter) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          properties
          geometry
        }
      }
    }
  }
`);

const UpdateLayer = graphql(`
  mutation UpdateLayer($id: ID!, $input: LayerPatch!) {
    updateLayer(id: $id, input: $input) {
      id
      name
      description
      kind
      status
      visible
      public
      style
      updatedAt
    }
  }
`);

const DeleteLayer = graphql(`
  mutation DeleteLayer($id: ID!) {
    deleteLayer(id: $id)
  }
`);

/** Downloads an export with the bearer token in a header (not in the URL, which servers log). */
async function download(url: string, name: string): Promise<string | null> {
  const s = getSession();
  const res = await fetch(url, { headers: s ? { Authorization: `Bearer ${s.accessToken}` } : {} });
  if (!res.ok) return `${res.status} ${await res.text().catch(() => '')}`.trim();
  const blob = await res.blob();
  const disposition = res.headers.get('content-disposition') ?? '';
  const fileName = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? name;
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return null;
}

export function LayerDetailPage() {
  const { id = '' } = useParams();
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const [{ data, fetching, error }] = useQuery({ query: LayerQuery, variables: { id }, requestPolicy: 'network-only' });
  const [, update] = useMutation(UpdateLayer);
  const [, remove] = useMutation(DeleteLayer);
  const [actionErrors, setActionErrors] = useState<ApiError[]>([]);
  const layer = data?.layer;
  const manage = canManageLayers(user);

  if (fetching && !layer) return <p className="page">{t('common.loading')}</p>;
  if (error) return <ErrorList errors={apiErrors(error)} />;
  if (!layer) return <ErrorList errors={[{ message: t('common.notFound'), code: 'NOT_FOUND' }]} />;

  const style = (layer.style ?? {}) as Record<string, unknown>;
  const fields: FormField[] = [
    { name: 'name', label: 'field.name', kind: 'text', required: true },
    { name: 'kind', label: 'field.kind', kind: 'select', options: LAYER_KINDS.map((k) => ({ value: k, label: t(`layerKind.${k}` as MessageKey) })) },
    { name: 'status', label: 'field.status', kind: 'select', options: LAYER_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })) },
    { name: 'visible', label: 'layers.visible', kind: 'select', options: [{ value: 'true', label: t('common.yes') }, { value: 'false', label: t('common.no') }] },
    { name: 'public', label: 'layers.public', kind: 'select', options: [{ value: 'true', label: t('common.yes') }, { value: 'false', label: t('common.no') }] },
    { name: 'color', label: 'layers.color', kind: 'color' as never },
    { name: 'fillColor', label: 'layers.fillColor', kind: 'color' as never },
    { name: 'fillOpacity', label: 'layers.fillOpacity', kind: 'number' },
    { name: 'opacity', label: 'layers.opacity', kind: 'number' },
    { name: 'lineWidth', label: 'layers.lineWidth', kind: 'number' },
    { name: 'pointRadius', label: 'layers.pointRadius', kind: 'number' },
    { name: 'description', label: 'field.description', kind: 'textarea' },
  ];
  const initial: FormValues = {
    name: layer.name,
    kind: layer.kind,
    status: layer.status,
    visible: String(layer.visible),
    public: String(layer.public),
    color: toFormValue(style.color, 'text'),
    fillColor: toFormValue(style.fillColor, 'text'),
    fillOpacity: toFormValue(style.fillOpacity, 'number'),
    opacity: toFormValue(style.opacity, 'number'),
    lineWidth: toFormValue(style.lineWidth, 'number'),
    pointRadius: toFormValue(style.pointRadius, 'number'),
    description: toFormValue(layer.description, 'textarea'),
  };
  const exports: Record<ExportFormat, string> = { GEOJSON: layer.geojson, CSV: layer.csv, KML: layer.kml, SHAPEFILE: layer.shapefile, GPKG: layer.gpkg };
  const raster = readRasterInfo(layer.rasterInfo);

  return (
    <section className="page">
      <PageHeader title={layer.name} actions={layer.bbox ? <MapLink geometry={{ type: 'LineString', coordinates: [[layer.bbox[0], layer.bbox[1]], [layer.bbox[2], layer.bbox[3]]] }} withText /> : null} />
      <dl className="props props--wide">
        <div>
          <dt>{t('field.kind')}</dt>
          <dd>{t(`layerKind.${layer.kind}` as MessageKey)}</dd>
        </div>
        <div>
          <dt>{t('field.status')}</dt>
          <dd>
            <StatusBadge status={layer.status} label={t(`status.${layer.status}` as MessageKey)} />
          </dd>
        </div>
        <div>
          <dt>{t('layers.features')}</dt>
          <dd>{fmt.integer(layer.featureCount)}</dd>
        </div>
        <div>
          <dt>{t('layers.geometryTypes')}</dt>
          <dd>{layer.geometryTypes.join(', ')}</dd>
        </div>
        <div>
          <dt>{t('layers.format')}</dt>
          <dd>
            {layer.sourceFormat} · {layer.sourceCrs}
          </dd>
        </div>
        <div>
          <dt>{t('field.updatedAt')}</dt>
          <dd>{fmt.dateTime(layer.updatedAt)}</dd>
        </div>
      </dl>

      {raster ? (
        <>
          <h2 className="section-title">{t('layers.raster')}</h2>
          <dl className="props props--wide" data-testid="raster-info">
            <div>
              <dt>{t('layers.rasterSize')}</dt>
              <dd>{raster.width !== undefined && raster.height !== undefined ? t('layers.pixels', { width: fmt.integer(raster.width), height: fmt.integer(raster.height) }) : '—'}</dd>
            </div>
            <div>
              <dt>{t('layers.rasterBands')}</dt>
              <dd>
                {raster.bands !== undefined ? fmt.integer(raster.bands) : '—'}
                {raster.dataType ? ` · ${raster.dataType}` : ''}
              </dd>
            </div>
            <div>
              <dt>{t('layers.crs')}</dt>
              <dd>{raster.crs ?? '—'}</dd>
            </div>
            <div>
              <dt>{t('layers.rasterNodata')}</dt>
              <dd>{raster.nodata === null || raster.nodata === undefined ? t('layers.noNodata') : typeof raster.nodata === 'number' ? fmt.number(raster.nodata, 6) : String(raster.nodata)}</dd>
            </div>
            {raster.pixelSizeX !== undefined && raster.pixelSizeY !== undefined ? (
              <div>
                <dt>{t('layers.rasterPixelSize')}</dt>
                <dd>
                  {fmt.number(Math.abs(raster.pixelSizeX), 8)} × {fmt.number(Math.abs(raster.pixelSizeY), 8)}
                </dd>
              </div>
            ) : null}
          </dl>
        </>
      ) : null}

      <h2 className="section-title">{t('layers.export')}</h2>
      <div className="toolbar" data-testid="exports">
        {EXPORT_FORMATS.map((f) => (
          <button
            key={f}
            type="button"
            className="btn btn--small"
            data-export={f}
            data-href={exports[f]}
            onClick={async () => {
              const problem = await download(exports[f], `${layer.name}.${EXPORT_EXTENSIONS[f]}`);
              setActionErrors(problem ? [{ message: problem }] : []);
            }}
          >
            {EXPORT_LABELS[f]}
          </button>
        ))}
      </div>
      <ErrorList errors={actionErrors} />

      {manage ? (
        <>
          <h2 className="section-title">{t('common.edit')}</h2>
          <EntityForm
            key={layer.id}
            fields={fields}
            blank={initial}
            initial={initial}
            onSubmit={async (input) => {
              const patch: Record<string, unknown> = {};
              const styleKeys = ['color', 'fillColor', 'fillOpacity', 'opacity', 'lineWidth', 'pointRadius'];
              const stylePatch: Record<string, unknown> = {};
              for (const [k, v] of Object.entries(input)) {
                if (styleKeys.includes(k)) stylePatch[k] = v;
                else if (k === 'visible' || k === 'public') patch[k] = v === 'true';
                else patch[k] = v;
              }
              if (Object.keys(stylePatch).length) patch.style = stylePatch;
              const r = await update({ id: layer.id, input: patch as never });
              return r.data?.updateLayer ? null : apiErrors(r.error);
            }}
            extraActions={
              <DeleteButton
                name={layer.name}
                remove={async () => {
                  const r = await remove({ id: layer.id }, { additionalTypenames: ['Layer'] });
                  if (!r.data?.deleteLayer) return apiErrors(r.error);
                  navigate('/couches');
                  return null;
                }}
                onErrors={setActionErrors}
              />
            }
          />
        </>
      ) : null}

      <h2 className="section-title">{t('layers.statistics')}</h2>
      <Statistics id={layer.id} attributes={layer.attributes.map((a) => a.name)} />

      <h2 className="section-title">{t('layers.attributeTable')}</h2>
      <AttributeTable id={layer.id} attributes={layer.attributes} editable={manage} />
    </section>
  );
}

/** A property value in a table cell. */
function cellText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function Statistics({ id, attributes }: { id: string; attributes: string[] }) {
  const { t, fmt } = useI18n();
  const [attribute, setAttribute] = useState(attributes[0] ?? '');
  const [{ data, fetching, error }] = useQuery({ query: StatisticsQuery, variables: { id, attribute: attribute || null } });
  const stats = data?.layer?.statistics;
  const SHOWN = 50;
  return (
    <div className="stats" data-testid="layer-statistics" aria-busy={fetching}>
      <ErrorList errors={apiErrors(error)} />
      {stats ? (
        <dl className="props props--wide">
          <div>
            <dt>{t('layers.features')}</dt>
            <dd data-stat="count">{fmt.integer(stats.count)}</dd>
          </div>
          <div>
            <dt>{t('layers.totalArea')}</dt>
            <dd data-stat="area">{fmt.areaKm2(stats.totalAreaKm2)}</dd>
          </div>
          <div>
            <dt>{t('layers.totalLength')}</dt>
            <dd data-stat="length">{fmt.lengthKm(stats.totalLengthKm)}</dd>
          </div>
        </dl>
      ) : null}
      {attributes.length ? (
        <>
          <form className="filters" onSubmit={(e) => e.preventDefault()}>
            <SelectField name="stats-attribute" label={t('layers.distinctOf')} value={attribute} onChange={setAttribute} options={attributes.map((a) => ({ value: a, label: a }))} />
          </form>
          {stats && attribute ? (
            <div className="table-wrap">
              <table className="table" data-testid="distinct-values">
                <caption className="sr-only">{t('layers.distinctValues', { name: attribute, count: stats.distinctValues.length })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('layers.value')}</th>
                    <th scope="col">{t('layers.count')}</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.distinctValues.slice(0, SHOWN).map((d, i) => (
                    <tr key={i}>
                      <td>{cellText(d.value)}</td>
                      <td>{fmt.integer(d.count)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {stats && attribute ? (
            <p className="muted">
              {t('layers.distinctValues', { name: attribute, count: fmt.integer(stats.distinctValues.length) })}
              {stats.distinctValues.length > SHOWN ? ` ${t('layers.firstShown', { count: SHOWN })}` : ''}
            </p>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

function AttributeTable({ id, attributes: defs, editable }: { id: string; attributes: AttributeDef[]; editable: boolean }) {
  const { t } = useI18n();
  const attributes = defs.map((a) => a.name);
  const [attribute, setAttribute] = useState(attributes[0] ?? '');
  const [text, setText] = useState('');
  const [editing, setEditing] = useState<{ id: string; properties: Record<string, unknown> } | null>(null);
  const [rowErrors, setRowErrors] = useState<ApiError[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [, removeFeature] = useMutation(DeleteLayerFeature);
  const q = useDebounced(text.trim(), 300);
  const filter = useMemo<LayerFeatureFilterInput>(() => (attribute && q ? { attributes: [{ name: attribute, contains: q }] } : {}), [attribute, q]);
  const [pager, setPager] = usePagedFilter(filter);
  const [{ data, fetching, error }] = useQuery({ query: FeaturesQuery, variables: { id, first: 25, after: after(pager), filter } });
  const conn = data?.layer?.features;
  const deleteFeature = async (fid: string) => {
    setNotice(null);
    if (!window.confirm(t('layers.confirmDeleteFeature', { id: fid }))) return;
    const r = await removeFeature({ id: fid }, { additionalTypenames: ['LayerFeature', 'Layer'] });
    if (r.data?.deleteLayerFeature) {
      setRowErrors([]);
      if (editing?.id === fid) setEditing(null);
      setNotice(t('common.deleted'));
    } else setRowErrors(apiErrors(r.error));
  };
  return (
    <>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <SelectField name="attribute" label={t('layers.attribute')} value={attribute} onChange={setAttribute} options={attributes.map((a) => ({ value: a, label: a }))} />
        <TextField name="contains" type="search" label={t('layers.contains')} value={text} onChange={setText} />
      </form>
      <ErrorList errors={[...apiErrors(error), ...rowErrors]} />
      <Success text={notice} />
      {editing ? (
        <FeatureEditor
          key={editing.id}
          feature={editing}
          attributes={defs}
          onDone={(saved) => {
            setEditing(null);
            setNotice(saved ? t('common.saved') : null);
          }}
        />
      ) : null}
      <div className="table-wrap">
        <table className="table" aria-busy={fetching} data-testid="attribute-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              {attributes.map((a) => (
                <th scope="col" key={a}>
                  {a}
                </th>
              ))}
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {conn?.nodes.map((f) => {
              const props = (f.properties ?? {}) as Record<string, unknown>;
              return (
                <tr key={f.id} data-feature={f.id}>
                  <td>{f.id}</td>
                  {attributes.map((a) => (
                    <td key={a}>{cellText(props[a])}</td>
                  ))}
                  <td className="actions">
                    <MapLink geometry={f.geometry} />
                    {editable ? (
                      <>
                        <button
                          type="button"
                          className="btn btn--small"
                          data-testid="edit-feature"
                          aria-label={t('layers.editFeature', { id: f.id })}
                          onClick={() => {
                            setNotice(null);
                            setRowErrors([]);
                            setEditing({ id: f.id, properties: props });
                          }}
                        >
                          {t('common.edit')}
                        </button>
                        <button type="button" className="btn btn--small btn--danger" data-testid="delete-feature" aria-label={t('layers.deleteFeature', { id: f.id })} onClick={() => void deleteFeature(f.id)}>
                          {t('common.delete')}
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pager state={pager} onChange={setPager} hasNextPage={!!conn?.pageInfo.hasNextPage} endCursor={conn?.pageInfo.endCursor} totalCount={conn?.totalCount} />
    </>
  );
}
