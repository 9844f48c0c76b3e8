import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { listThreads, type Patient, type ThreadFilter, type ThreadListing } from '../../platform';
import { useDebouncedValue } from '../../shared/useDebouncedValue';

export const SEARCH_DEBOUNCE_MS = 150;
/** How often the patient column asks again, besides the engine's events. */
export const THREAD_LIST_REFRESH_MS = 10_000;
/** Patients in the column's first page, and how many more each scroll to the end asks for. */
export const PATIENT_PAGE = 100;
/** The largest limit list_threads takes (the backend clamps to it as well). */
export const MAX_PATIENT_LIMIT = 5000;
/**
 * How long a listing no one shows stays cached. Each longer page repeats the shorter ones,
 * so keeping every step up to 5,000 rows for the default five minutes would hold 100,000+ rows.
 */
const LISTING_GC_MS = 15_000;

export const threadListKeys = {
  all: ['threads'] as const,
  list: (query: string | null, limit: number, filter: ThreadFilter | null = null) =>
    ['threads', 'list', query, limit, filter] as const,
};

function searchQuery(text: string): string | null {
  return text.trim() === '' ? null : text.trim();
}

function listingQuery(query: string | null, limit: number, filter: ThreadFilter | null = null) {
  return {
    queryKey: threadListKeys.list(query, limit, filter),
    queryFn: () => listThreads(query, limit, filter),
    gcTime: LISTING_GC_MS,
  };
}

/**
 * Asks for the patient column's first page at once, before the shell renders (it renders
 * after app_info answers): the window's first rows then wait for one round trip, not two.
 * A failure is left for the column's own query to show.
 */
export function prefetchFirstPatientPage(client: QueryClient): Promise<void> {
  return client.prefetchQuery(listingQuery(null, PATIENT_PAGE));
}

/** The first `limit` patients for the search box text; matching and order come from the backend. */
export function useThreadListing(searchText: string, limit: number) {
  const query = searchQuery(useDebouncedValue(searchText, SEARCH_DEBOUNCE_MS));
  return useQuery({
    ...listingQuery(query, limit),
    placeholderData: keepPreviousData,
    refetchInterval: THREAD_LIST_REFRESH_MS,
  });
}

/** Paging down the patient column. */
export interface MorePatients {
  /** The loaded rows are current, more patients match, and the limit is not at its cap. */
  canLoad: boolean;
  /** A longer page is on its way. */
  loading: boolean;
  load: () => void;
}

/**
 * The patient column for the search box text: the first PATIENT_PAGE patients, then a page
 * more at each `more.load()`, up to MAX_PATIENT_LIMIT. The backend pages by limit, so each
 * page is the whole list again up to a larger limit. The rows shown stay on screen while
 * the next page loads, and when loading it fails. A new search (or team filter) starts again
 * at one page.
 */
export function usePatientPages(searchText: string, filter: ThreadFilter | null = null) {
  const query = searchQuery(useDebouncedValue(searchText, SEARCH_DEBOUNCE_MS));
  // The search and the filter together: either changing starts again at one page.
  const key = `${query ?? ''}\u0000${filter ? `${filter.assigned}/${filter.status}` : ''}`;
  const [pages, setPages] = useState({ key, limit: PATIENT_PAGE });
  if (pages.key !== key) setPages({ key, limit: PATIENT_PAGE });
  const limit = pages.key === key ? pages.limit : PATIENT_PAGE;

  const listing = useQuery({
    ...listingQuery(query, limit, filter),
    placeholderData: keepPreviousData,
    refetchInterval: THREAD_LIST_REFRESH_MS,
  });
  const current = listing.data !== undefined && !listing.isPlaceholderData;

  // A failed first load of a key leaves no data (placeholders are only for pending), so
  // keep the last rows of this search for when a longer page fails.
  const loaded = useRef<{ key: string; data: ThreadListing } | null>(null);
  // The search and filter of the rows on screen: a placeholder (keepPreviousData) still shows
  // the last rows that loaded, of this search (a longer page on its way) or of the one before.
  const shownKey = listing.data !== undefined && !current ? loaded.current?.key : key;
  if (current) loaded.current = { key, data: listing.data };
  const data = listing.data ?? (loaded.current?.key === key ? loaded.current.data : undefined);

  const load = useCallback(
    () => setPages({ key, limit: Math.min(limit + PATIENT_PAGE, MAX_PATIENT_LIMIT) }),
    [key, limit],
  );
  const more: MorePatients = {
    canLoad: current && listing.data.has_more && limit < MAX_PATIENT_LIMIT,
    loading: limit > PATIENT_PAGE && !current && listing.isFetching,
    load,
  };

  return {
    query,
    /** The search and team filter together: a new one shows the list from the top. */
    key,
    /** The search and team filter `data` is for (rows of another are never held in place). */
    dataKey: shownKey === undefined ? key : shownKey,
    data,
    error: listing.error,
    isError: listing.isError,
    isPending: data === undefined && listing.isPending,
    more,
  };
}

/** Finds a patient by id in any loaded listing, else in a fresh first page (null when not there). */
export async function findPatient(queryClient: QueryClient, patientId: number): Promise<Patient | null> {
  for (const [, listing] of queryClient.getQueriesData<ThreadListing>({ queryKey: threadListKeys.all })) {
    const found = listing?.patients.find((p) => p.id === patientId);
    if (found) return found;
  }
  const listing = await queryClient.fetchQuery(listingQuery(null, PATIENT_PAGE));
  return listing.patients.find((p) => p.id === patientId) ?? null;
}
