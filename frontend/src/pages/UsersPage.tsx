import { Fragment, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { Role, UserFilterInput, UserStatus } from '../gql/graphql';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { useAuth } from '../auth/AuthProvider';
import { useOptions } from '../lib/useOptions';
import { useDebounced } from '../lib/useDebounced';
import type { FormValues } from '../lib/form';
import { apiErrors, toFormErrors, type ApiError } from '../graphql/errors';
import { after, Pager, type PagerState } from '../components/Pager';
import { Filters, PageHeader, StatusBadge } from '../components/ListTools';
import { SelectField, TextField } from '../components/Field';
import { EntityForm, type FormField } from '../components/EntityForm';
import { ErrorList, Success } from '../components/Notice';

const PAGE = 25;
const ROLES: Role[] = ['ADMIN', 'EDITOR', 'OPERATOR', 'PARTNER'];
const STATUSES: UserStatus[] = ['ACTIVE', 'SUSPENDED'];

const UsersQuery = graphql(`
  query Users($first: Int!, $after: String, $filter: UserFilterInput) {
    users(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        username
        email
        displayName
        role
        status
        lastLoginAt
        operator {
          id
          name
        }
      }
    }
  }
`);
const CreateUser = graphql(`
  mutation CreateUser($input: UserInput!) {
    createUser(input: $input) {
      id
      username
    }
  }
`);
const UpdateUser = graphql(`
  mutation UpdateUser($id: ID!, $input: UserPatchInput!) {
    updateUser(id: $id, input: $input) {
      id
      role
      status
      operator {
        id
        name
      }
    }
  }
`);
const SuspendUser = graphql(`
  mutation SuspendUser($id: ID!) {
    suspendUser(id: $id) {
      id
      status
    }
  }
`);
const ResetPassword = graphql(`
  mutation ResetUserPassword($id: ID!, $newPassword: String!) {
    resetUserPassword(id: $id, newPassword: $newPassword)
  }
`);

interface Row {
  id: string;
  username: string;
  role: Role;
  status: UserStatus;
  operator?: { id: string; name: string } | null;
}

export function UsersPage() {
  const { t, fmt } = useI18n();
  const { operators } = useOptions();
  const [search, setSearch] = useState('');
  const [role, setRole] = useState('');
  const [status, setStatus] = useState('');
  const [pager, setPager] = useState<PagerState>({ stack: [] });
  const [creating, setCreating] = useState(false);
  const [managing, setManaging] = useState<string | null>(null);
  const q = useDebounced(search.trim(), 250);
  const filter = useMemo<UserFilterInput>(() => {
    const f: UserFilterInput = {};
    if (q) f.search = q;
    if (role) f.role = [role as Role];
    if (status) f.status = [status as UserStatus];
    return f;
  }, [q, role, status]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: UsersQuery, variables: { first: PAGE, after: after(pager), filter } });
  const [, createUser] = useMutation(CreateUser);
  const conn = data?.users;
  const roleOptions = ROLES.map((r) => ({ value: r, label: t(`role.${r}` as MessageKey) }));

  const createFields: FormField[] = [
    { name: 'username', label: 'field.username', kind: 'text', required: true },
    { name: 'email', label: 'field.email', kind: 'text', required: true },
    { name: 'displayName', label: 'field.displayName', kind: 'text' },
    { name: 'role', label: 'field.role', kind: 'select', required: true, options: roleOptions },
    { name: 'operatorId', label: 'field.operator', kind: 'select', options: operators, emptyLabel: t('common.none') },
    { name: 'password', label: 'field.password', kind: 'password', required: true, hint: t('account.policy') },
  ];
  const blank: FormValues = { username: '', email: '', displayName: '', role: 'PARTNER', operatorId: '', password: '' };

  return (
    <section className="page">
      <PageHeader
        title={t('users.title')}
        actions={
          <button type="button" className="btn btn--primary" aria-expanded={creating} onClick={() => setCreating(!creating)}>
            {creating ? t('common.cancel') : t('users.new')}
          </button>
        }
      />
      {creating ? (
        <EntityForm
          fields={createFields}
          blank={blank}
          submitLabel={t('common.create')}
          onSubmit={async (input) => {
            const r = await createUser({ input: input as never }, { additionalTypenames: ['User'] });
            if (r.data?.createUser) {
              setCreating(false);
              refetch({ requestPolicy: 'network-only' });
              return null;
            }
            return apiErrors(r.error);
          }}
        />
      ) : null}
      <Filters
        onReset={() => {
          setSearch('');
          setRole('');
          setStatus('');
        }}
      >
        <TextField name="search" type="search" label={t('common.search')} value={search} onChange={setSearch} />
        <SelectField name="role" label={t('field.role')} value={role} onChange={setRole} emptyLabel={t('common.all')} options={roleOptions} />
        <SelectField name="status" label={t('field.status')} value={status} onChange={setStatus} emptyLabel={t('common.all')} options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))} />
      </Filters>
      <ErrorList errors={apiErrors(error)} />
      <div className="table-wrap">
        <table className="table" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">{t('field.username')}</th>
              <th scope="col">{t('field.displayName')}</th>
              <th scope="col">{t('field.email')}</th>
              <th scope="col">{t('field.role')}</th>
              <th scope="col">{t('field.status')}</th>
              <th scope="col">{t('field.lastLoginAt')}</th>
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {conn?.nodes.map((u) => (
              <Fragment key={u.id}>
                <tr data-row-id={u.id}>
                  <td>{u.username}</td>
                  <td>{u.displayName}</td>
                  <td>{u.email}</td>
                  <td>
                    {t(`role.${u.role}` as MessageKey)}
                    {u.operator ? ` (${u.operator.name})` : ''}
                  </td>
                  <td>
                    <StatusBadge status={u.status} label={t(`status.${u.status}` as MessageKey)} />
                  </td>
                  <td>{fmt.dateTime(u.lastLoginAt)}</td>
                  <td className="actions">
                    <button type="button" className="btn btn--small" aria-expanded={managing === u.id} onClick={() => setManaging(managing === u.id ? null : u.id)}>
                      {t('common.edit')}
                    </button>
                  </td>
                </tr>
                {managing === u.id ? (
                  <tr>
                    <td colSpan={7}>
                      <ManageUser user={u} operators={operators} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      <Pager state={pager} onChange={setPager} hasNextPage={!!conn?.pageInfo.hasNextPage} endCursor={conn?.pageInfo.endCursor} totalCount={conn?.totalCount} />
    </section>
  );
}

function ManageUser({ user, operators }: { user: Row; operators: { value: string; label: string }[] }) {
  const { t } = useI18n();
  const { user: me } = useAuth();
  const [role, setRole] = useState<string>(user.role);
  const [operatorId, setOperatorId] = useState(user.operator?.id ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<ApiError[]>([]);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [, update] = useMutation(UpdateUser);
  const [, suspend] = useMutation(SuspendUser);
  const [, reset] = useMutation(ResetPassword);
  const self = me?.id === user.id;

  const report = (errs: ApiError[], known: string[], ok: string) => {
    const split = toFormErrors(errs, known);
    setFieldErrors(split.fields);
    setErrors(split.general);
    setDone(errs.length ? null : ok);
  };

  return (
    <div className="manage-user">
      <div className="form-grid">
        <SelectField name="role" label={t('users.changeRole')} value={role} onChange={setRole} options={(['ADMIN', 'EDITOR', 'OPERATOR', 'PARTNER'] as const).map((r) => ({ value: r, label: t(`role.${r}` as MessageKey) }))} error={fieldErrors.role} />
        {role === 'OPERATOR' ? <SelectField name="operatorId" label={t('field.operator')} value={operatorId} onChange={setOperatorId} options={operators} emptyLabel="" error={fieldErrors.operatorId} /> : null}
      </div>
      <div className="form-actions">
        <button
          type="button"
          className="btn btn--primary btn--small"
          disabled={self}
          onClick={async () => {
            const input = { role: role as Role, operatorId: role === 'OPERATOR' ? operatorId || null : null };
            const r = await update({ id: user.id, input });
            report(r.data ? [] : apiErrors(r.error), ['role', 'operatorId'], t('common.saved'));
          }}
        >
          {t('users.changeRole')}
        </button>
        {user.status === 'ACTIVE' ? (
          <button
            type="button"
            className="btn btn--danger btn--small"
            disabled={self}
            onClick={async () => {
              const r = await suspend({ id: user.id });
              report(r.data ? [] : apiErrors(r.error), [], t('common.saved'));
            }}
          >
            {t('users.suspend')}
          </button>
        ) : (
          <button
            type="button"
            className="btn btn--small"
            onClick={async () => {
              const r = await update({ id: user.id, input: { status: 'ACTIVE' } });
              report(r.data ? [] : apiErrors(r.error), [], t('common.saved'));
            }}
          >
            {t('users.reactivate')}
          </button>
        )}
      </div>
      <form
        className="form-inline"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await reset({ id: user.id, newPassword: password });
          if (r.data?.resetUserPassword) setPassword('');
          report(r.data?.resetUserPassword ? [] : apiErrors(r.error), ['newPassword'], t('users.passwordReset'));
        }}
      >
        <TextField name="newPassword" type="password" label={t('users.newPassword')} value={password} onChange={setPassword} autoComplete="new-password" hint={t('account.policy')} error={fieldErrors.newPassword} />
        <button type="submit" className="btn btn--small" disabled={!password}>
          {t('users.resetPassword')}
        </button>
      </form>
      <ErrorList errors={errors} />
      <Success text={done} />
    </div>
  );
}
