import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { Provider, type Client } from 'urql';
import { fromValue, never } from 'wonka';
import { I18nProvider } from '../i18n';
import { AuthProvider } from '../auth/AuthProvider';
import { resetSessionForTests, sessionFromPayload, setSession } from '../auth/session';
import { LayersPage } from './LayersPage';

const empty = { __typename: 'LayerConnection', totalCount: 0, pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null }, nodes: [] };

function client(): Client {
  return {
    executeQuery: vi.fn(() => fromValue({ data: { layers: empty, imports: { ...empty, __typename: 'ImportConnection' } } })),
    executeMutation: vi.fn(() => never),
    executeSubscription: vi.fn(() => never),
  } as unknown as Client;
}

function renderAs(role: 'EDITOR' | 'PARTNER') {
  setSession(sessionFromPayload({ accessToken: 'A', refreshToken: 'R', expiresIn: 900, user: { id: '1', username: 'u', displayName: 'U', email: 'u@x', role, operator: null } }));
  return render(
    <I18nProvider locale="fr">
      <Provider value={client()}>
        <AuthProvider>
          <MemoryRouter>
            <LayersPage />
          </MemoryRouter>
        </AuthProvider>
      </Provider>
    </I18nProvider>,
  );
}

describe('layers workspace', () => {
  beforeEach(() => resetSessionForTests());

  it('offers an editor to drop a file', () => {
    renderAs('EDITOR');
    expect(screen.getByTestId('dropzone')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Historique des imports' })).toBeTruthy();
  });

  it('offers a partner no upload', () => {
    renderAs('PARTNER');
    expect(screen.queryByTestId('dropzone')).toBeNull();
    expect(screen.getByRole('heading', { name: 'Couches importées' })).toBeTruthy();
  });
});
