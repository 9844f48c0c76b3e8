import { useQueryClient } from '@tanstack/react-query';
import { threadKeys } from '../features/conversation/queries';
import { templateKeys } from '../features/conversation/templates';
import { campaignKeys } from '../features/outreach/campaignQueries';
import { threadListKeys } from '../features/patients/queries';
import { teamKeys } from '../features/team/queries';
import { unmatchedKeys } from '../features/unmatched/queries';
import { onSyncEvent, type SyncEvent } from '../platform';
import { useBackendEvent } from './useBackendEvent';

/**
 * New replies and delivery states appear without a reload (in team mode also what the team
 * changed: notes, assignment, open/closed, templates, colleagues' campaigns): when the engine finishes a
 * cycle that changed something, or a FHIR roster pull that changed patients, the thread
 * list, open threads and the Unmatched inbox reload; FHIR writes refresh the open threads' marks. (Each also refetches on an interval,
 * in case an event is missed.)
 */
export function useSyncRefresh() {
  const queryClient = useQueryClient();
  useBackendEvent(onSyncEvent, (event: SyncEvent) => {
    // Team mode: the members' names come with the team sync (a local read).
    if (event.kind === 'cycle_finished') void queryClient.invalidateQueries({ queryKey: teamKeys.view });
    const changed = (event.kind === 'cycle_finished' || event.kind === 'fhir_pulled') && event.changed;
    // A campaign moved: its progress bar and counts.
    if (event.kind === 'campaign_progress') void queryClient.invalidateQueries({ queryKey: campaignKeys.all });
    // Texts and calls just recorded on the FHIR server: their marks in the open threads.
    if (event.kind === 'fhir_written') void queryClient.invalidateQueries({ queryKey: threadKeys.newest });
    if (!changed) return;
    // Replies may be campaign answers, and delivery states move a campaign's counts; in team mode
    // a colleague may have changed a template.
    for (const queryKey of [
      threadListKeys.all,
      threadKeys.newest,
      unmatchedKeys.all,
      teamKeys.threads,
      campaignKeys.all,
      templateKeys.all,
    ]) {
      void queryClient.invalidateQueries({ queryKey });
    }
  });
}
