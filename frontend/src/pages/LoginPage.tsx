import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n';
import { useTitle } from '../lib/useTitle';
import { TextField } from '../components/Field';

export const SESSION_ENDED_FLAG = 'odg.sessionEnded';

/** The user-facing reason of a refused sign-in; the server's wording stays generic on purpose. */
export function signInErrorKey(errors: { message: string; code?: string }[]): 'login.failed' | 'login.throttled' | 'login.network' {
  if (errors.some((e) => e.code === 'NETWORK')) return 'login.network';
  if (errors.some((e) => /too many sign-in attempts/i.test(e.message))) return 'login.throttled';
  return 'login.failed';
}

export function LoginPage() {
  const { t, locale, setLocale } = useI18n();
  useTitle(t('login.title'));
  const { user, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [identifier, setIdentifier] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(() => {
    try {
      if (sessionStorage.getItem(SESSION_ENDED_FLAG)) {
        sessionStorage.removeItem(SESSION_ENDED_FLAG);
        return 'login.expired';
      }
    } catch {
      /* ignore */
    }
    return null;
  });
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (user) return <Navigate to={from === '/connexion' ? '/' : from} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const errors = await login(identifier.trim(), password);
    setBusy(false);
    if (errors) {
      setError(signInErrorKey(errors));
      setPassword('');
      return;
    }
    navigate(from === '/connexion' ? '/' : from, { replace: true });
  };

  return (
    <main className="login">
      <form className="login__card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <div className="login__head">
          <h1 id="login-title">{t('login.title')}</h1>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => setLocale(locale === 'fr' ? 'en' : 'fr')} data-testid="lang-switch">
            {t('lang.switch')}
          </button>
        </div>
        <p className="muted">{t('app.title')}</p>
        <p>{t('login.intro')}</p>
        {error ? (
          <div className="notice notice--error" role="alert" data-testid="login-error">
            {t(error as 'login.failed')}
          </div>
        ) : null}
        <TextField name="identifier" label={t('login.identifier')} value={identifier} onChange={setIdentifier} autoComplete="username" required />
        <TextField name="password" type="password" label={t('login.password')} value={password} onChange={setPassword} autoComplete="current-password" required />
        <button type="submit" className="btn btn--primary" disabled={busy || !identifier || !password}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}
