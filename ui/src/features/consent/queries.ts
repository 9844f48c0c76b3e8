import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  invitePatient,
  patientConsents,
  pendingRevocations,
  resolveRevocation,
  type RevocationResolution,
} from '../../platform';
import { threadKeys } from '../conversation/queries';

export const consentKeys = {
  all: ['consent'] as const,
  patient: (patientId: number) => ['consent', 'patient', patientId] as const,
  revocations: ['consent', 'revocations'] as const,
};

/** How often consents are asked again (a START or a STOP may come in any cycle). */
const CONSENT_REFRESH_MS = 15_000;

export function usePatientConsents(patientId: number) {
  return useQuery({
    queryKey: consentKeys.patient(patientId),
    queryFn: () => patientConsents(patientId),
    refetchInterval: CONSENT_REFRESH_MS,
  });
}

export function useInvite(patientId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (to: string | null) => invitePatient(patientId, to),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: consentKeys.all }),
        queryClient.invalidateQueries({ queryKey: threadKeys.newestOf(patientId) }),
      ]),
  });
}

export function usePendingRevocations() {
  return useQuery({ queryKey: consentKeys.revocations, queryFn: pendingRevocations, refetchInterval: CONSENT_REFRESH_MS });
}

export function useResolveRevocation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ messageId, resolution }: { messageId: number; resolution: RevocationResolution }) =>
      resolveRevocation(messageId, resolution),
    onSettled: () => queryClient.invalidateQueries({ queryKey: consentKeys.all }),
  });
}
