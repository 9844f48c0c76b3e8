import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from '@tanstack/react-query';
import { useEffect } from 'react';
import { markThreadRead, placeCall, sendSms, threadPage, type Route } from '../../platform';
import { threadListKeys } from '../patients/queries';
import { mergeNewestPage, type ThreadPages } from './newestPage';

/** How often an open thread asks for new texts and state changes (besides the engine's events). */
export const THREAD_REFRESH_MS = 2_000;
/** Items per page of a thread. */
export const THREAD_PAGE_SIZE = 200;

export const threadKeys = {
  all: ['thread'] as const,
  /** The newest page of every thread: what changes. */
  newest: ['thread', 'newest'] as const,
  newestOf: (patientId: number) => ['thread', 'newest', patientId] as const,
  /** Every loaded page of a thread. */
  pagesOf: (patientId: number) => ['thread', 'pages', patientId] as const,
};

/**
 * The open patient's texts and calls in pages: the first page is the newest, each next
 * page is older (`fetchNextPage` loads further back). Only the newest page is polled and
 * folded in (see mergeNewestPage), so a long thread does not reload every page it shows.
 */
export function useThreadPages(patientId: number) {
  const queryClient = useQueryClient();
  const pages = useInfiniteQuery({
    queryKey: threadKeys.pagesOf(patientId),
    queryFn: ({ pageParam }) => threadPage(patientId, pageParam, THREAD_PAGE_SIZE),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.older,
    staleTime: Infinity,
    // Kept fresh by the newest page; only a first load that failed tries again by itself.
    refetchInterval: (query) => (query.state.data ? false : THREAD_REFRESH_MS),
  });
  const newest = useQuery({
    queryKey: threadKeys.newestOf(patientId),
    queryFn: () => threadPage(patientId, null, THREAD_PAGE_SIZE),
    enabled: pages.isSuccess,
    refetchInterval: THREAD_REFRESH_MS,
    initialData: () => queryClient.getQueryData<ThreadPages>(threadKeys.pagesOf(patientId))?.pages[0],
    initialDataUpdatedAt: () => queryClient.getQueryState(threadKeys.pagesOf(patientId))?.dataUpdatedAt,
  });

  useEffect(() => {
    const fresh = newest.data;
    if (fresh) queryClient.setQueryData<ThreadPages>(threadKeys.pagesOf(patientId), (data) => mergeNewestPage(data, fresh));
  }, [newest.data, patientId, queryClient]);

  return { pages, refreshError: newest.error };
}

/** A patient's thread (its newest page) and the patient column (previews, order) after something changed. */
function refreshAfterChange(queryClient: QueryClient, patientId: number) {
  void queryClient.invalidateQueries({ queryKey: threadKeys.newestOf(patientId) });
  void queryClient.invalidateQueries({ queryKey: threadListKeys.all });
}

export interface SendSmsInput {
  to: string | null;
  text: string;
  via: Route | null;
  /** `to` is a number the patient no longer uses (or not theirs), confirmed by the coordinator. */
  otherNumber?: boolean;
  /** Send later: a local time `YYYY-MM-DDTHH:MM` in the clinic's zone. */
  at?: string;
  /** Why it may go inside the recipient's quiet hours (audited). */
  urgent?: string;
}

/** send_sms for one patient; the thread reloads afterwards whatever the outcome. */
export function useSendSms(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ to, text, via, ...extras }: SendSmsInput) => sendSms(patientId, to, text, via, extras),
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
