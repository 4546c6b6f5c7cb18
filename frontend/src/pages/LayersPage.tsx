import { useMemo, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { LayerFilterInput, LayerKind, LayerStatus, PreviewImportMutation } from '../gql/graphql';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { useAuth } from '../auth/AuthProvider';
import { canManageLayers } from '../lib/permissions';
import { useDebounced } from '../lib/useDebounced';
import { apiErrors, toFormErrors, type ApiError } from '../graphql/errors';
import { after, Pager, type PagerState } from '../components/Pager';
import { usePagedFilter } from '../lib/usePagedFilter';
import { Filters, PageHeader, StatusBadge } from '../components/ListTools';
import { SelectField, TextField } from '../components/Field';
import { ErrorList } from '../components/Notice';
import { LazyPreviewMap } from '../components/LazyPreviewMap';

export const LAYER_KINDS: LayerKind[] = ['DEPOSIT', 'INFRASTRUCTURE', 'ZONE', 'CUSTOM'];
export const LAYER_STATUSES: LayerStatus[] = ['ACTIVE', 'DEVELOPMENT', 'EXPLORATION', 'CLOSED'];

const LayersQuery = graphql(`
  query Layers($first: Int!, $after: String, $filter: LayerFilterInput) {
    layers(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        kind
        status
        visible
        featureCount
        geometryTypes
        sourceFormat
        updatedAt
      }
    }
  }
`);

const ImportsQuery = graphql(`
  query Imports($first: Int!, $after: String) {
    imports(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        fileName
        sizeBytes
        format
        status
        featuresRead
        featuresWritten
        error
        durationMs
        createdAt
        warnings {
          index
          location
          reason
        }
        layer {
          id
          name
        }
      }
    }
  }
`);

const PreviewImport = graphql(`
  mutation PreviewImport($file: Upload!, $crs: String) {
    previewImport(file: $file, crs: $crs, sample: 50) {
      format
      crs
      featureCount
      skippedCount
      geometryTypes
      bbox
      features
      attributes {
        name
        type
      }
      warnings {
        index
        location
        reason
      }
    }
  }
`);

const ImportLayer = graphql(`
  mutation ImportLayer($file: Upload!, $input: LayerInput!, $crs: String) {
    importLayer(file: $file, input: $input, crs: $crs) {
      id
      status
      featuresWritten
    }
  }
`);

const ImportProgressSubscription = graphql(`
  subscription ImportProgress($id: ID!) {
    importProgress(id: $id) {
      id
      status
      featuresRead
      featuresWritten
      layerId
      error
    }
  }
`);

const ImportQuery = graphql(`
  query ImportState($id: ID!) {
    import(id: $id) {
      id
      status
      featuresRead
      featuresWritten
      error
      layer {
        id
      }
    }
  }
`);

export function LayersPage() {
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [visible, setVisible] = useState('');
  const [historyPager, setHistoryPager] = useState<PagerState>({ stack: [] });
  const q = useDebounced(search.trim(), 250);
  const filter = useMemo<LayerFilterInput>(() => {
    const f: LayerFilterInput = {};
    if (q) f.search = q;
    if (kind) f.kind = kind as LayerKind;
    if (status) f.status = status as LayerStatus;
    if (visible) f.visible = visible === 'true';
    return f;
  }, [q, kind, status, visible]);
  const [pager, setPager] = usePagedFilter(filter);
  const [{ data, fetching, error }, refetchLayers] = useQuery({ query: LayersQuery, variables: { first: 20, after: after(pager), filter } });
  const [history, refetchHistory] = useQuery({ query: ImportsQuery, variables: { first: 10, after: after(historyPager) }, pause: !user });
  const conn = data?.layers;
  const manage = canManageLayers(user);

  return (
    <section className="page">
      <PageHeader title={t('layers.title')} />
      {manage ? (
        <Uploader
          onImported={() => {
            refetchLayers({ requestPolicy: 'network-only' });
            refetchHistory({ requestPolicy: 'network-only' });
          }}
        />
      ) : null}
      <h2>{t('layers.list')}</h2>
      <Filters
        onReset={() => {
          setSearch('');
          setKind('');
          setStatus('');
          setVisible('');
        }}
      >
        <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
        <SelectField name="kind" label={t('field.kind')} value={kind} onChange={setKind} emptyLabel={t('common.all')} options={LAYER_KINDS.map((k) => ({ value: k, label: t(`layerKind.${k}` as MessageKey) }))} />
        <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={LAYER_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
        <SelectField
          name="visible"
          label={t('layers.visible')}
          value={visible}
          onChange={setVisible}
          emptyLabel={t('common.all')}
          options={[
            { value: 'true', label: t('common.yes') },
            { value: 'false', label: t('common.no') },
          ]}
        />
      </Filters>
      <ErrorList errors={apiErrors(error)} />
      <div className="table-wrap">
        <table className="table" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">{t('field.name')}</th>
              <th scope="col">{t('field.kind')}</th>
              <th scope="col">{t('field.status')}</th>
              <th scope="col">{t('layers.features')}</th>
              <th scope="col">{t('layers.geometryTypes')}</th>
              <th scope="col">{t('layers.format')}</th>
              <th scope="col">{t('layers.visible')}</th>
              <th scope="col">{t('field.updatedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {conn?.nodes.map((l) => (
              <tr key={l.id} data-row-id={l.id}>
                <td>
                  <Link to={`/couches/${l.id}`}>{l.name}</Link>
                </td>
                <td>{t(`layerKind.${l.kind}` as MessageKey)}</td>
                <td>
                  <StatusBadge status={l.status} label={t(`status.${l.status}` as MessageKey)} />
                </td>
                <td>{fmt.integer(l.featureCount)}</td>
                <td>{l.geometryTypes.join(', ')}</td>
                <td>{l.sourceFormat}</td>
                <td>{l.visible ? t('common.yes') : t('common.no')}</td>
                <td>{fmt.dateTime(l.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager state={pager} onChange={setPager} hasNextPage={!!conn?.pageInfo.hasNextPage} endCursor={conn?.pageInfo.endCursor} totalCount={conn?.totalCount} />

      <h2 className="section-title">{t('layers.history')}</h2>
      <ErrorList errors={apiErrors(history.error)} />
      <div className="table-wrap">
        <table className="table" data-testid="import-history">
          <thead>
            <tr>
              <th scope="col">{t('field.createdAt')}</th>
              <th scope="col">{t('layers.file')}</th>
              <th scope="col">{t('layers.format')}</th>
              <th scope="col">{t('field.status')}</th>
              <th scope="col">{t('layers.written')}</th>
              <th scope="col">{t('layers.problems')}</th>
              <th scope="col">{t('layers.layer')}</th>
            </tr>
          </thead>
          <tbody>
            {history.data?.imports.nodes.map((i) => (
              <tr key={i.id}>
                <td>{fmt.dateTime(i.createdAt)}</td>
                <td>
                  {i.fileName} <small>({fmt.bytes(i.sizeBytes)})</small>
                </td>
                <td>{i.format ?? '—'}</td>
                <td>
                  <StatusBadge status={i.status} label={t(`importStatus.${i.status}` as MessageKey)} />
                </td>
                <td>
                  {fmt.integer(i.featuresWritten)} / {fmt.integer(i.featuresRead)}
                </td>
                <td>
                  {i.error ? <span className="field__error">{i.error}</span> : null}
                  {i.warnings.length ? (
                    <details>
                      <summary>{t('layers.warnings', { count: i.warnings.length })}</summary>
                      <ul>
                        {i.warnings.slice(0, 50).map((w) => (
                          <li key={w.index}>
                            {w.location} : {w.reason}
                          </li>
                        ))}
                      </ul>
                    </details>
                  ) : i.error ? null : (
                    '—'
                  )}
                </td>
                <td>{i.layer ? <Link to={`/couches/${i.layer.id}`}>{i.layer.name}</Link> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {history.data ? (
        <Pager
          state={historyPager}
          onChange={setHistoryPager}
          hasNextPage={history.data.imports.pageInfo.hasNextPage}
          endCursor={history.data.imports.pageInfo.endCursor}
          totalCount={history.data.imports.totalCount}
        />
      ) : null}
    </section>
  );
}

type Preview = PreviewImportMutation['previewImport'];

/** Drop a file (or choose it), see what it holds, then import it with live progress. */
function Uploader({ onImported }: { onImported: () => void }) {
  const { t, fmt } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [crs, setCrs] = useState('');
  const [dragging, setDragging] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [errors, setErrors] = useState<ApiError[]>([]);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<LayerKind>('CUSTOM');
  const [importId, setImportId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const [, previewImport] = useMutation(PreviewImport);
  const [, importLayer] = useMutation(ImportLayer);

  const choose = async (f: File | null, crsValue = crs) => {
    setFile(f);
    setPreview(null);
    setImportId(null);
    setErrors([]);
    setFieldErrors({});
    if (!f) return;
    setName(f.name.replace(/\.[^.]+$/, ''));
    setBusy(true);
    const r = await previewImport({ file: f, crs: crsValue.trim() || null });
    setBusy(false);
    if (r.data?.previewImport) setPreview(r.data.previewImport);
    else setErrors(apiErrors(r.error));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer.files?.[0];
    if (f) void choose(f);
  };

  const start = async () => {
    if (!file) return;
    setBusy(true);
    const r = await importLayer({ file, crs: crs.trim() || null, input: { name, description: description || null, kind } });
    setBusy(false);
    if (r.data?.importLayer) {
      setImportId(r.data.importLayer.id);
      return;
    }
    const split = toFormErrors(apiErrors(r.error), ['name', 'description', 'kind']);
    setFieldErrors(split.fields);
    setErrors(split.general);
  };

  return (
    <section className="uploader" aria-labelledby="upload-title">
      <h2 id="upload-title">{t('layers.upload')}</h2>
      <div
        className={`dropzone${dragging ? ' is-dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>{t('layers.dropHere')}</p>
        <input ref={input} id="layer-file" type="file" className="sr-only" accept=".geojson,.json,.geojsonl,.ndjson,.jsonl,.kml,.kmz,.gpx,.csv,.txt,.tsv,.zip,.gpkg,.tif,.tiff" onChange={(e) => void choose(e.target.files?.[0] ?? null)} />
        <button type="button" className="btn" onClick={() => input.current?.click()}>
          {t('layers.chooseFile')}
        </button>
        <p className="muted">{t('layers.formats')}</p>
      </div>
      <div className="form-inline">
        <TextField name="crs" label={t('layers.crs')} value={crs} onChange={setCrs} placeholder="EPSG:32632" hint={t('layers.crsHint')} />
        {file ? (
          <button type="button" className="btn btn--small" onClick={() => void choose(file, crs)}>
            {t('layers.previewAgain')}
          </button>
        ) : null}
      </div>
      {busy && !preview ? <p>{t('common.loading')}</p> : null}
      <ErrorList errors={errors} />
      {preview && file ? (
        <div className="preview" data-testid="import-preview">
          <h3>
            {t('layers.preview')} — {file.name}
          </h3>
          <dl className="props">
            <div>
              <dt>{t('layers.format')}</dt>
              <dd>{preview.format}</dd>
            </div>
            <div>
              <dt>{t('layers.crs')}</dt>
              <dd>{preview.crs}</dd>
            </div>
            <div>
              <dt>{t('layers.features')}</dt>
              <dd data-testid="preview-count">{fmt.integer(preview.featureCount)}</dd>
            </div>
            <div>
              <dt>{t('layers.skipped')}</dt>
              <dd>{fmt.integer(preview.skippedCount)}</dd>
            </div>
            <div>
              <dt>{t('layers.geometryTypes')}</dt>
              <dd>{preview.geometryTypes.join(', ') || '—'}</dd>
            </div>
            <div>
              <dt>{t('layers.attributes')}</dt>
              <dd>{preview.attributes.map((a) => `${a.name} (${a.type.toLowerCase()})`).join(', ') || '—'}</dd>
            </div>
          </dl>
          {preview.warnings.length ? (
            <details>
              <summary>{t('layers.warnings', { count: preview.warnings.length })}</summary>
              <ul>
                {preview.warnings.slice(0, 50).map((w) => (
                  <li key={w.index}>
                    {w.location} : {w.reason}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          <LazyPreviewMap data={preview.features} />
          {!importId ? (
            <div className="form-grid">
              <TextField name="name" label={t('field.name')} value={name} onChange={setName} required error={fieldErrors.name} />
              <SelectField name="kind" label={t('field.kind')} value={kind} onChange={(v) => setKind(v as LayerKind)} options={LAYER_KINDS.map((k) => ({ value: k, label: t(`layerKind.${k}` as MessageKey) }))} error={fieldErrors.kind} />
              <TextField name="description" label={t('field.description')} value={description} onChange={setDescription} multiline rows={2} error={fieldErrors.description} />
              <div className="form-actions">
                <button type="button" className="btn btn--primary" disabled={busy || !name.trim() || preview.featureCount === 0} onClick={() => void start()}>
                  {t('layers.import')}
                </button>
              </div>
            </div>
          ) : (
            <ImportProgressView id={importId} expected={preview.featureCount} onDone={onImported} />
          )}
        </div>
      ) : null}
    </section>
  );
}

/** Live progress of an import: the `importProgress` subscription, or polling when WebSocket is unavailable. */
function ImportProgressView({ id, expected, onDone }: { id: string; expected: number; onDone: () => void }) {
  const { t, fmt } = useI18n();
  const [{ data: live, error: wsError }] = useSubscription({ query: ImportProgressSubscription, variables: { id } });
  const [polled, poll] = useQuery({ query: ImportQuery, variables: { id }, pause: !wsError, requestPolicy: 'network-only' });
  const doneRef = useRef(false);
  const state = live?.importProgress
    ? { status: live.importProgress.status, written: live.importProgress.featuresWritten, error: live.importProgress.error, layerId: live.importProgress.layerId }
    : polled.data?.import
      ? { status: polled.data.import.status, written: polled.data.import.featuresWritten, error: polled.data.import.error, layerId: polled.data.import.layer?.id }
      : null;
  const final = state?.status === 'SUCCEEDED' || state?.status === 'FAILED';
  if (final && !doneRef.current) {
    doneRef.current = true;
    queueMicrotask(onDone);
  }
  if (wsError && !final && !polled.fetching) window.setTimeout(() => poll({ requestPolicy: 'network-only' }), 1000);
  const pct = state ? Math.min(100, expected ? Math.round((state.written / expected) * 100) : final ? 100 : 0) : 0;
  return (
    <div className="progress-box" data-testid="import-progress" data-status={state?.status ?? 'PENDING'}>
      <label htmlFor={`progress-${id}`}>
        {t(`importStatus.${state?.status ?? 'PENDING'}` as MessageKey)} — {fmt.integer(state?.written ?? 0)} / {fmt.integer(expected)}
      </label>
      <progress id={`progress-${id}`} max={100} value={pct}>
        {pct} %
      </progress>
      {state?.error ? <div className="field__error">{state.error}</div> : null}
      {state?.status === 'SUCCEEDED' && state.layerId ? (
        <p>
          <Link to={`/couches/${state.layerId}`}>{t('layers.open')}</Link> · <Link to="/carte">{t('common.showOnMap')}</Link>
        </p>
      ) : null}
    </div>
  );
}
