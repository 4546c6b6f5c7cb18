import { Link } from 'react-router-dom';
import { useI18n } from '../i18n';
import { MapLink, PageHeader } from './ListTools';

/** A record shown without any edit control (partner, or an operator outside its company). */
export function ReadOnlyView({ title, rows, geometry }: { title: string; rows: [string, string][]; geometry?: unknown }) {
  const { t } = useI18n();
  return (
    <section className="page" data-testid="read-only">
      <PageHeader title={title} actions={geometry ? <MapLink geometry={geometry} /> : null} />
      <p className="badge">{t('common.readOnly')}</p>
      <dl className="props props--wide">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <Link to="..">{t('common.close')}</Link>
    </section>
  );
}
