import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useI18n } from '../i18n';
import { useTitle } from '../lib/useTitle';
import type { MessageKey } from '../i18n/fr';
import { useAuth } from '../auth/AuthProvider';
import { BarChart } from '../components/BarChart';
import { DEPOSIT_STATUS_COLORS } from '../map/colors';
import { isReadOnly } from '../lib/permissions';

const DashboardQuery = graphql(`
  query Dashboard {
    activeDeposits: deposits(first: 0, filter: { status: [ACTIVE] }) {
      totalCount
    }
    activePermits: exploitationAreas(first: 0, filter: { status: [ACTIVE] }) {
      totalCount
    }
    permits: exploitationAreas(first: 0) {
      totalCount
    }
    operators(first: 0, filter: { status: [ACTIVE] }) {
      totalCount
    }
    layers(first: 0) {
      totalCount
    }
    commodities(first: 200) {
      nodes {
        code
        nameFr
        nameEn
        color
      }
    }
    deposits(first: 1000) {
      totalCount
      nodes {
        id
        status
        commodity {
          code
        }
      }
    }
  }
`);

const RecentChangesQuery = graphql(`
  query RecentChanges {
    auditLog(first: 8) {
      nodes {
        id
        at
        username
        entity
        entityId
        action
      }
    }
  }
`);

const RecentImportsQuery = graphql(`
  query RecentImports {
    imports(first: 5) {
      nodes {
        id
        fileName
        status
        featuresWritten
        createdAt
        layer {
          id
          name
        }
      }
    }
  }
`);

const STATUSES = ['ACTIVE', 'DEVELOPMENT', 'EXPLORATION', 'CLOSED'] as const;

/** Counts deposits by commodity code and by status. */
export function tally(nodes: { status: string; commodity?: { code: string } | null }[]) {
  const byCommodity = new Map<string, number>();
  const byStatus = new Map<string, number>();
  for (const n of nodes) {
    const c = n.commodity?.code ?? '?';
    byCommodity.set(c, (byCommodity.get(c) ?? 0) + 1);
    byStatus.set(n.status, (byStatus.get(n.status) ?? 0) + 1);
  }
  return { byCommodity, byStatus };
}

export function HomePage() {
  const { t, fmt, locale } = useI18n();
  useTitle(t('home.title'));
  const { user } = useAuth();
  const [{ data, fetching, error }] = useQuery({ query: DashboardQuery });
  const [imports] = useQuery({ query: RecentImportsQuery, requestPolicy: 'cache-and-network' });
  // The audit log is for administrators only.
  const [recent] = useQuery({ query: RecentChangesQuery, pause: user?.role !== 'ADMIN', requestPolicy: 'network-only' });

  const charts = useMemo(() => {
    if (!data) return null;
    const { byCommodity, byStatus } = tally(data.deposits.nodes);
    const commodity = data.commodities.nodes
      .map((c) => ({ key: c.code, label: locale === 'fr' ? c.nameFr : c.nameEn, value: byCommodity.get(c.code) ?? 0, color: c.color }))
      .filter((b) => b.value > 0)
      .sort((a, b) => b.value - a.value);
    const status = STATUSES.map((s) => ({ key: s, label: t(`status.${s}` as MessageKey), value: byStatus.get(s) ?? 0, color: DEPOSIT_STATUS_COLORS[s] }));
    return { commodity, status };
  }, [data, locale, t]);

  return (
    <section className="page">
      <h1>{t('home.title')}</h1>
      <p>
        {t('home.welcome', { name: user?.displayName ?? '' })}
        {isReadOnly(user) ? ` — ${t('home.readOnly')}` : ''}
      </p>
      {error ? <div className="notice notice--error">{error.message}</div> : null}
      {fetching && !data ? <p>{t('common.loading')}</p> : null}
      {data ? (
        <>
          <div className="kpis">
            <Kpi id="active-deposits" label={t('home.activeDeposits')} value={fmt.integer(data.activeDeposits.totalCount)} to="/gisements?statut=ACTIVE" />
            <Kpi id="active-permits" label={t('home.activePermits')} value={fmt.integer(data.activePermits.totalCount)} to="/permis?statut=ACTIVE" />
            <Kpi id="permits" label={t('home.permits')} value={fmt.integer(data.permits.totalCount)} to="/permis" />
            <Kpi id="operators" label={t('home.operators')} value={fmt.integer(data.operators.totalCount)} to="/operateurs" />
            <Kpi id="layers" label={t('home.layers')} value={fmt.integer(data.layers.totalCount)} to="/couches" />
          </div>
          {charts ? (
            <div className="charts">
              <BarChart title={t('home.byCommodity')} bars={charts.commodity} format={(n) => fmt.integer(n)} />
              <BarChart title={t('home.byStatus')} bars={charts.status} format={(n) => fmt.integer(n)} />
            </div>
          ) : null}
        </>
      ) : null}
      {imports.data ? (
        <section className="recent" data-testid="recent-imports">
          <h2>{t('home.recentImports')}</h2>
          {imports.data.imports.nodes.length ? (
            <ul>
              {imports.data.imports.nodes.map((i) => (
                <li key={i.id}>
                  {fmt.dateTime(i.createdAt)} — {i.fileName} : {t(`importStatus.${i.status}` as MessageKey)}, {fmt.integer(i.featuresWritten)} {t('layers.features').toLowerCase()}
                  {i.layer ? (
                    <>
                      {' '}
                      → <Link to={`/couches/${i.layer.id}`}>{i.layer.name}</Link>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">—</p>
          )}
          <Link to="/couches">{t('nav.layers')}</Link>
        </section>
      ) : null}
      {recent.data ? (
        <section className="recent">
          <h2>{t('home.recentChanges')}</h2>
          <ul>
            {recent.data.auditLog.nodes.map((e) => (
              <li key={e.id}>
                {fmt.dateTime(e.at)} — {e.username ?? 'system'} : {e.action} {e.entity} #{e.entityId}
              </li>
            ))}
          </ul>
          <Link to="/journal">{t('nav.audit')}</Link>
        </section>
      ) : null}
    </section>
  );
}

function Kpi({ id, label, value, to }: { id: string; label: string; value: string; to: string }) {
  return (
    <Link className="kpi" to={to} data-kpi={id}>
      <span className="kpi__value">{value}</span>
      <span className="kpi__label">{label}</span>
    </Link>
  );
}
