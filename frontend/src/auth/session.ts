// The session (tokens + account) lives in localStorage so that a reload or a
// second tab keeps it. The access token lives 15 minutes; the refresh token
// is single-use and presenting it twice revokes the whole sign-in, so every
// refresh goes through `refreshSession`, which runs at most one refresh at a
// time in this tab (a shared promise) and across tabs (a Web Lock, then a
// re-read of the storage: another tab may already have rotated the tokens).
import type { Role } from '../gql/graphql';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  email: string;
  role: Role;
  operator?: { id: string; name: string } | null;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token expires. */
  expiresAt: number;
  user: SessionUser;
}

export interface TokenPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: SessionUser;
}

const KEY = 'odg.session';
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;

type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();
let cached: Session | null | undefined;

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return s && typeof s.accessToken === 'string' && typeof s.refreshToken === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  if (cached === undefined) cached = read();
  return cached;
}

function emit(s: Session | null) {
  for (const l of listeners) l(s);
}

export function setSession(s: Session | null): void {
  cached = s;
  try {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  } catch {
    /* private mode: the session lasts as long as the page */
  }
  emit(s);
}

export function sessionFromPayload(p: TokenPayload, now = Date.now()): Session {
  return { accessToken: p.accessToken, refreshToken: p.refreshToken, expiresAt: now + p.expiresIn * 1000, user: p.user };
}

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

if (typeof window !== 'undefined') {
  // Another tab signed in, refreshed or signed out.
  window.addEventListener('storage', (e) => {
    if (e.key !== KEY) return;
    cached = read();
    emit(cached);
  });
}

/** What a refresh attempt gives: new tokens, a refusal (session over), or a transport failure. */
export type RefreshOutcome = { kind: 'ok'; payload: TokenPayload } | { kind: 'refused' } | { kind: 'unavailable' };
export type Refresher = (refreshToken: string) => Promise<RefreshOutcome>;

let refresher: Refresher | null = null;
let inflight: Promise<Session | null> | null = null;
let onEnded: (() => void) | null = null;

export function configureRefresh(r: Refresher, ended: () => void): void {
  refresher = r;
  onEnded = ended;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (locks?.request) return locks.request('odg-session-refresh', fn) as Promise<T>;
  return fn();
}

/**
 * Exchanges the refresh token for a new pair, once, however many callers ask
 * at the same time. Resolves to the current session (possibly rotated by
 * another tab), or null when the session is over.
 */
export function refreshSession(): Promise<Session | null> {
  if (inflight) return inflight;
  const known = getSession();
  if (!known || !refresher) return Promise.resolve(known);
  const r = refresher;
  inflight = withLock(async () => {
    cached = read() ?? (cached === undefined ? null : cached);
    const current = getSession();
    if (!current) return null;
    if (current.refreshToken !== known.refreshToken) return current; // another tab rotated it
    const outcome = await r(current.refreshToken);
    if (outcome.kind === 'ok') {
      const next = sessionFromPayload(outcome.payload);
      setSession(next);
      return next;
    }
    if (outcome.kind === 'refused') {
      setSession(null);
      onEnded?.();
      return null;
    }
    return current; // server unreachable: keep the tokens and try again later
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

/** Test helper: forget in-memory state. */
export function resetSessionForTests(): void {
  cached = undefined;
  inflight = null;
  listeners.clear();
}
