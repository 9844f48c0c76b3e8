import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { onSyncEvent, syncNow, syncStatus } from '../../platform';
import { fhirKeys, isFhirEvent } from '../fhir/keys';

export const syncKeys = {
  status: ['sync-status'] as const,
};

/** How often the status bar asks again, besides the engine's events. */
export const SYNC_STATUS_REFRESH_MS = 5_000;

/** Where the background sync stands (status bar). */
export function useSyncStatus() {
  return useQuery({
    queryKey: syncKeys.status,
    queryFn: syncStatus,
    refetchInterval: SYNC_STATUS_REFRESH_MS,
    staleTime: 0,
  });
}

/** Refreshes the sync status whenever the engine starts or finishes a cycle, and the FHIR link's on its events. */
export function useSyncStatusEvents() {
  const queryClient = useQueryClient();
  useEffect(() => {
    let unlisten: (() => void) | null = null;
    let cancelled = false;
    void onSyncEvent((event) => {
      void queryClient.invalidateQueries({ queryKey: isFhirEvent(event) ? fhirKeys.status : syncKeys.status });
    }).then((stop) => {
      if (cancelled) stop();
      else unlisten = stop;
    });
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [queryClient]);
}

/** Asks the engine for a cycle now. */
export function useSyncNow() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: syncNow,
    onSettled: () => queryClient.invalidateQueries({ queryKey: syncKeys.status }),
  });
}
