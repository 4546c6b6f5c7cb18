import { lazy, useEffect, useMemo, useState, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Provider } from 'urql';
import { makeClient } from './graphql/client';
import { getSession, subscribe } from './auth/session';
import { AuthProvider, useAuth } from './auth/AuthProvider';
import { I18nProvider } from './i18n';
import { Layout } from './components/Layout';
import { LoginPage, SESSION_ENDED_FLAG } from './pages/LoginPage';
import { HomePage } from './pages/HomePage';
import { DepositsPage, DepositEditPage } from './pages/DepositsPage';
import { AreasPage, AreaEditPage } from './pages/AreasPage';
import { InfrastructurePage, InfrastructureEditPage } from './pages/InfrastructurePage';
import { OperatorsPage, OperatorEditPage } from './pages/OperatorsPage';
import { UsersPage } from './pages/UsersPage';
import { LayersPage } from './pages/LayersPage';
import { LayerDetailPage } from './pages/LayerDetailPage';
import { AuditPage } from './pages/AuditPage';
import { AccountPage } from './pages/AccountPage';
import { NotFoundPage } from './pages/NotFoundPage';

// MapLibre is large: the map page (and the drawing map of the forms) load on demand.
const MapPage = lazy(() => import('./pages/MapPage').then((m) => ({ default: m.MapPage })));

function onSessionEnded() {
  try {
    sessionStorage.setItem(SESSION_ENDED_FLAG, '1');
  } catch {
    /* the login page then shows no reason */
  }
}

/** One GraphQL client per signed-in account, so no cached data outlives a sign-out. */
export function Root() {
  const [account, setAccount] = useState(() => getSession()?.user.id ?? '');
  useEffect(() => subscribe((s) => setAccount(s?.user.id ?? '')), []);
  const client = useMemo(() => makeClient(onSessionEnded), [account]);
  return (
    <I18nProvider>
      <Provider value={client}>
        <AuthProvider>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </AuthProvider>
      </Provider>
    </I18nProvider>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const location = useLocation();
  if (!user) return <Navigate to="/connexion" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (user?.role !== 'ADMIN') return <NotFoundPage />;
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/connexion" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<HomePage />} />
        <Route path="carte/*" element={<MapPage />} />
        <Route path="gisements" element={<DepositsPage />} />
        <Route path="gisements/:id" element={<DepositEditPage />} />
        <Route path="permis" element={<AreasPage />} />
        <Route path="permis/:id" element={<AreaEditPage />} />
        <Route path="infrastructures" element={<InfrastructurePage />} />
        <Route path="infrastructures/:id" element={<InfrastructureEditPage />} />
        <Route path="operateurs" element={<OperatorsPage />} />
        <Route path="operateurs/:id" element={<OperatorEditPage />} />
        <Route path="couches" element={<LayersPage />} />
        <Route path="couches/:id" element={<LayerDetailPage />} />
        <Route
          path="utilisateurs"
          element={
            <RequireAdmin>
              <UsersPage />
            </RequireAdmin>
          }
        />
        <Route
          path="journal"
          element={
            <RequireAdmin>
              <AuditPage />
            </RequireAdmin>
          }
        />
        <Route path="compte" element={<AccountPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
