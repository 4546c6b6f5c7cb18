import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ExploitationAreaFilterInput, PermitStatus } from '../gql/graphql';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { useAuth } from '../auth/AuthProvider';
import { canCreate, canDelete, canEdit } from '../lib/permissions';
import { useOptions } from '../lib/useOptions';
import { useDebounced } from '../lib/useDebounced';
import { toFormValue, type FormValues } from '../lib/form';
import { apiErrors } from '../graphql/errors';
import { after } from '../components/Pager';
import { DeleteButton, RecordList } from '../components/RecordList';
import { usePagedFilter } from '../lib/usePagedFilter';
import { MapLink, PageHeader, StatusBadge } from '../components/ListTools';
import { SelectField, TextField } from '../components/Field';
import { EntityForm, type FormField } from '../components/EntityForm';
import { ErrorList } from '../components/Notice';
import { ReadOnlyView } from '../components/ReadOnlyView';

const PAGE = 20;
export const PERMIT_STATUSES: PermitStatus[] = ['ACTIVE', 'PENDING', 'EXPIRED', 'TERMINATED'];

const AreasQuery = graphql(`
  query ExploitationAreas($first: Int!, $after: String, $filter: ExploitationAreaFilterInput) {
    exploitationAreas(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        permitNumber
        status
        areaKm2
        validFrom
        validTo
        geometry
        operator {
          id
          name
        }
      }
    }
  }
`);

const AreaQuery = graphql(`
  query ExploitationArea($id: ID!) {
    exploitationArea(id: $id) {
      id
      name
      permitNumber
      status
      geometry
      areaKm2
      validFrom
      validTo
      extractedVolume
      extractedVolumeUnit
      updatedAt
      operator {
        id
        name
      }
    }
  }
`);

const CreateArea = graphql(`
  mutation CreateExploitationArea($input: ExploitationAreaInput!) {
    createExploitationArea(input: $input) {
      id
    }
  }
`);
const UpdateArea = graphql(`
  mutation UpdateExploitationArea($id: ID!, $input: ExploitationAreaPatch!) {
    updateExploitationArea(id: $id, input: $input) {
      id
      name
      areaKm2
      updatedAt
    }
  }
`);
const DeleteArea = graphql(`
  mutation DeleteExploitationArea($id: ID!) {
    deleteExploitationArea(id: $id)
  }
`);

export function AreasPage() {
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const [params] = useSearchParams();
  const { operators } = useOptions();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState(params.get('statut') ?? '');
  const [operator, setOperator] = useState('');
  const [validOn, setValidOn] = useState('');
  const q = useDebounced(search.trim(), 250);
  const filter = useMemo<ExploitationAreaFilterInput>(() => {
    const f: ExploitationAreaFilterInput = {};
    if (q) f.search = q;
    if (status) f.status = [status as PermitStatus];
    if (operator) f.operatorId = [operator];
    if (validOn) f.validDuring = { from: validOn, to: validOn };
    return f;
  }, [q, status, operator, validOn]);
  const [pager, setPager] = usePagedFilter(filter);
  const [{ data, fetching, error }] = useQuery({ query: AreasQuery, variables: { first: PAGE, after: after(pager), filter } });
  const conn = data?.exploitationAreas;

  return (
    <RecordList
      title={t('areas.title')}
      create={canCreate(user, 'exploitationArea') ? { to: '/permis/nouveau', label: t('areas.new') } : null}
      onReset={() => {
        setSearch('');
        setStatus('');
        setOperator('');
        setValidOn('');
      }}
      filters={
        <>
          <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
          <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={PERMIT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
          <SelectField name="operator" label={t('field.operator')} value={operator} onChange={setOperator} emptyLabel={t('common.all')} options={operators} />
          <TextField name="validOn" type="date" label={t('field.validOn')} value={validOn} onChange={setValidOn} />
        </>
      }
      columns={[t('field.name'), t('field.permitNumber'), t('field.status'), t('field.operator'), t('field.areaKm2'), t('field.validFrom'), t('field.validTo')]}
      fetching={fetching}
      error={error}
      connection={conn}
      pager={pager}
      onPager={setPager}
    >
      {conn?.nodes.map((a) => (
        <tr key={a.id} data-row-id={a.id}>
          <td>
            <Link to={`/permis/${a.id}`}>{a.name}</Link>
          </td>
          <td>{a.permitNumber}</td>
          <td>
            <StatusBadge status={a.status} label={t(`status.${a.status}` as MessageKey)} />
          </td>
          <td>{a.operator?.name ?? '—'}</td>
          <td>{fmt.areaKm2(a.areaKm2)}</td>
          <td>{fmt.date(a.validFrom)}</td>
          <td>{fmt.date(a.validTo)}</td>
          <td className="actions">
            <MapLink geometry={a.geometry} />
            {canEdit(user, 'exploitationArea', a.operator?.id) ? (
              <Link to={`/permis/${a.id}`} className="btn btn--small" data-testid="edit">
                {t('common.edit')}
              </Link>
            ) : null}
          </td>
        </tr>
      ))}
    </RecordList>
  );
}

export function AreaEditPage() {
  const { id = '' } = useParams();
  const creating = id === 'nouveau';
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const { operators, ready } = useOptions();
  const [{ data, fetching, error }] = useQuery({ query: AreaQuery, variables: { id }, pause: creating, requestPolicy: 'network-only' });
  const [, create] = useMutation(CreateArea);
  const [, update] = useMutation(UpdateArea);
  const [, remove] = useMutation(DeleteArea);
  const [deleteErrors, setDeleteErrors] = useState<ReturnType<typeof apiErrors>>([]);
  const a = data?.exploitationArea;
  const ownCompanyOnly = user?.role === 'OPERATOR';
  const operatorOptions = ownCompanyOnly && user?.operator ? [{ value: user.operator.id, label: user.operator.name }] : operators;

  const fields: FormField[] = [
    { name: 'name', label: 'field.name', kind: 'text', required: true },
    { name: 'permitNumber', label: 'field.permitNumber', kind: 'text', required: true },
    { name: 'status', label: 'field.status', kind: 'select', required: true, options: PERMIT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })) },
    { name: 'operatorId', label: 'field.operator', kind: 'select', options: operatorOptions, emptyLabel: ownCompanyOnly ? undefined : t('common.none'), locked: ownCompanyOnly && !creating },
    { name: 'validFrom', label: 'field.validFrom', kind: 'date' },
    { name: 'validTo', label: 'field.validTo', kind: 'date' },
    { name: 'extractedVolume', label: 'field.extractedVolume', kind: 'number' },
    { name: 'extractedVolumeUnit', label: 'field.extractedVolumeUnit', kind: 'text' },
    { name: 'geometry', label: 'field.geometry', kind: 'geometry', required: true, modes: ['polygon'] },
  ];
  const blank: FormValues = { name: '', permitNumber: '', status: 'PENDING', operatorId: ownCompanyOnly && user?.operator ? user.operator.id : '', validFrom: '', validTo: '', extractedVolume: '', extractedVolumeUnit: '', geometry: '' };

  if (creating) {
    if (!canCreate(user, 'exploitationArea')) return <ReadOnlyView title={t('areas.new')} rows={[]} />;
    if (!ready) return <p>{t('common.loading')}</p>;
    return (
      <section className="page">
        <PageHeader title={t('areas.new')} />
        <EntityForm
          fields={fields}
          blank={blank}
          onSubmit={async (input) => {
            const r = await create({ input: input as never }, { additionalTypenames: ['ExploitationArea'] });
            if (r.data?.createExploitationArea) {
              navigate(`/permis/${r.data.createExploitationArea.id}`, { replace: true });
              return null;
            }
            return apiErrors(r.error);
          }}
        />
      </section>
    );
  }
  if (fetching && !a) return <p>{t('common.loading')}</p>;
  if (error) return <ErrorList errors={apiErrors(error)} />;
  if (!a) return <ErrorList errors={[{ message: t('common.notFound'), code: 'NOT_FOUND' }]} />;

  if (canEdit(user, 'exploitationArea', a.operator?.id) && !ready) return <p className="page">{t('common.loading')}</p>;
  if (!canEdit(user, 'exploitationArea', a.operator?.id)) {
    return (
      <ReadOnlyView
        title={a.name}
        geometry={a.geometry}
        rows={[
          [t('field.permitNumber'), a.permitNumber],
          [t('field.status'), t(`status.${a.status}` as MessageKey)],
          [t('field.operator'), a.operator?.name ?? '—'],
          [t('field.areaKm2'), fmt.areaKm2(a.areaKm2)],
          [t('field.validFrom'), fmt.date(a.validFrom)],
          [t('field.validTo'), fmt.date(a.validTo)],
          [t('field.extractedVolume'), a.extractedVolume !== null && a.extractedVolume !== undefined ? `${fmt.number(a.extractedVolume)} ${a.extractedVolumeUnit ?? ''}` : '—'],
          [t('field.updatedAt'), fmt.dateTime(a.updatedAt)],
        ]}
      />
    );
  }
  const initial: FormValues = {
    name: a.name,
    permitNumber: a.permitNumber,
    status: a.status,
    operatorId: a.operator?.id ?? '',
    validFrom: toFormValue(a.validFrom, 'date'),
    validTo: toFormValue(a.validTo, 'date'),
    extractedVolume: toFormValue(a.extractedVolume, 'number'),
    extractedVolumeUnit: toFormValue(a.extractedVolumeUnit, 'text'),
    geometry: toFormValue(a.geometry, 'geometry'),
  };
  return (
    <section className="page">
      <PageHeader title={`${t('areas.edit')} : ${a.name}`} actions={<MapLink geometry={a.geometry} withText />} />
      <p>
        {t('field.areaKm2')} : <strong>{fmt.areaKm2(a.areaKm2)}</strong>
      </p>
      <EntityForm
        key={a.id}
        fields={fields}
        blank={blank}
        initial={initial}
        onSubmit={async (input) => {
          const r = await update({ id: a.id, input: input as never }, { additionalTypenames: ['ExploitationArea'] });
          return r.data?.updateExploitationArea ? null : apiErrors(r.error);
        }}
        extraActions={
          canDelete(user, 'exploitationArea', a.operator?.id) ? (
            <DeleteButton
              name={a.name}
              remove={async () => {
                const r = await remove({ id: a.id }, { additionalTypenames: ['ExploitationArea'] });
                if (!r.data?.deleteExploitationArea) return apiErrors(r.error);
                navigate('/permis');
                return null;
              }}
              onErrors={setDeleteErrors}
            />
          ) : null
        }
      />
      <ErrorList errors={deleteErrors} />
    </section>
  );
}
