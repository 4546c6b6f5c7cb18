import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useClient } from 'urql';
import { LoginMutation, LogoutMutation } from './documents';
import { getSession, refreshSession, REFRESH_MARGIN_MS, sessionFromPayload, setSession, subscribe, type Session, type SessionUser } from './session';
import { apiErrors, type ApiError } from '../graphql/errors';

interface Auth {
  session: Session | null;
  user: SessionUser | null;
  /** Resolves to null on success, else the errors. */
  login: (identifier: string, password: string) => Promise<ApiError[] | null>;
  logout: () => Promise<void>;
  /** Replaces the tokens (after a password change). */
  adopt: (s: Session) => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [session, setState] = useState<Session | null>(getSession);

  useEffect(() => subscribe(setState), []);

  // Refresh once, a minute before the access token expires. Timers of a
  // background tab may fire late; the GraphQL fetch also refreshes on demand.
  useEffect(() => {
    if (!session) return;
    const delay = Math.max(1_000, session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    const timer = window.setTimeout(() => void refreshSession(), delay);
    return () => window.clearTimeout(timer);
  }, [session]);

  const login = useCallback(
    async (identifier: string, password: string) => {
      const r = await client.mutation(LoginMutation, { identifier, password }, { requestPolicy: 'network-only' }).toPromise();
      if (r.data?.login) {
        setSession(sessionFromPayload(r.data.login));
        return null;
      }
      const errs = apiErrors(r.error);
      return errs.length ? errs : [{ message: 'sign-in failed', code: 'UNAUTHENTICATED' }];
    },
    [client],
  );

  const logout = useCallback(async () => {
    const s = getSession();
    if (s) {
      // Revoke the refresh token on the server; sign out locally whatever it answers.
      await client.mutation(LogoutMutation, { refreshToken: s.refreshToken }).toPromise().catch(() => undefined);
    }
    setSession(null);
  }, [client]);

  const adopt = useCallback((s: Session) => setSession(s), []);

  const value = useMemo(() => ({ session, user: session?.user ?? null, login, logout, adopt }), [session, login, logout, adopt]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
