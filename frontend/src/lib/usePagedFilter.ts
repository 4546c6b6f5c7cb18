import { useState } from 'react';
import type { PagerState } from '../components/Pager';

/**
 * The pager of a filtered list: back to the first page whenever the filter
 * changes (compared by value), so a new filter never opens on a page that
 * belonged to the old one.
 */
export function usePagedFilter(filter: unknown): [PagerState, (state: PagerState) => void] {
  const [pager, setPager] = useState<PagerState>({ stack: [] });
  const key = JSON.stringify(filter);
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setPager({ stack: [] });
  }
  return [pager, setPager];
}
