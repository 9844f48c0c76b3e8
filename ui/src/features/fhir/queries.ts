import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { fhirCheck, fhirPull, fhirStatus } from '../../platform';
import { useSetting } from '../settings/queries';
import { fhirKeys } from './keys';

export { fhirKeys };

/** How often the FHIR state is asked again while a server is set, besides the engine's events. */
export const FHIR_STATUS_REFRESH_MS = 10_000;

/** Whether `fhir.base_url` is set (false while settings load). */
export function useFhirConfigured(): boolean {
  const value = useSetting('fhir.base_url')?.value;
  return typeof value === 'string' && value.trim() !== '';
}

/** The FHIR link's state; asked only while a FHIR server is set (the status bar's sync events refresh it). */
export function useFhirStatus(enabled: boolean) {
  return useQuery({
    queryKey: fhirKeys.status,
    queryFn: fhirStatus,
    enabled,
    refetchInterval: enabled ? FHIR_STATUS_REFRESH_MS : false,
    staleTime: 0,
  });
}

export function useFhirCheck() {
  return useMutation({ mutationFn: fhirCheck });
}

export function useFhirPull() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (full: boolean) => fhirPull(full),
    onSettled: () => queryClient.invalidateQueries({ queryKey: fhirKeys.status }),
  });
}
