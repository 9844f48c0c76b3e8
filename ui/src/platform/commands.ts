import { call, makeChannel } from './ipc';
import type {
  AppInfo,
  CredentialName,
  CredentialStatus,
  ImportProgress,
  ImportSummary,
  Patient,
  Setting,
} from './types';

export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}

export function listPatients(query: string | null): Promise<Patient[]> {
  return call<Patient[]>('list_patients', { query });
}

export function importPatients(
  fileName: string,
  content: string,
  onProgress: (progress: ImportProgress) => void,
): Promise<ImportSummary> {
  return call<ImportSummary>('import_patients', {
    fileName,
    content,
    onProgress: makeChannel<ImportProgress>(onProgress),
  });
}

export function getSettings(): Promise<Setting[]> {
  return call<Setting[]>('get_settings');
}

export function setSetting(key: string, value: string | null): Promise<void> {
  return call<void>('set_setting', { key, value });
}

export function credentialStatus(): Promise<CredentialStatus[]> {
  return call<CredentialStatus[]>('credential_status');
}

export function setCredential(name: CredentialName, secret: string): Promise<void> {
  return call<void>('set_credential', { name, secret });
}

export function deleteCredential(name: CredentialName): Promise<void> {
  return call<void>('delete_credential', { name });
}
