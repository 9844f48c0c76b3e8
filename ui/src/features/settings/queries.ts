import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import {
  checkConnection,
  credentialStatus,
  deleteCredential,
  getSettings,
  listSenderNumbers,
  sendTestMessage,
  setCredential,
  setSetting,
  type CredentialName,
  type Route,
  type Service,
  type Setting,
} from '../../platform';
import { appInfoKeys } from '../app-info/queries';
import { syncKeys } from '../sync/queries';

export const settingsKeys = {
  settings: ['settings'] as const,
  credentials: ['credentials'] as const,
  senderNumbers: ['sender-numbers'] as const,
};

/** Settings and secrets decide the mode, test mode and sync: the shell's queries read them again. */
function refreshAfterChange(queryClient: QueryClient, own: readonly string[]) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: own }),
    queryClient.invalidateQueries({ queryKey: appInfoKeys.all }),
    queryClient.invalidateQueries({ queryKey: syncKeys.status }),
  ]);
}

export function useSettings() {
  return useQuery({ queryKey: settingsKeys.settings, queryFn: getSettings });
}

/** One setting by key; undefined while loading or when this backend does not have it. */
export function useSetting(key: string): Setting | undefined {
  return useSettings().data?.find((s) => s.key === key);
}

/** The value in force: the stored one, else the default. */
export function effectiveValue(setting: Setting | undefined): string | null {
  return setting ? (setting.value ?? setting.default) : null;
}

export function useSaveSetting() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ key, value }: { key: string; value: string | null }) => setSetting(key, value),
    // Pointing a server elsewhere removes the secrets entered for the old
    // one: the credential rows ask for them again.
    onSuccess: () =>
      Promise.all([
        refreshAfterChange(queryClient, settingsKeys.settings),
        queryClient.invalidateQueries({ queryKey: settingsKeys.credentials }),
      ]),
  });
}

export function useCredentials() {
  return useQuery({ queryKey: settingsKeys.credentials, queryFn: credentialStatus });
}

export function useSaveCredential() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, secret }: { name: CredentialName; secret: string }) => setCredential(name, secret),
    onSuccess: () => refreshAfterChange(queryClient, settingsKeys.credentials),
  });
}

export function useRemoveCredential() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: CredentialName) => deleteCredential(name),
    onSuccess: () => refreshAfterChange(queryClient, settingsKeys.credentials),
  });
}

/** The hospital server's sender numbers (Get numbers); asked once per dialog, then on Refresh. */
export function useSenderNumbers() {
  return useQuery({ queryKey: settingsKeys.senderNumbers, queryFn: listSenderNumbers, staleTime: Infinity, gcTime: 0 });
}

export function useCheckConnection(service: Service) {
  return useMutation({ mutationFn: () => checkConnection(service) });
}

export function useSendTestMessage() {
  return useMutation({ mutationFn: ({ to, via }: { to: string; via: Route | null }) => sendTestMessage(to, via) });
}
