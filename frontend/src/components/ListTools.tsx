import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { useI18n } from '../i18n';
import { bboxOf } from '../map/geo';
import { TargetIcon } from './Icon';
import { useTitle } from '../lib/useTitle';

export function PageHeader({ title, actions }: { title: string; actions?: ReactNode }) {
  useTitle(title);
  return (
    <div className="page-header">
      <h1>{title}</h1>
      <div className="page-header__actions">{actions}</div>
    </div>
  );
}

export function Filters({ children, onReset }: { children: ReactNode; onReset: () => void }) {
  const { t } = useI18n();
  return (
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      {children}
      <button type="button" className="btn btn--ghost btn--small" onClick={onReset}>
        {t('common.reset')}
      </button>
    </form>
  );
}

/** A link that frames a record's geometry on the map. */
export function MapLink({ geometry, withText }: { geometry: unknown; withText?: boolean }) {
  const { t } = useI18n();
  const b = bboxOf(geometry);
  if (!b) return null;
  return (
    <Link to={`/carte?bbox=${b.map((n) => n.toFixed(5)).join(',')}`} title={t('common.showOnMap')} aria-label={t('common.showOnMap')}>
      <TargetIcon />
      {withText ? <span> {t('common.showOnMap')}</span> : null}
    </Link>
  );
}

export function StatusBadge({ status, label }: { status: string; label: string }) {
  return <span className={`badge badge--${status.toLowerCase()}`}>{label}</span>;
}
