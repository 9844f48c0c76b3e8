import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { linkNumber, listUnmatched, markUnmatchedRead, replyUnmatched, unmatchedThread, type LinkContact } from '../../platform';
import { THREAD_REFRESH_MS, threadKeys } from '../conversation/queries';
import { THREAD_LIST_REFRESH_MS, threadListKeys } from '../patients/queries';

export const unmatchedKeys = {
  all: ['unmatched'] as const,
  list: ['unmatched', 'list'] as const,
  thread: (number: string) => ['unmatched', 'thread', number] as const,
};

/** Unknown numbers that wrote, latest first. */
export function useUnmatchedList() {
  return useQuery({ queryKey: unmatchedKeys.list, queryFn: listUnmatched, refetchInterval: THREAD_LIST_REFRESH_MS });
}

/** What one unknown number wrote, oldest first, refreshed while shown. */
export function useUnmatchedThread(number: string) {
  return useQuery({
    queryKey: unmatchedKeys.thread(number),
    queryFn: () => unmatchedThread(number),
    refetchInterval: THREAD_REFRESH_MS,
  });
}

/** mark_unmatched_read; the inbox and the Unmatched entry reload so the badges go. */
export function useMarkUnmatchedRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (number: string) => markUnmatchedRead(number),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: unmatchedKeys.list });
      void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
    },
  });
}

export interface LinkInput {
  number: string;
  patientId: number;
  /** Who the number belongs to, when staff know. */
  contact?: LinkContact | null;
}

/** link_number: the number's messages move to the patient's thread, so all three views reload. */
export function useLinkNumber() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ number, patientId, contact }: LinkInput) => linkNumber(number, patientId, contact ?? null),
    onSuccess: (_moved, { patientId }) => {
      void queryClient.invalidateQueries({ queryKey: unmatchedKeys.all });
      void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
      // Linked texts may fall anywhere in the thread: reload all of it.
      void queryClient.invalidateQueries({ queryKey: threadKeys.pagesOf(patientId) });
      void queryClient.invalidateQueries({ queryKey: threadKeys.newestOf(patientId) });
    },
  });
}

/** reply_unmatched for one unknown number; its thread reloads whatever the outcome. */
export function useReplyUnmatched(number: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (text: string) => replyUnmatched(number, text),
    onSettled: () => queryClient.invalidateQueries({ queryKey: unmatchedKeys.thread(number) }),
  });
}
