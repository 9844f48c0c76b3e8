import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { listThread, placeCall, sendSms, type Route } from '../../platform';

/** How often an open thread asks for new texts and state changes. */
export const THREAD_REFRESH_MS = 2_000;

export const threadKeys = {
  all: ['thread'] as const,
  patient: (patientId: number) => ['thread', patientId] as const,
};

/** The open patient's texts and calls, oldest first, refreshed while the thread is shown. */
export function useThread(patientId: number) {
  return useQuery({
    queryKey: threadKeys.patient(patientId),
    queryFn: () => listThread(patientId),
    refetchInterval: THREAD_REFRESH_MS,
  });
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
    onSettled: () => queryClient.invalidateQueries({ queryKey: threadKeys.patient(patientId) }),
  });
}

/** place_call for one patient; the thread reloads afterwards whatever the outcome. */
export function usePlaceCall(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (to: string | null) => placeCall(patientId, to),
    onSettled: () => queryClient.invalidateQueries({ queryKey: threadKeys.patient(patientId) }),
  });
}
