import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { activityLog, exportActivities, listThreads, type ActivityFilter } from '../../platform';
import { useDebouncedValue } from '../../shared/useDebouncedValue';

export const activityKeys = {
  all: ['activity'] as const,
  log: (filter: ActivityFilter) => ['activity', 'log', filter] as const,
  patients: (query: string | null) => ['activity', 'patients', query] as const,
};

/**
 * The log for a filter; the previous result stays on screen while the next one loads.
 * Always read afresh (new texts and calls keep arriving), also when going back to a filter.
 */
export function useActivityLog(filter: ActivityFilter, enabled: boolean) {
  return useQuery({
    queryKey: activityKeys.log(filter),
    queryFn: () => activityLog(filter),
    placeholderData: keepPreviousData,
    staleTime: 0,
    enabled,
  });
}

/** Writes the filtered log as CSV into the export folder. */
export function useExportActivities() {
  return useMutation({ mutationFn: (filter: ActivityFilter) => exportActivities(filter) });
}

export const PATIENT_SEARCH_DEBOUNCE_MS = 200;

/** Patients for the filter's select, matched by the backend (name, phone or ECM id). */
export function usePatientChoices(searchText: string) {
  const debounced = useDebouncedValue(searchText.trim(), PATIENT_SEARCH_DEBOUNCE_MS);
  const query = debounced === '' ? null : debounced;
  return useQuery({
    queryKey: activityKeys.patients(query),
    // The backend's first page (100); the select lists fewer, and the search narrows it.
    queryFn: () => listThreads(query, null),
    select: (listing) => listing.patients,
    placeholderData: keepPreviousData,
  });
}
