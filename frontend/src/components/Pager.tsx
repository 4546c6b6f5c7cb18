import { useI18n } from '../i18n';

export interface PagerState {
  /** Cursors of the pages before the current one; the current page starts after the last. */
  stack: (string | null)[];
}

export function after(state: PagerState): string | null {
  return state.stack.length ? state.stack[state.stack.length - 1] : null;
}

export function Pager({
  state,
  onChange,
  hasNextPage,
  endCursor,
  totalCount,
}: {
  state: PagerState;
  onChange: (s: PagerState) => void;
  hasNextPage: boolean;
  endCursor: string | null | undefined;
  totalCount: number | undefined;
}) {
  const { t, fmt } = useI18n();
  return (
    <nav className="pager" aria-label="pagination">
      <span className="pager__total">{totalCount !== undefined ? t('common.total', { count: fmt.integer(totalCount) }) : ''}</span>
      <button type="button" className="btn btn--ghost" disabled={!state.stack.length} onClick={() => onChange({ stack: state.stack.slice(0, -1) })}>
        ‹ {t('common.previous')}
      </button>
      <span>{t('common.page', { page: state.stack.length + 1 })}</span>
      <button
        type="button"
        className="btn btn--ghost"
        disabled={!hasNextPage || !endCursor}
        onClick={() => endCursor && onChange({ stack: [...state.stack, endCursor] })}
      >
        {t('common.next')} ›
      </button>
    </nav>
  );
}
