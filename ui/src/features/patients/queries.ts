import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { listThreads, type Patient, type ThreadListing } from '../../platform';
import { useDebouncedValue } from '../../shared/useDebouncedValue';

export const SEARCH_DEBOUNCE_MS = 150;
/** How often the patient column asks again, besides the engine's events. */
export const THREAD_LIST_REFRESH_MS = 10_000;

export const threadListKeys = {
  all: ['threads'] as const,
  list: (query: string | null) => ['threads', 'list', query] as const,
};

function searchQuery(text: string): string | null {
  return text.trim() === '' ? null : text.trim();
}

function listingQuery(query: string | null) {
  return { queryKey: threadListKeys.list(query), queryFn: () => listThreads(query) };
}

/** The patient column for the search box text; matching and order come from the backend. */
export function useThreadListing(searchText: string) {
  const query = searchQuery(useDebouncedValue(searchText, SEARCH_DEBOUNCE_MS));
  return useQuery({
    ...listingQuery(query),
    placeholderData: keepPreviousData,
    refetchInterval: THREAD_LIST_REFRESH_MS,
  });
}

/** Finds a patient by id in any loaded listing, else in a fresh unfiltered one (null when gone). */
export async function findPatient(queryClient: QueryClient, patientId: number): Promise<Patient | null> {
  for (const [, listing] of queryClient.getQueriesData<ThreadListing>({ queryKey: threadListKeys.all })) {
    const found = listing?.patients.find((p) => p.id === patientId);
    if (found) return found;
  }
  const listing = await queryClient.fetchQuery(listingQuery(null));
  return listing.patients.find((p) => p.id === patientId) ?? null;
}
