import { useQueryClient } from '@tanstack/react-query';
import { teamKeys } from '../features/team/queries';
import { onPresence, type PresenceChanged } from '../platform';
import { useBackendEvent } from './useBackendEvent';

/** Team mode: who else is in which thread, as the backend reports it (`team://presence`). */
export function usePresenceEvents() {
  const queryClient = useQueryClient();
  useBackendEvent(onPresence, (event: PresenceChanged) => {
    queryClient.setQueryData(teamKeys.presence, event.present);
  });
}
