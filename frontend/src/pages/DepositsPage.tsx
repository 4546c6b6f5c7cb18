import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { DepositFilterInput, DepositStatus } from '../gql/graphql';
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
export const DEPOSIT_STATUSES: DepositStatus[] = ['ACTIVE', 'DEVELOPMENT', 'EXPLORATION', 'CLOSED'];

const DepositsQuery = graphql(`
  query Deposits($first: Int!, $after: String, $filter: DepositFilterInput) {
    deposits(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        status
        province
        discoveryDate
        geometry
        commodity {
          code
          nameFr
          nameEn
          color
        }
        operator {
          id
          name
        }
      }
    }
  }
`);

const DepositQuery = graphql(`
  query Deposit($id: ID!) {
    deposit(id: $id) {
      id
      name
      status
      geometry
      estimatedQuantity
      quantityUnit
      grade
      gradeUnit
      discoveryDate
      province
      description
      properties
      updatedAt
      commodity {
        code
      }
      operator {
        id
        name
      }
    }
  }
`);

const CreateDeposit = graphql(`
  mutation CreateDeposit($input: DepositInput!) {
    createDeposit(input: $input) {
      id
    }
  }
`);

const UpdateDeposit = graphql(`
  mutation UpdateDeposit($id: ID!, $input: DepositPatch!) {
    updateDeposit(id: $id, input: $input) {
      id
      name
      status
      updatedAt
    }
  }
`);

const DeleteDeposit = graphql(`
  mutation DeleteDeposit($id: ID!) {
    deleteDeposit(id: $id)
  }
`);

export function DepositsPage() {
  const { t, fmt, locale } = useI18n();
  const { user } = useAuth();
  const [params] = useSearchParams();
  const { commodities, operators } = useOptions();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState(params.get('statut') ?? '');
  const [commodity, setCommodity] = useState('');
  const [operator, setOperator] = useState('');
  const q = useDebounced(search.trim(), 250);

  const filter = useMemo<DepositFilterInput>(() => {
    const f: DepositFilterInput = {};
    if (q) f.search = q;
    if (status) f.status = [status as DepositStatus];
    if (commodity) f.commodityCode = [commodity];
    if (operator) f.operatorId = [operator];
    return f;
  }, [q, status, commodity, operator]);
  const [pager, setPager] = usePagedFilter(filter);

  const [{ data, fetching, error }] = useQuery({ query: DepositsQuery, variables: { first: PAGE, after: after(pager), filter } });
  const conn = data?.deposits;

  return (
    <RecordList
      title={t('deposits.title')}
      create={canCreate(user, 'deposit') ? { to: '/gisements/nouveau', label: t('deposits.new') } : null}
      onReset={() => {
        setSearch('');
        setStatus('');
        setCommodity('');
        setOperator('');
      }}
      filters={
        <>
          <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
          <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={DEPOSIT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
          <SelectField name="commodity" label={t('field.commodity')} value={commodity} onChange={setCommodity} emptyLabel={t('common.all')} options={commodities} />
          <SelectField name="operator" label={t('field.operator')} value={operator} onChange={setOperator} emptyLabel={t('common.all')} options={operators} />
        </>
      }
      columns={[t('field.name'), t('field.commodity'), t('field.status'), t('field.operator'), t('field.province'), t('field.discoveryDate')]}
      fetching={fetching}
      error={error}
      connection={conn}
      pager={pager}
      onPager={setPager}
    >
      {conn?.nodes.map((d) => (
        <tr key={d.id} data-row-id={d.id}>
          <td>
            <Link to={`/gisements/${d.id}`}>{d.name}</Link>
          </td>
          <td>
            {d.commodity ? (
              <>
                <span className="swatch swatch--dot" style={{ background: d.commodity.color }} /> {locale === 'fr' ? d.commodity.nameFr : d.commodity.nameEn}
              </>
            ) : (
              '—'
            )}
          </td>
          <td>
            <StatusBadge status={d.status} label={t(`status.${d.status}` as MessageKey)} />
          </td>
          <td>{d.operator?.name ?? '—'}</td>
          <td>{d.province ?? '—'}</td>
          <td>{fmt.date(d.discoveryDate)}</td>
          <td className="actions">
            <MapLink geometry={d.geometry} />
            {canEdit(user, 'deposit', d.operator?.id) ? (
              <Link to={`/gisements/${d.id}`} className="btn btn--small" data-testid="edit">
                {t('common.edit')}
              </Link>
            ) : null}
          </td>
        </tr>
      ))}
    </RecordList>
  );
}

export function DepositEditPage() {
  const { id = '' } = useParams();
  const creating = id === 'nouveau';
  const { t, fmt } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const { commodities, operators, ready } = useOptions();
  const [{ data, fetching, error }] = useQuery({ query: DepositQuery, variables: { id }, pause: creating, requestPolicy: 'network-only' });
  const [, create] = useMutation(CreateDeposit);
  const [, update] = useMutation(UpdateDeposit);
  const [, remove] = useMutation(DeleteDeposit);
  const [deleteErrors, setDeleteErrors] = useState<ReturnType<typeof apiErrors>>([]);

  const d = data?.deposit;
  const ownCompanyOnly = user?.role === 'OPERATOR';
  const operatorOptions = ownCompanyOnly && user?.operator ? [{ value: user.operator.id, label: user.operator.name }] : operators;

  const fields: FormField[] = [
    { name: 'name', label: 'field.name', kind: 'text', required: true },
    { name: 'commodityCode', label: 'field.commodity', kind: 'select', required: true, options: commodities, emptyLabel: '' },
    { name: 'status', label: 'field.status', kind: 'select', required: true, options: DEPOSIT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })) },
    { name: 'operatorId', label: 'field.operator', kind: 'select', options: operatorOptions, emptyLabel: ownCompanyOnly ? undefined : t('common.none'), locked: ownCompanyOnly && !creating },
    { name: 'province', label: 'field.province', kind: 'text' },
    { name: 'discoveryDate', label: 'field.discoveryDate', kind: 'date' },
    { name: 'estimatedQuantity', label: 'field.estimatedQuantity', kind: 'number' },
    { name: 'quantityUnit', label: 'field.quantityUnit', kind: 'text' },
    { name: 'grade', label: 'field.grade', kind: 'number' },
    { name: 'gradeUnit', label: 'field.gradeUnit', kind: 'text' },
    { name: 'description', label: 'field.description', kind: 'textarea' },
    { name: 'geometry', label: 'field.geometry', kind: 'geometry', required: true, modes: ['point', 'polygon'] },
    { name: 'properties', label: 'field.properties', kind: 'json' },
  ];

  const blank: FormValues = { name: '', commodityCode: '', status: 'EXPLORATION', operatorId: ownCompanyOnly && user?.operator ? user.operator.id : '', province: '', discoveryDate: '', estimatedQuantity: '', quantityUnit: '', grade: '', gradeUnit: '', description: '', geometry: '', properties: '' };

  if (creating) {
    if (!canCreate(user, 'deposit')) return <ReadOnlyView title={t('deposits.new')} rows={[]} />;
    if (!ready) return <p>{t('common.loading')}</p>;
    return (
      <section className="page">
        <PageHeader title={t('deposits.new')} />
        <EntityForm
          fields={fields}
          blank={blank}
          onSubmit={async (input) => {
            const r = await create({ input: input as never }, { additionalTypenames: ['Deposit'] });
            if (r.data?.createDeposit) {
              navigate(`/gisements/${r.data.createDeposit.id}`, { replace: true });
              return null;
            }
            return apiErrors(r.error);
          }}
        />
      </section>
    );
  }

  if (fetching && !d) return <p>{t('common.loading')}</p>;
  if (error) return <ErrorList errors={apiErrors(error)} />;
  if (!d) return <ErrorList errors={[{ message: t('common.notFound'), code: 'NOT_FOUND' }]} />;

  const initial: FormValues = {
    name: d.name,
    commodityCode: d.commodity?.code ?? '',
    status: d.status,
    operatorId: d.operator?.id ?? '',
    province: toFormValue(d.province, 'text'),
    discoveryDate: toFormValue(d.discoveryDate, 'date'),
    estimatedQuantity: toFormValue(d.estimatedQuantity, 'number'),
    quantityUnit: toFormValue(d.quantityUnit, 'text'),
    grade: toFormValue(d.grade, 'number'),
    gradeUnit: toFormValue(d.gradeUnit, 'text'),
    description: toFormValue(d.description, 'textarea'),
    geometry: toFormValue(d.geometry, 'geometry'),
    properties: toFormValue(d.properties, 'json'),
  };

  if (canEdit(user, 'deposit', d.operator?.id) && !ready) return <p className="page">{t('common.loading')}</p>;
  if (!canEdit(user, 'deposit', d.operator?.id)) {
    return (
      <ReadOnlyView
        title={d.name}
        geometry={d.geometry}
        rows={[
          [t('field.commodity'), d.commodity?.code ?? '—'],
          [t('field.status'), t(`status.${d.status}` as MessageKey)],
          [t('field.operator'), d.operator?.name ?? '—'],
          [t('field.province'), d.province ?? '—'],
          [t('field.discoveryDate'), fmt.date(d.discoveryDate)],
          [t('field.estimatedQuantity'), d.estimatedQuantity !== null && d.estimatedQuantity !== undefined ? `${fmt.number(d.estimatedQuantity)} ${d.quantityUnit ?? ''}` : '—'],
          [t('field.grade'), d.grade !== null && d.grade !== undefined ? `${fmt.number(d.grade)} ${d.gradeUnit ?? ''}` : '—'],
          [t('field.description'), d.description ?? '—'],
          [t('field.updatedAt'), fmt.dateTime(d.updatedAt)],
        ]}
      />
    );
  }

  return (
    <section className="page">
      <PageHeader title={`${t('deposits.edit')} : ${d.name}`} actions={<MapLink geometry={d.geometry} withText />} />
      <EntityForm
        key={d.id}
        fields={fields}
        blank={blank}
        initial={initial}
        onSubmit={async (input) => {
          const r = await update({ id: d.id, input: input as never }, { additionalTypenames: ['Deposit'] });
          return r.data?.updateDeposit ? null : apiErrors(r.error);
        }}
        extraActions={
          canDelete(user, 'deposit', d.operator?.id) ? (
            <DeleteButton
              name={d.name}
              remove={async () => {
                const r = await remove({ id: d.id }, { additionalTypenames: ['Deposit'] });
                if (!r.data?.deleteDeposit) return apiErrors(r.error);
                navigate('/gisements');
                return null;
              }}
              onErrors={setDeleteErrors}
            />
          ) : null
        }
      />
      <ErrorList errors={deleteErrors} />
      <p className="muted">
        {t('field.updatedAt')} : {fmt.dateTime(d.updatedAt)}
      </p>
    </section>
  );
}
