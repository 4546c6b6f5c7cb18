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
import { after, Pager, type PagerState } from '../components/Pager';
import { Filters, PageHeader, StatusBadge } from '../components/ListTools';
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
  const [pager, setPager] = useState<PagerState>({ stack: [] });
  const q = useDebounced(search.trim(), 250);
  const filter = useMemo<OperatorFilterInput>(() => {
    const f: OperatorFilterInput = {};
    if (q) f.search = q;
    if (status) f.status = [status as OperatorStatus];
    if (commodity) f.commodityCode = [commodity];
    return f;
  }, [q, status, commodity]);
  const key = JSON.stringify(filter);
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setPager({ stack: [] });
  }
  const [{ data, fetching, error }] = useQuery({ query: ListQuery, variables: { first: PAGE, after: after(pager), filter } });
  const conn = data?.operators;
  return (
    <section className="page">
      <PageHeader
        title={t('operators.title')}
        actions={
          canCreate(user, 'operator') ? (
            <Link className="btn btn--primary" to="/operateurs/nouveau" data-testid="create">
              {t('operators.new')}
            </Link>
          ) : null
        }
      />
      <Filters
        onReset={() => {
          setSearch('');
          setStatus('');
          setCommodity('');
        }}
      >
        <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
        <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
        <SelectField name="commodity" label={t('field.commodity')} value={commodity} onChange={setCommodity} emptyLabel={t('common.all')} options={commodities} />
      </Filters>
      <ErrorList errors={apiErrors(error)} />
      <div className="table-wrap">
        <table className="table" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">{t('field.name')}</th>
              <th scope="col">{t('field.country')}</th>
              <th scope="col">{t('field.status')}</th>
              <th scope="col">{t('field.commodities')}</th>
              <th scope="col">{t('field.websiteUrl')}</th>
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
      <Pager state={pager} onChange={setPager} hasNextPage={!!conn?.pageInfo.hasNextPage} endCursor={conn?.pageInfo.endCursor} totalCount={conn?.totalCount} />
    </section>
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
            <button
              type="button"
              className="btn btn--danger"
              onClick={async () => {
                if (!window.confirm(t('common.confirmDelete', { name: o.name }))) return;
                const r = await remove({ id: o.id }, { additionalTypenames: ['Operator'] });
                if (r.data?.deleteOperator) navigate('/operateurs');
                else setDeleteErrors(apiErrors(r.error));
              }}
            >
              {t('common.delete')}
            </button>
          ) : null
        }
      />
      <ErrorList errors={deleteErrors} />
    </section>
  );
}
