import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { print } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { RefreshMutation } from '../auth/documents';
import { configureRefresh, getSession, refreshSession, REFRESH_MARGIN_MS, type RefreshOutcome, type Session } from '../auth/session';
import { isUnauthenticated } from './errors';

export const GRAPHQL_PATH = '/graphql';

function withAuth(init: RequestInit | undefined, s: Session | null): RequestInit {
  const headers = new Headers(init?.headers);
  if (s) headers.set('Authorization', `Bearer ${s.accessToken}`);
  return { ...init, headers };
}

/**
 * fetch for the GraphQL client: refreshes the access token shortly before it
 * expires, sends it, and when the server nevertheless says the token is no
 * longer valid (expired while the tab slept, server restarted with a new
 * key), refreshes once and replays the request. Such a request changed
 * nothing on the server, so replaying it is safe.
 */
export async function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let s = getSession();
  if (s && s.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2) s = await refreshSession();
  const res = await fetch(input, withAuth(init, s));
  if (!s) return res;
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return res;
  const body: unknown = await res.clone().json().catch(() => null);
  if (!isUnauthenticated(body)) return res;
  const renewed = await refreshSession();
  if (!renewed || renewed.accessToken === s.accessToken) return res;
  return fetch(input, withAuth(init, renewed));
}

/** The refresh call itself, outside the client so that it never recurses into authFetch. */
export async function callRefresh(refreshToken: string): Promise<RefreshOutcome> {
  try {
    const res = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: print(RefreshMutation), variables: { refreshToken }, operationName: 'Refresh' }),
    });
    const body = (await res.json()) as { data?: { refreshToken?: unknown }; errors?: unknown[] };
    if (body.data?.refreshToken) return { kind: 'ok', payload: body.data.refreshToken as never };
    if (isUnauthenticated(body)) return { kind: 'refused' };
    return { kind: 'unavailable' };
  } catch {
    return { kind: 'unavailable' };
  }
}

let ws: WsClient | null = null;
function wsClient(): WsClient {
  if (!ws) {
    const url = new URL(GRAPHQL_PATH, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = createWsClient({
      url: url.href,
      lazy: true,
      connectionParams: async () => {
        const s = getSession();
        return s ? { Authorization: `Bearer ${s.accessToken}` } : {};
      },
    });
  }
  return ws;
}

export function makeClient(onSessionEnded: () => void): Client {
  configureRefresh(callRefresh, onSessionEnded);
  return new Client({
    url: GRAPHQL_PATH,
    fetch: authFetch,
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = wsClient().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
