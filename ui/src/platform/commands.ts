import { call, makeChannel } from './ipc';
import type {
  AppInfo,
  CallOutcome,
  CredentialName,
  CredentialStatus,
  ImportProgress,
  ImportSummary,
  Patient,
  Route,
  Setting,
  SmsOutcome,
  ThreadItem,
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

/** The patient's texts and calls, oldest first. */
export function listThread(patientId: number): Promise<ThreadItem[]> {
  return call<ThreadItem[]>('list_thread', { patientId });
}

/**
 * Sends a text. `to` null = the patient's own number, `via` null = the default route.
 * Rejects (opted_out, invalid_message, invalid_phone, not_configured, not_found, gateway)
 * when the text cannot be tried; a server refusal resolves with state "failed".
 */
export function sendSms(patientId: number, to: string | null, text: string, via: Route | null): Promise<SmsOutcome> {
  return call<SmsOutcome>('send_sms', { patientId, to, text, via });
}

/** Places a call through ECM. `to` null = the patient's own number. */
export function placeCall(patientId: number, to: string | null): Promise<CallOutcome> {
  return call<CallOutcome>('place_call', { patientId, to });
}
