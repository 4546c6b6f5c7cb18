import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { OperatorFilterInput, OperatorStatus } from '../gql/graphql';
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
import { PageHeader, StatusBadge } from '../components/ListTools';
import { SelectField, TextField } from '../components/Field';
import { EntityForm, type FormField } from '../components/EntityForm';
import { ErrorList } from '../components/Notice';
import { ReadOnlyView } from '../components/ReadOnlyView';

const PAGE = 20;
const STATUSES: OperatorStatus[] = ['ACTIVE', 'INACTIVE'];

const ListQuery = graphql(`
  query Operators($first: Int!, $after: String, $filter: OperatorFilterInput) {
    operators(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        slug
        country
        status
        websiteUrl
        commodities {
          code
        }
      }
    }
  }
`);
const OneQuery = graphql(`
  query Operator($id: ID!) {
    operator(id: $id) {
      id
      name
      slug
      country
      status
      description
      websiteUrl
      logoUrl
      updatedAt
      commodities {
        code
      }
    }
  }
`);
const Create = graphql(`
  mutation CreateOperator($input: OperatorInput!) {
    createOperator(input: $input) {
      id
    }
  }
`);
const Update = graphql(`
  mutation UpdateOperator($id: ID!, $input: OperatorPatch!) {
    updateOperator(id: $id, input: $input) {
      id
      name
      updatedAt
    }
  }
`);
const Delete = graphql(`
  mutation DeleteOperator($id: ID!) {
    deleteOperator(id: $id)
  }
`);

export function OperatorsPage() {
  const { t } = useI18n();
  const { user } = useAuth();
  const { commodities } = useOptions();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('');
  const [commodity, setCommodity] = useState('');
  const q = useDebounced(search.trim(), 250);
  const filter = useMemo<OperatorFilterInput>(() => {
    const f: OperatorFilterInput = {};
    if (q) f.search = q;
    if (status) f.status = [status as OperatorStatus];
    if (commodity) f.commodityCode = [commodity];
    return f;
  }, [q, status, commodity]);
  const [pager, setPager] = usePagedFilter(filter);
  const [{ data, fetching, error }] = useQuery({ query: ListQuery, variables: { first: PAGE, after: after(pager), filter } });
  const conn = data?.operators;
  return (
    <RecordList
      title={t('operators.title')}
      create={canCreate(user, 'operator') ? { to: '/operateurs/nouveau', label: t('operators.new') } : null}
      onReset={() => {
        setSearch('');
        setStatus('');
        setCommodity('');
      }}
      filters={
        <>
          <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
          <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
          <SelectField name="commodity" label={t('field.commodity')} value={commodity} onChange={setCommodity} emptyLabel={t('common.all')} options={commodities} />
        </>
      }
      columns={[t('field.name'), t('field.country'), t('field.status'), t('field.commodities'), t('field.websiteUrl')]}
      fetching={fetching}
      error={error}
      connection={conn}
      pager={pager}
      onPager={setPager}
    >
      {conn?.nodes.map((o) => (
        <tr key={o.id} data-row-id={o.id}>
          <td>
            <Link to={`/operateurs/${o.id}`}>{o.name}</Link>
          </td>
          <td>{o.country}</td>
          <td>
            <StatusBadge status={o.status} label={t(`status.${o.status}` as MessageKey)} />
          </td>
          <td>{o.commodities.map((c) => c.code).join(', ') || '—'}</td>
          <td>
            {o.websiteUrl ? (
              <a href={o.websiteUrl} target="_blank" rel="noreferrer noopener">
                {o.websiteUrl.replace(/^https?:\/\//, '')}
              </a>
            ) : (
              '—'
            )}
          </td>
          <td className="actions">
            {canEdit(user, 'operator', o.id) ? (
              <Link to={`/operateurs/${o.id}`} className="btn btn--small" data-testid="edit">
                {t('common.edit')}
              </Link>
            ) : null}
          </td>
        </tr>
      ))}
    </RecordList>
  );
}

export function OperatorEditPage() {
  const { id = '' } = useParams();
  const creating = id === 'nouveau';
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const { commodities, ready } = useOptions();
  const [{ data, fetching, error }] = useQuery({ query: OneQuery, variables: { id }, pause: creating, requestPolicy: 'network-only' });
  const [, create] = useMutation(Create);
  const [, update] = useMutation(Update);
  const [, remove] = useMutation(Delete);
  const [deleteErrors, setDeleteErrors] = useState<ReturnType<typeof apiErrors>>([]);
  const o = data?.operator;
  const fields: FormField[] = [
    { name: 'name', label: 'field.name', kind: 'text', required: true },
    { name: 'slug', label: 'field.slug', kind: 'text' },
    { name: 'country', label: 'field.country', kind: 'text', required: true },
    { name: 'status', label: 'field.status', kind: 'select', required: true, options: STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })) },
    { name: 'websiteUrl', label: 'field.websiteUrl', kind: 'text' },
    { name: 'logoUrl', label: 'field.logoUrl', kind: 'text' },
    { name: 'description', label: 'field.description', kind: 'textarea' },
    { name: 'commodityCodes', label: 'field.commodities', kind: 'multiselect', options: commodities },
  ];
  const blank: FormValues = { name: '', slug: '', country: 'GA', status: 'ACTIVE', websiteUrl: '', logoUrl: '', description: '', commodityCodes: [] };

  if (creating) {
    if (!canCreate(user, 'operator')) return <ReadOnlyView title={t('operators.new')} rows={[]} />;
    if (!ready) return <p>{t('common.loading')}</p>;
    return (
      <section className="page">
        <PageHeader title={t('operators.new')} />
        <EntityForm
          fields={fields}
          blank={blank}
          onSubmit={async (input) => {
            const r = await create({ input: input as never }, { additionalTypenames: ['Operator'] });
            if (r.data?.createOperator) {
              navigate(`/operateurs/${r.data.createOperator.id}`, { replace: true });
              return null;
            }
            return apiErrors(r.error);
          }}
        />
      </section>
    );
  }
  if (fetching && !o) return <p>{t('common.loading')}</p>;
  if (error) return <ErrorList errors={apiErrors(error)} />;
  if (!o) return <ErrorList errors={[{ message: t('common.notFound'), code: 'NOT_FOUND' }]} />;
  if (canEdit(user, 'operator', o.id) && !ready) return <p className="page">{t('common.loading')}</p>;
  if (!canEdit(user, 'operator', o.id)) {
    return (
      <ReadOnlyView
        title={o.name}
        rows={[
          [t('field.slug'), o.slug],
          [t('field.country'), o.country],
          [t('field.status'), t(`status.${o.status}` as MessageKey)],
          [t('field.commodities'), o.commodities.map((c) => c.code).join(', ') || '—'],
          [t('field.websiteUrl'), o.websiteUrl ?? '—'],
          [t('field.description'), o.description ?? '—'],
          [t('field.updatedAt'), fmt.dateTime(o.updatedAt)],
        ]}
      />
    );
  }
  const initial: FormValues = {
    name: o.name,
    slug: o.slug,
    country: o.country,
    status: o.status,
    websiteUrl: toFormValue(o.websiteUrl, 'text'),
    logoUrl: toFormValue(o.logoUrl, 'text'),
    description: toFormValue(o.description, 'textarea'),
    commodityCodes: o.commodities.map((c) => c.code),
  };
  return (
    <section className="page">
      <PageHeader title={`${t('operators.edit')} : ${o.name}`} />
      <EntityForm
        key={o.id}
        fields={fields}
        blank={blank}
        initial={initial}
        onSubmit={async (input) => {
          const r = await update({ id: o.id, input: input as never }, { additionalTypenames: ['Operator'] });
          return r.data?.updateOperator ? null : apiErrors(r.error);
        }}
        extraActions={
          canDelete(user, 'operator', o.id) ? (
            <DeleteButton
              name={o.name}
              remove={async () => {
                const r = await remove({ id: o.id }, { additionalTypenames: ['Operator'] });
                if (!r.data?.deleteOperator) return apiErrors(r.error);
                navigate('/operateurs');
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
