import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  credentialStatus,
  deleteCredential,
  getSettings,
  setCredential,
  setSetting,
  type CredentialName,
} from '../../platform';

export const settingsKeys = {
  settings: ['settings'] as const,
  credentials: ['credentials'] as const,
};

export function useSettings() {
  return useQuery({ queryKey: settingsKeys.settings, queryFn: getSettings });
}

export function useSaveSetting() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ key, value }: { key: string; value: string | null }) => setSetting(key, value),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: settingsKeys.settings }),
  });
}

export function useCredentials() {
  return useQuery({ queryKey: settingsKeys.credentials, queryFn: credentialStatus });
}

export function useSaveCredential() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, secret }: { name: CredentialName; secret: string }) => setCredential(name, secret),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: settingsKeys.credentials }),
  });
}

export function useRemoveCredential() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: CredentialName) => deleteCredential(name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: settingsKeys.credentials }),
  });
}
