import { useInfiniteQuery, useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { markThreadRead, placeCall, sendSms, threadPage, type Route } from '../../platform';
import { threadListKeys } from '../patients/queries';

/** How often an open thread asks for new texts and state changes (besides the engine's events). */
export const THREAD_REFRESH_MS = 2_000;
/** Items per page of a thread. */
export const THREAD_PAGE_SIZE = 200;

export const threadKeys = {
  all: ['thread'] as const,
  patient: (patientId: number) => ['thread', patientId] as const,
};

/**
 * The open patient's texts and calls in pages: the first page is the newest, each next
 * page is older (`fetchNextPage` loads further back). Refreshed while the thread is shown.
 */
export function useThreadPages(patientId: number) {
  return useInfiniteQuery({
    queryKey: threadKeys.patient(patientId),
    queryFn: ({ pageParam }) => threadPage(patientId, pageParam, THREAD_PAGE_SIZE),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.older,
    refetchInterval: THREAD_REFRESH_MS,
  });
}

/** A patient's thread and the patient column (previews, order, badges) after something changed. */
function refreshAfterChange(queryClient: QueryClient, patientId: number) {
  void queryClient.invalidateQueries({ queryKey: threadKeys.patient(patientId) });
  void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
}

export interface SendSmsInput {
  to: string | null;
  text: string;
  via: Route | null;
}

/** send_sms for one patient; the thread reloads afterwards whatever the outcome. */
export function useSendSms(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ to, text, via }: SendSmsInput) => sendSms(patientId, to, text, via),
    onSettled: () => refreshAfterChange(queryClient, patientId),
  });
}

/** place_call for one patient; the thread reloads afterwards whatever the outcome. */
export function usePlaceCall(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (to: string | null) => placeCall(patientId, to),
    onSettled: () => refreshAfterChange(queryClient, patientId),
  });
}

/** mark_thread_read; the patient column reloads so the unread badge goes. */
export function useMarkThreadRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patientId: number) => markThreadRead(patientId),
    onSettled: () => queryClient.invalidateQueries({ queryKey: threadListKeys.all }),
  });
}
