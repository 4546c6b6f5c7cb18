import { Suspense, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';

interface NavItem {
  to: string;
  label: MessageKey;
  admin?: boolean;
}

const NAV: NavItem[] = [
  { to: '/', label: 'nav.home' },
  { to: '/carte', label: 'nav.map' },
  { to: '/gisements', label: 'nav.deposits' },
  { to: '/permis', label: 'nav.areas' },
  { to: '/infrastructures', label: 'nav.infrastructure' },
  { to: '/operateurs', label: 'nav.operators' },
  { to: '/couches', label: 'nav.layers' },
  { to: '/utilisateurs', label: 'nav.users', admin: true },
  { to: '/journal', label: 'nav.audit', admin: true },
];

export function Layout() {
  const { t, locale, setLocale } = useI18n();
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const items = NAV.filter((n) => !n.admin || user?.role === 'ADMIN');
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {locale === 'fr' ? 'Aller au contenu' : 'Skip to content'}
      </a>
      <header className="topbar">
        <button type="button" className="topbar__menu btn btn--ghost" aria-expanded={open} aria-controls="main-nav" onClick={() => setOpen(!open)}>
          ☰ <span className="sr-only">{t('nav.menu')}</span>
        </button>
        <span className="topbar__brand">{t('app.title')}</span>
        <nav id="main-nav" className={`topbar__nav${open ? ' is-open' : ''}`} aria-label={t('nav.menu')}>
          {items.map((n) => (
            <NavLink key={n.to} to={n.to} end={n.to === '/'} onClick={() => setOpen(false)}>
              {t(n.label)}
            </NavLink>
          ))}
        </nav>
        <div className="topbar__user">
          <button type="button" className="btn btn--ghost btn--small" lang={locale === 'fr' ? 'en' : 'fr'} onClick={() => setLocale(locale === 'fr' ? 'en' : 'fr')} data-testid="lang-switch">
            {t('lang.switch')}
          </button>
          <NavLink to="/compte" className="topbar__account" title={user ? t(`role.${user.role}` as MessageKey) : undefined}>
            {user?.displayName} <small>({user ? t(`role.${user.role}` as MessageKey) : ''})</small>
          </NavLink>
          <button
            type="button"
            className="btn btn--ghost btn--small"
            onClick={async () => {
              await logout();
              navigate('/connexion');
            }}
          >
            {t('nav.signOut')}
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Suspense fallback={<p className="page">{t('common.loading')}</p>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
