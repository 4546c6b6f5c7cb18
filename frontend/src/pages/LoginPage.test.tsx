import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { Provider, type Client } from 'urql';
import { fromValue } from 'wonka';
import { GraphQLError } from 'graphql';
import { CombinedError } from '@urql/core';
import { I18nProvider } from '../i18n';
import { AuthProvider } from '../auth/AuthProvider';
import { resetSessionForTests } from '../auth/session';
import { LoginPage, signInErrorKey } from './LoginPage';

function clientAnswering(result: object): Client {
  return { mutation: vi.fn(() => ({ toPromise: async () => result })), executeMutation: vi.fn(() => fromValue(result)), executeQuery: vi.fn(), executeSubscription: vi.fn() } as unknown as Client;
}

function renderLogin(client: Client) {
  return render(
    <I18nProvider locale="fr">
      <Provider value={client}>
        <AuthProvider>
          <MemoryRouter initialEntries={['/connexion']}>
            <Routes>
              <Route path="/connexion" element={<LoginPage />} />
              <Route path="/" element={<h1>Tableau de bord</h1>} />
            </Routes>
          </MemoryRouter>
        </AuthProvider>
      </Provider>
    </I18nProvider>,
  );
}

describe('sign-in page', () => {
  beforeEach(() => resetSessionForTests());

  it('is in French by default', () => {
    renderLogin(clientAnswering({}));
    expect(screen.getByRole('button', { name: 'Se connecter' })).toBeTruthy();
    expect(screen.getByLabelText(/Mot de passe/)).toBeTruthy();
  });

  it('shows the generic refusal, whatever the reason', async () => {
    const error = new CombinedError({ graphQLErrors: [new GraphQLError('sign-in failed: wrong identifier or password, or the account is locked', { extensions: { code: 'UNAUTHENTICATED' } })] });
    renderLogin(clientAnswering({ data: null, error }));
    fireEvent.change(screen.getByLabelText(/Identifiant/), { target: { value: 'editeur' } });
    fireEvent.change(screen.getByLabelText(/Mot de passe/), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Se connecter' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/verrouillé/));
    expect((screen.getByLabelText(/Mot de passe/) as HTMLInputElement).value).toBe('');
  });

  it('signs in and goes to the dashboard', async () => {
    const user = { __typename: 'User', id: '2', username: 'editeur', displayName: 'Éditeur', email: 'e@x', role: 'EDITOR', operator: null };
    renderLogin(clientAnswering({ data: { login: { accessToken: 'A', refreshToken: 'R', expiresIn: 900, user } } }));
    fireEvent.change(screen.getByLabelText(/Identifiant/), { target: { value: 'editeur' } });
    fireEvent.change(screen.getByLabelText(/Mot de passe/), { target: { value: 'demo-ODG-2026' } });
    fireEvent.click(screen.getByRole('button', { name: 'Se connecter' }));
    await screen.findByRole('heading', { name: 'Tableau de bord' });
    expect(JSON.parse(localStorage.getItem('odg.session') ?? '{}').refreshToken).toBe('R');
  });

  it('tells the throttling apart from a wrong password', () => {
    expect(signInErrorKey([{ message: 'too many sign-in attempts from this address: wait a minute and try again', code: 'UNAUTHENTICATED' }])).toBe('login.throttled');
    expect(signInErrorKey([{ message: 'sign-in failed', code: 'UNAUTHENTICATED' }])).toBe('login.failed');
    expect(signInErrorKey([{ message: 'Failed to fetch', code: 'NETWORK' }])).toBe('login.network');
  });
});
