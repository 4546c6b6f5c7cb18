import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ChangePasswordMutation } from '../auth/documents';
import { sessionFromPayload } from '../auth/session';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n';
import { useTitle } from '../lib/useTitle';
import type { MessageKey } from '../i18n/fr';
import { apiErrors, toFormErrors, type ApiError } from '../graphql/errors';
import { TextField } from '../components/Field';
import { ErrorList, Success } from '../components/Notice';

export function AccountPage() {
  const { t } = useI18n();
  useTitle(t('account.title'));
  const { user, adopt } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<ApiError[]>([]);
  const [done, setDone] = useState(false);
  const [, change] = useMutation(ChangePasswordMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    setGeneral([]);
    if (next !== confirm) {
      setFieldErrors({ confirm: t('account.mismatch') });
      return;
    }
    const r = await change({ currentPassword: current, newPassword: next });
    if (r.data?.changePassword) {
      adopt(sessionFromPayload(r.data.changePassword));
      setFieldErrors({});
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone(true);
      return;
    }
    const split = toFormErrors(apiErrors(r.error), ['currentPassword', 'newPassword']);
    setFieldErrors(split.fields);
    setGeneral(split.general);
  };

  return (
    <section className="page">
      <h1>{t('account.title')}</h1>
      {user ? (
        <dl className="props props--wide">
          <div>
            <dt>{t('field.username')}</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>{t('field.displayName')}</dt>
            <dd>{user.displayName}</dd>
          </div>
          <div>
            <dt>{t('field.email')}</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>{t('field.role')}</dt>
            <dd>
              {t(`role.${user.role}` as MessageKey)}
              {user.operator ? ` — ${user.operator.name}` : ''}
            </dd>
          </div>
        </dl>
      ) : null}
      <h2 style={{ marginTop: '1.2rem' }}>{t('account.changePassword')}</h2>
      <form className="entity-form narrow" onSubmit={submit} noValidate>
        <TextField name="currentPassword" type="password" label={t('account.currentPassword')} value={current} onChange={setCurrent} autoComplete="current-password" error={fieldErrors.currentPassword} required />
        <TextField name="newPassword" type="password" label={t('account.newPassword')} value={next} onChange={setNext} autoComplete="new-password" hint={t('account.policy')} error={fieldErrors.newPassword} required />
        <TextField name="confirm" type="password" label={t('account.confirmPassword')} value={confirm} onChange={setConfirm} autoComplete="new-password" error={fieldErrors.confirm} required />
        <ErrorList errors={general} />
        <Success text={done ? t('account.changed') : null} />
        <button type="submit" className="btn btn--primary" disabled={!current || !next || !confirm}>
          {t('account.changePassword')}
        </button>
      </form>
    </section>
  );
}
