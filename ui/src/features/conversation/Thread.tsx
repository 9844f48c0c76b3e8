import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Note, Patient, ThreadItem } from '../../platform';
import { useTeamThread } from '../team/queries';
import { useTeamContext } from '../team/teamContext';
import { useMarkThreadRead, useThreadPages } from './queries';
import { patientNumberLabeler } from './recipients';
import { SearchHighlightContext } from './search/highlight';
import { ThreadSearchBar } from './search/ThreadSearchBar';
import { hitKey, useFindShortcut, useThreadSearch } from './search/useThreadSearch';
import { itemKey } from './threadRows';
import { parseTimestamp } from './time';
import { ThreadView } from './ThreadView';
import { useMarkReadWhileOpen } from './useMarkReadWhileOpen';

const NO_NOTES: Note[] = [];

/**
 * The notes placed among the loaded items: all of them once the whole thread is loaded,
 * else those from the oldest loaded item on (older ones come with the older pages).
 */
export function notesInView(notes: Note[] | undefined, items: ThreadItem[], olderPages: boolean): Note[] {
  if (!notes || notes.length === 0) return NO_NOTES;
  const first = items[0];
  if (!olderPages || !first) return notes;
  const from = parseTimestamp(first.at)?.getTime() ?? Number.NEGATIVE_INFINITY;
  return notes.filter((n) => (parseTimestamp(n.at)?.getTime() ?? Number.POSITIVE_INFINITY) >= from);
}

/**
 * The patient's texts and calls from all their numbers, one thread, paged from the newest back.
 * Ctrl+F searches the whole thread: a hit on a page not loaded yet loads the pages back to it.
 */
export function Thread({ patient }: { patient: Patient }) {
  const { pages, refreshError } = useThreadPages(patient.id);
  // Pages come newest first, each oldest first.
  const items = useMemo(() => (pages.data ? [...pages.data.pages].reverse().flatMap((p) => p.items) : []), [pages.data]);
  const labelFor = useMemo(() => patientNumberLabeler(patient), [patient]);
  const team = useTeamContext();
  const allNotes = useTeamThread(patient.id, team !== null).data?.notes;
  const notes = useMemo(() => notesInView(allNotes, items, pages.hasNextPage), [allNotes, items, pages.hasNextPage]);
  const { mutate: markRead } = useMarkThreadRead();
  useMarkReadWhileOpen(patient.id, pages.data ? items : undefined, () => markRead(patient.id));

  const olderError = pages.isFetchNextPageError ? pages.error : null;
  const { fetchNextPage } = pages;
  const older = useMemo(
    () => ({
      hasMore: pages.hasNextPage,
      loading: pages.isFetchingNextPage,
      error: olderError,
      load: () => void fetchNextPage(),
    }),
    [pages.hasNextPage, pages.isFetchingNextPage, olderError, fetchNextPage],
  );

  const search = useThreadSearch(patient.id);
  const [findSignal, setFindSignal] = useState(0);
  const { show, close } = search;
  useFindShortcut(
    useCallback(() => {
      show();
      setFindSignal((n) => n + 1);
    }, [show]),
  );
  const closeSearch = useCallback(() => {
    close();
    document.querySelector<HTMLElement>('[data-testid="thread"]')?.focus();
  }, [close]);

  // The hit shown, if its page is not loaded yet: load older pages until it is.
  const targetKey = search.current ? hitKey(search.current) : null;
  const targetLoaded = targetKey !== null && items.some((item) => itemKey(item) === targetKey);
  const loadingOlder = pages.isFetchingNextPage;
  useEffect(() => {
    if (targetKey !== null && !targetLoaded && older.hasMore && !loadingOlder && !olderError) older.load();
  }, [targetKey, targetLoaded, older, loadingOlder, olderError]);

  const highlight = useMemo(() => ({ query: search.query, currentKey: targetKey }), [search.query, targetKey]);

  return (
    <>
      {search.open ? <ThreadSearchBar search={search} focusSignal={findSignal} onClose={closeSearch} /> : null}
      <SearchHighlightContext.Provider value={highlight}>
        <ThreadView
          items={items}
          labelFor={labelFor}
          pending={pages.isPending}
          error={(olderError ? null : pages.error) ?? refreshError}
          older={older}
          focusKey={targetKey}
          notes={notes}
        />
      </SearchHighlightContext.Provider>
    </>
  );
}
