import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { AuditFilterInput } from '../gql/graphql';
import { useI18n } from '../i18n';
import { useDebounced } from '../lib/useDebounced';
import { apiErrors } from '../graphql/errors';
import { after, Pager, type PagerState } from '../components/Pager';
import { Filters, PageHeader } from '../components/ListTools';
import { SelectField, TextField } from '../components/Field';
import { ErrorList } from '../components/Notice';

const AuditQuery = graphql(`
  query AuditLog($first: Int!, $after: String, $filter: AuditFilterInput) {
    auditLog(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        at
        username
        entity
        entityId
        action
        changedFields
      }
    }
  }
`);

const ENTITIES = ['deposit', 'exploitation_area', 'infrastructure', 'operator', 'commodity', 'user'];

export function AuditPage() {
  const { t, fmt } = useI18n();
  const [entity, setEntity] = useState('');
  const [entityId, setEntityId] = useState('');
  const [pager, setPager] = useState<PagerState>({ stack: [] });
  const id = useDebounced(entityId.trim(), 300);
  const filter = useMemo<AuditFilterInput>(() => {
    const f: AuditFilterInput = {};
    if (entity) f.entity = entity;
    if (id && /^\d+$/.test(id)) f.entityId = id;
    return f;
  }, [entity, id]);
  const [{ data, fetching, error }] = useQuery({ query: AuditQuery, variables: { first: 50, after: after(pager), filter }, requestPolicy: 'network-only' });
  const conn = data?.auditLog;
  return (
    <section className="page">
      <PageHeader title={t('audit.title')} />
      <Filters
        onReset={() => {
          setEntity('');
          setEntityId('');
          setPager({ stack: [] });
        }}
      >
        <SelectField
          name="entity"
          label={t('audit.entity')}
          value={entity}
          onChange={(v) => {
            setEntity(v);
            setPager({ stack: [] });
          }}
          emptyLabel={t('common.all')}
          options={ENTITIES.map((e) => ({ value: e, label: e }))}
        />
        <TextField name="entityId" label={t('audit.entityId')} value={entityId} onChange={setEntityId} />
      </Filters>
      <ErrorList errors={apiErrors(error)} />
      <div className="table-wrap">
        <table className="table" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">{t('audit.at')}</th>
              <th scope="col">{t('audit.user')}</th>
              <th scope="col">{t('audit.entity')}</th>
              <th scope="col">{t('audit.entityId')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col">{t('audit.fields')}</th>
            </tr>
          </thead>
          <tbody>
            {conn?.nodes.map((e) => (
              <tr key={e.id}>
                <td>{fmt.dateTime(e.at)}</td>
                <td>{e.username ?? 'system'}</td>
                <td>{e.entity}</td>
                <td>{e.entityId}</td>
                <td>{e.action}</td>
                <td>{e.changedFields.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager state={pager} onChange={setPager} hasNextPage={!!conn?.pageInfo.hasNextPage} endCursor={conn?.pageInfo.endCursor} totalCount={conn?.totalCount} />
    </section>
  );
}
