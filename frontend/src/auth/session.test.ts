import { configureRefresh, getSession, refreshSession, resetSessionForTests, sessionFromPayload, setSession, type RefreshOutcome } from './session';

const user = { id: '2', username: 'editeur', displayName: 'Éditeur', email: 'e@x', role: 'EDITOR' as const, operator: null };

function payload(n: number) {
  return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresIn: 900, user };
}

describe('session refresh', () => {
  beforeEach(() => resetSessionForTests());

  it('persists the session in localStorage', () => {
    setSession(sessionFromPayload(payload(1), 1_000));
    resetSessionForTests();
    expect(getSession()).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: 901_000 });
  });

  it('uses the refresh token once however many callers ask at the same time', async () => {
    setSession(sessionFromPayload(payload(1)));
    const seen: string[] = [];
    let release: (o: RefreshOutcome) => void = () => undefined;
    configureRefresh(
      (token) => {
        seen.push(token);
        return new Promise((r) => (release = r));
      },
      () => undefined,
    );
    const calls = [refreshSession(), refreshSession(), refreshSession()];
    await Promise.resolve();
    release({ kind: 'ok', payload: payload(2) });
    const results = await Promise.all(calls);
    expect(seen).toEqual(['refresh-1']);
    expect(results.map((s) => s?.accessToken)).toEqual(['access-2', 'access-2', 'access-2']);
    expect(getSession()?.refreshToken).toBe('refresh-2');
  });

  it('does not refresh again when another tab already rotated the tokens', async () => {
    setSession(sessionFromPayload(payload(1)));
    const refresher = vi.fn(async (): Promise<RefreshOutcome> => ({ kind: 'ok', payload: payload(9) }));
    configureRefresh(refresher, () => undefined);
    // Another tab wrote a newer session to the shared storage.
    localStorage.setItem('odg.session', JSON.stringify(sessionFromPayload(payload(2))));
    const s = await refreshSession();
    expect(refresher).not.toHaveBeenCalled();
    expect(s?.accessToken).toBe('access-2');
  });

  it('ends the session when the server refuses the refresh token', async () => {
    setSession(sessionFromPayload(payload(1)));
    const ended = vi.fn();
    configureRefresh(async () => ({ kind: 'refused' }), ended);
    expect(await refreshSession()).toBeNull();
    expect(getSession()).toBeNull();
    expect(ended).toHaveBeenCalledOnce();
  });

  it('keeps the tokens when the server is unreachable', async () => {
    setSession(sessionFromPayload(payload(1)));
    configureRefresh(async () => ({ kind: 'unavailable' }), () => undefined);
    expect((await refreshSession())?.accessToken).toBe('access-1');
    expect(getSession()?.refreshToken).toBe('refresh-1');
  });
});
