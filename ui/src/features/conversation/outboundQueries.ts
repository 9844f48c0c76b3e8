import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { retryMessage, sendSms, undoSend, type Route } from '../../platform';
import { threadListKeys } from '../patients/queries';
import { threadKeys } from './queries';

function refresh(queryClient: QueryClient, patientId: number) {
  void queryClient.invalidateQueries({ queryKey: threadKeys.newestOf(patientId) });
  void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
}

/** undo_send for a text of this patient's thread; the thread and the column reload whatever the outcome. */
export function useUndoSend(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (messageId: number) => undoSend(messageId),
    onSettled: () => refresh(queryClient, patientId),
  });
}

/** retry_message for a failed text of this patient's thread. */
export function useRetryMessage(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (messageId: number) => retryMessage(messageId),
    onSettled: () => refresh(queryClient, patientId),
  });
}

/** A text that may have gone, sent again anyway as a new one (after the coordinator confirmed). */
export function useSendAgain(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ to, text, via }: { to: string; text: string; via: Route }) => sendSms(patientId, to, text, via),
    onSettled: () => refresh(queryClient, patientId),
  });
}
