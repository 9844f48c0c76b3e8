import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  addNote,
  assignThread,
  closeThread,
  reopenThread,
  teamPresence,
  teamThread,
  teamView,
  type AssignTo,
  type PresenceEntry,
  type TeamView,
} from '../../platform';
import { threadListKeys } from '../patients/queries';

export const teamKeys = {
  all: ['team'] as const,
  view: ['team', 'view'] as const,
  /** Every open thread's team state. */
  threads: ['team', 'thread'] as const,
  thread: (patientId: number) => ['team', 'thread', patientId] as const,
  presence: ['team', 'presence'] as const,
};

/** How often the members (names, who joined) are read again (a local read: the sync keeps them). */
export const TEAM_VIEW_REFRESH_MS = 10_000;
/** How often an open thread's assignee, status and notes are read again, besides the sync's events. */
export const TEAM_THREAD_REFRESH_MS = 2_000;
/** Presence arrives as events; this is only the fallback. */
export const PRESENCE_REFRESH_MS = 5_000;

/** This desk's member and the team's members (`me` null: a desk alone, and nothing of the team shows). */
export function useTeamView() {
  return useQuery({ queryKey: teamKeys.view, queryFn: teamView, refetchInterval: TEAM_VIEW_REFRESH_MS });
}

/** The team view when this desk is in a team, else null (also while it loads or fails). */
export function useTeam(): TeamView | null {
  const data = useTeamView().data;
  return data?.me ? data : null;
}

/** A patient's thread as the team shares it, and its notes (only asked in team mode). */
export function useTeamThread(patientId: number, enabled: boolean) {
  return useQuery({
    queryKey: teamKeys.thread(patientId),
    queryFn: () => teamThread(patientId),
    enabled,
    refetchInterval: TEAM_THREAD_REFRESH_MS,
  });
}

/** A change to the thread's team state; its team state and the patient column reload afterwards. */
function useThreadChange<T>(patientId: number, change: (arg: T) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: teamKeys.thread(patientId) });
      void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
    },
  });
}

export function useAssignThread(patientId: number) {
  return useThreadChange(patientId, (to: AssignTo) => assignThread(patientId, to));
}

/** Closes (true) or reopens (false) the thread. */
export function useCloseThread(patientId: number) {
  return useThreadChange(patientId, (close: boolean) => (close ? closeThread(patientId) : reopenThread(patientId)));
}

export function useAddNote(patientId: number) {
  return useThreadChange(patientId, (text: string) => addNote(patientId, text));
}

/** Who else is in which thread (kept current by `team://presence`, see app/usePresenceEvents). */
export function usePresence(enabled: boolean) {
  return useQuery<PresenceEntry[]>({
    queryKey: teamKeys.presence,
    queryFn: teamPresence,
    enabled,
    refetchInterval: PRESENCE_REFRESH_MS,
  });
}
