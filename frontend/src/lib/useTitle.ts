import { useEffect } from 'react';

/** Sets the document title, so each screen is announced and found in the history. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — ODG`;
  }, [title]);
}
