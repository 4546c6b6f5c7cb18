import { authFetch } from './client';
import { configureRefresh, resetSessionForTests, sessionFromPayload, setSession } from '../auth/session';

const user = { id: '2', username: 'editeur', displayName: 'Éditeur', email: 'e@x', role: 'EDITOR' as const, operator: null };
const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/graphql-response+json' } });

describe('authFetch', () => {
  beforeEach(() => resetSessionForTests());
  afterEach(() => vi.unstubAllGlobals());

  it('sends the access token', async () => {
    setSession(sessionFromPayload({ accessToken: 'A1', refreshToken: 'R1', expiresIn: 900, user }));
    const fetchMock = vi.fn(async () => json({ data: { me: null } }));
    vi.stubGlobal('fetch', fetchMock);
    await authFetch('/graphql', { method: 'POST', body: '{}' });
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get('Authorization')).toBe('Bearer A1');
  });

  it('refreshes once and replays a request the server refused as UNAUTHENTICATED', async () => {
    setSession(sessionFromPayload({ accessToken: 'A1', refreshToken: 'R1', expiresIn: 900, user }));
    configureRefresh(async () => ({ kind: 'ok', payload: { accessToken: 'A2', refreshToken: 'R2', expiresIn: 900, user } }), () => undefined);
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(json({ data: null, errors: [{ message: 'the access token has expired', extensions: { code: 'UNAUTHENTICATED' } }] }))
      .mockResolvedValueOnce(json({ data: { me: { id: '2' } } }));
    vi.stubGlobal('fetch', fetchMock);
    const res = await authFetch('/graphql', { method: 'POST', body: '{}' });
    expect(await res.json()).toEqual({ data: { me: { id: '2' } } });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const retry = (fetchMock.mock.calls[1] as unknown as [string, RequestInit])[1];
    expect(new Headers(retry.headers).get('Authorization')).toBe('Bearer A2');
  });

  it('refreshes before sending when the access token is about to expire', async () => {
    setSession(sessionFromPayload({ accessToken: 'A1', refreshToken: 'R1', expiresIn: 5, user }));
    const refresher = vi.fn(async () => ({ kind: 'ok' as const, payload: { accessToken: 'A2', refreshToken: 'R2', expiresIn: 900, user } }));
    configureRefresh(refresher, () => undefined);
    const fetchMock = vi.fn(async () => json({ data: {} }));
    vi.stubGlobal('fetch', fetchMock);
    await authFetch('/graphql', { method: 'POST', body: '{}' });
    expect(refresher).toHaveBeenCalledWith('R1');
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get('Authorization')).toBe('Bearer A2');
  });
});
