import { useQueryClient } from '@tanstack/react-query';
import { threadKeys } from '../features/conversation/queries';
import { threadListKeys } from '../features/patients/queries';
import { unmatchedKeys } from '../features/unmatched/queries';
import { onSyncEvent, type SyncEvent } from '../platform';
import { useBackendEvent } from './useBackendEvent';

/**
 * New replies and delivery states appear without a reload: when the engine finishes a
 * cycle that changed something, the thread list, open threads and the Unmatched inbox
 * reload. (Each also refetches on an interval, in case an event is missed.)
 */
export function useSyncRefresh() {
  const queryClient = useQueryClient();
  useBackendEvent(onSyncEvent, (event: SyncEvent) => {
    if (event.kind !== 'cycle_finished' || !event.changed) return;
    for (const queryKey of [threadListKeys.all, threadKeys.newest, unmatchedKeys.all]) {
      void queryClient.invalidateQueries({ queryKey });
    }
  });
}
