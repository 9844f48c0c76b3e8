import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { listPatients } from '../../platform';
import { useDebouncedValue } from '../../shared/useDebouncedValue';

export const SEARCH_DEBOUNCE_MS = 150;

export const patientKeys = {
  all: ['patients'] as const,
  list: (query: string | null) => ['patients', 'list', query] as const,
};

/** Patients matching the search box text; matching happens in the backend. */
export function usePatients(searchText: string) {
  const debounced = useDebouncedValue(searchText, SEARCH_DEBOUNCE_MS);
  const query = debounced.trim() === '' ? null : debounced;
  return useQuery({
    queryKey: patientKeys.list(query),
    queryFn: () => listPatients(query),
    placeholderData: keepPreviousData,
  });
}
