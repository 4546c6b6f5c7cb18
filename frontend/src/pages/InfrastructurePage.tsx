import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { InfrastructureFilterInput, InfrastructureKind, InfrastructureStatus } from '../gql/graphql';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { useAuth } from '../auth/AuthProvider';
import { canCreate, canDelete, canEdit } from '../lib/permissions';
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
const KINDS: InfrastructureKind[] = ['ROAD', 'RAILWAY', 'PIPELINE', 'POWER_LINE', 'PORT', 'OTHER'];
const STATUSES: InfrastructureStatus[] = ['OPERATIONAL', 'UNDER_CONSTRUCTION', 'PLANNED', 'DECOMMISSIONED'];

const ListQuery = graphql(`
  query Infrastructures($first: Int!, $after: String, $filter: InfrastructureFilterInput) {
    infrastructures(first: $first, after: $after, filter: $filter) {
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
        lengthKm
        capacity
        capacityUnit
        geometry
      }
    }
  }
`);
const OneQuery = graphql(`
  query Infrastructure($id: ID!) {
    infrastructure(id: $id) {
      id
      name
      kind
      status
      geometry
      lengthKm
      capacity
      capacityUnit
      description
      updatedAt
    }
  }
`);
const Create = graphql(`
  mutation CreateInfrastructure($input: InfrastructureInput!) {
    createInfrastructure(input: $input) {
      id
    }
  }
`);
const Update = graphql(`
  mutation UpdateInfrastructure($id: ID!, $input: InfrastructurePatch!) {
    updateInfrastructure(id: $id, input: $input) {
      id
      name
      lengthKm
      updatedAt
    }
  }
`);
const Delete = graphql(`
  mutation DeleteInfrastructure($id: ID!) {
    deleteInfrastructure(id: $id)
  }
`);

export function InfrastructurePage() {
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const q = useDebounced(search.trim(), 250);
  const filter = useMemo<InfrastructureFilterInput>(() => {
    const f: InfrastructureFilterInput = {};
    if (q) f.search = q;
    if (kind) f.kind = [kind as InfrastructureKind];
    if (status) f.status = [status as InfrastructureStatus];
    return f;
  }, [q, kind, status]);
  const [pager, setPager] = usePagedFilter(filter);
  const [{ data, fetching, error }] = useQuery({ query: ListQuery, variables: { first: PAGE, after: after(pager), filter } });
  const conn = data?.infrastructures;
  return (
    <RecordList
      title={t('infrastructure.title')}
      create={canCreate(user, 'infrastructure') ? { to: '/infrastructures/nouveau', label: t('infrastructure.new') } : null}
      onReset={() => {
        setSearch('');
        setKind('');
        setStatus('');
      }}
      filters={
        <>
          <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
          <SelectField name="kind" label={t('field.kind')} value={kind} onChange={setKind} emptyLabel={t('common.all')} options={KINDS.map((k) => ({ value: k, label: t(`kind.${k}` as MessageKey) }))} />
          <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
        </>
      }
      columns={[t('field.name'), t('field.kind'), t('field.status'), t('field.lengthKm'), t('field.capacity')]}
      fetching={fetching}
      error={error}
      connection={conn}
      pager={pager}
      onPager={setPager}
    >
      {conn?.nodes.map((i) => (
        <tr key={i.id} data-row-id={i.id}>
          <td>
            <Link to={`/infrastructures/${i.id}`}>{i.name}</Link>
          </td>
          <td>{t(`kind.${i.kind}` as MessageKey)}</td>
          <td>
            <StatusBadge status={i.status} label={t(`status.${i.status}` as MessageKey)} />
          </td>
          <td>{i.lengthKm ? fmt.lengthKm(i.lengthKm) : '—'}</td>
          <td>{i.capacity !== null && i.capacity !== undefined ? `${fmt.number(i.capacity)} ${i.capacityUnit ?? ''}` : '—'}</td>
          <td className="actions">
            <MapLink geometry={i.geometry} />
            {canEdit(user, 'infrastructure', null) ? (
              <Link to={`/infrastructures/${i.id}`} className="btn btn--small" data-testid="edit">
                {t('common.edit')}
              </Link>
            ) : null}
          </td>
        </tr>
      ))}
    </RecordList>
  );
}

export function InfrastructureEditPage() {
  const { id = '' } = useParams();
  const creating = id === 'nouveau';
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const [{ data, fetching, error }] = useQuery({ query: OneQuery, variables: { id }, pause: creating, requestPolicy: 'network-only' });
  const [, create] = useMutation(Create);
  const [, update] = useMutation(Update);
  const [, remove] = useMutation(Delete);
  const [deleteErrors, setDeleteErrors] = useState<ReturnType<typeof apiErrors>>([]);
  const i = data?.infrastructure;
  const fields: FormField[] = [
    { name: 'name', label: 'field.name', kind: 'text', required: true },
    { name: 'kind', label: 'field.kind', kind: 'select', required: true, options: KINDS.map((k) => ({ value: k, label: t(`kind.${k}` as MessageKey) })) },
    { name: 'status', label: 'field.status', kind: 'select', required: true, options: STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })) },
    { name: 'capacity', label: 'field.capacity', kind: 'number' },
    { name: 'capacityUnit', label: 'field.capacityUnit', kind: 'text' },
    { name: 'description', label: 'field.description', kind: 'textarea' },
    { name: 'geometry', label: 'field.geometry', kind: 'geometry', required: true, modes: ['line', 'point'] },
  ];
  const blank: FormValues = { name: '', kind: 'ROAD', status: 'PLANNED', capacity: '', capacityUnit: '', description: '', geometry: '' };

  if (creating) {
    if (!canCreate(user, 'infrastructure')) return <ReadOnlyView title={t('infrastructure.new')} rows={[]} />;
    return (
      <section className="page">
        <PageHeader title={t('infrastructure.new')} />
        <EntityForm
          fields={fields}
          blank={blank}
          onSubmit={async (input) => {
            const r = await create({ input: input as never }, { additionalTypenames: ['Infrastructure'] });
            if (r.data?.createInfrastructure) {
              navigate(`/infrastructures/${r.data.createInfrastructure.id}`, { replace: true });
              return null;
            }
            return apiErrors(r.error);
          }}
        />
      </section>
    );
  }
  if (fetching && !i) return <p>{t('common.loading')}</p>;
  if (error) return <ErrorList errors={apiErrors(error)} />;
  if (!i) return <ErrorList errors={[{ message: t('common.notFound'), code: 'NOT_FOUND' }]} />;
  if (!canEdit(user, 'infrastructure', null)) {
    return (
      <ReadOnlyView
        title={i.name}
        geometry={i.geometry}
        rows={[
          [t('field.kind'), t(`kind.${i.kind}` as MessageKey)],
          [t('field.status'), t(`status.${i.status}` as MessageKey)],
          [t('field.lengthKm'), fmt.lengthKm(i.lengthKm)],
          [t('field.capacity'), i.capacity !== null && i.capacity !== undefined ? `${fmt.number(i.capacity)} ${i.capacityUnit ?? ''}` : '—'],
          [t('field.description'), i.description ?? '—'],
          [t('field.updatedAt'), fmt.dateTime(i.updatedAt)],
        ]}
      />
    );
  }
  const initial: FormValues = {
    name: i.name,
    kind: i.kind,
    status: i.status,
    capacity: toFormValue(i.capacity, 'number'),
    capacityUnit: toFormValue(i.capacityUnit, 'text'),
    description: toFormValue(i.description, 'textarea'),
    geometry: toFormValue(i.geometry, 'geometry'),
  };
  return (
    <section className="page">
      <PageHeader title={`${t('infrastructure.edit')} : ${i.name}`} actions={<MapLink geometry={i.geometry} withText />} />
      <p>
        {t('field.lengthKm')} : <strong>{fmt.lengthKm(i.lengthKm)}</strong>
      </p>
      <EntityForm
        key={i.id}
        fields={fields}
        blank={blank}
        initial={initial}
        onSubmit={async (input) => {
          const r = await update({ id: i.id, input: input as never }, { additionalTypenames: ['Infrastructure'] });
          return r.data?.updateInfrastructure ? null : apiErrors(r.error);
        }}
        extraActions={
          canDelete(user, 'infrastructure', null) ? (
            <DeleteButton
              name={i.name}
              remove={async () => {
                const r = await remove({ id: i.id }, { additionalTypenames: ['Infrastructure'] });
                if (!r.data?.deleteInfrastructure) return apiErrors(r.error);
                navigate('/infrastructures');
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
