import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { searchThread, type ThreadHit } from '../../../platform';
import { useDebouncedValue } from '../../../shared/useDebouncedValue';
import { isBlankSearch } from './fold';

/** Typing settles this long before the backend is asked. */
export const THREAD_SEARCH_DEBOUNCE_MS = 200;
/** The most hits one search shows ("1 of 1000+" beyond). */
export const THREAD_SEARCH_LIMIT = 1_000;

export const threadSearchKeys = {
  /** Under the thread's keys, so a refreshed thread refreshes its search too. */
  of: (patientId: number, query: string) => ['thread', 'search', patientId, query] as const,
};

/** The thread item key of a hit (threadRows' itemKey). */
export function hitKey(hit: ThreadHit): string {
  return `${hit.kind}-${hit.id}`;
}

/**
 * Ctrl+F in one patient's thread: the search text, the hits (newest first, from the whole
 * thread) and the hit shown. `next` goes to the older hit (Enter), `previous` to the newer
 * one (Shift+Enter); both wrap around.
 */
export function useThreadSearch(patientId: number) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [currentKey, setCurrentKey] = useState<string | null>(null);
  const query = useDebouncedValue(text, THREAD_SEARCH_DEBOUNCE_MS);
  const searching = open && !isBlankSearch(query);
  const result = useQuery({
    queryKey: threadSearchKeys.of(patientId, query),
    queryFn: () => searchThread(patientId, query, THREAD_SEARCH_LIMIT),
    enabled: searching,
  });
  const hits = searching ? (result.data?.hits ?? []) : [];
  const found = hits.findIndex((hit) => hitKey(hit) === currentKey);
  // A new search starts at its newest hit; the hit shown stays while it still matches.
  const index = hits.length === 0 ? -1 : Math.max(found, 0);
  const current = index >= 0 ? hits[index]! : null;

  const step = useCallback(
    (by: number) => {
      if (hits.length === 0) return;
      setCurrentKey(hitKey(hits[(index + by + hits.length) % hits.length]!));
    },
    [hits, index],
  );

  return {
    open,
    text,
    setText,
    /** The search the hits are for (highlighted in the texts). */
    query: searching ? query : '',
    hits,
    more: searching && (result.data?.more ?? false),
    index,
    current,
    /** Typing has not settled yet, or the backend has not answered. */
    pending: open && !isBlankSearch(text) && (text !== query || result.isFetching),
    error: searching ? result.error : null,
    show: useCallback(() => setOpen(true), []),
    close: useCallback(() => setOpen(false), []),
    next: useCallback(() => step(1), [step]),
    previous: useCallback(() => step(-1), [step]),
  };
}

export type ThreadSearchState = ReturnType<typeof useThreadSearch>;

/**
 * Ctrl+F (Cmd+F on macOS) opens the search, or goes back to its box. Not while a dialog
 * is open over the window.
 */
export function useFindShortcut(onFind: () => void) {
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      if (event.key.toLowerCase() !== 'f') return;
      if (document.querySelector('[aria-modal="true"]')) return;
      event.preventDefault();
      onFind();
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onFind]);
}
