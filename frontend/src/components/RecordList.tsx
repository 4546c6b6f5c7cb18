import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { CombinedError } from 'urql';
import { useI18n } from '../i18n';
import { apiErrors, type ApiError } from '../graphql/errors';
import { Filters, PageHeader } from './ListTools';
import { ErrorList } from './Notice';
import { Pager, type PagerState } from './Pager';

/** A page of a Relay connection: what the pager needs. */
interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/**
 * The list page of a kind of record: title and "new" link, filters, the
 * table (its column headings, then the rows the page renders, with a last
 * column for actions), and the pager.
 */
export function RecordList({
  title,
  create,
  filters,
  onReset,
  columns,
  fetching,
  error,
  connection,
  pager,
  onPager,
  children,
}: {
  title: string;
  /** The "new" link, for those who may create. */
  create: { to: string; label: string } | null;
  filters: ReactNode;
  onReset: () => void;
  columns: string[];
  fetching: boolean;
  error: CombinedError | undefined;
  connection: Connection | undefined;
  pager: PagerState;
  onPager: (state: PagerState) => void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <section className="page">
      <PageHeader
        title={title}
        actions={
          create ? (
            <Link className="btn btn--primary" to={create.to} data-testid="create">
              {create.label}
            </Link>
          ) : null
        }
      />
      <Filters onReset={onReset}>{filters}</Filters>
      <ErrorList errors={apiErrors(error)} />
      <div className="table-wrap">
        <table className="table" aria-busy={fetching}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
      <Pager
        state={pager}
        onChange={onPager}
        hasNextPage={!!connection?.pageInfo.hasNextPage}
        endCursor={connection?.pageInfo.endCursor}
        totalCount={connection?.totalCount}
      />
    </section>
  );
}

/**
 * "Delete", after a confirmation naming the record; `remove` deletes and
 * answers its errors, none when it is done (the caller then leaves).
 */
export function DeleteButton({ name, remove, onErrors }: { name: string; remove: () => Promise<ApiError[] | null>; onErrors: (errors: ApiError[]) => void }) {
  const { t } = useI18n();
  return (
    <button
      type="button"
      className="btn btn--danger"
      onClick={async () => {
        if (!window.confirm(t('common.confirmDelete', { name }))) return;
        const errors = await remove();
        if (errors) onErrors(errors);
      }}
    >
      {t('common.delete')}
    </button>
  );
}
