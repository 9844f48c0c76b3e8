// Types of the Tauri command contract. Field names match the Rust side (snake_case).

export type AppMode = 'sandbox' | 'real';

export interface AppInfo {
  version: string;
  data_dir: string;
  mode: AppMode;
  user_name: string;
  patient_count: number;
}

export type PhoneKind = 'patient' | 'contact';

export interface Phone {
  /** E.164, e.g. "+15551234567" */
  number: string;
  kind: PhoneKind;
  name: string | null;
  relationship: string | null;
  opted_out: boolean;
}

export interface Patient {
  id: number;
  name: string;
  ecm_patient_id: number | null;
  phones: Phone[];
}

export interface ImportProgress {
  done: number;
  total: number;
}

export interface RejectedRow {
  row: number;
  message: string;
}

export interface ImportSummary {
  total_rows: number;
  created: number;
  updated: number;
  rejected: RejectedRow[];
}

export interface Setting {
  key: string;
  value: string | null;
  default: string | null;
  description: string;
}

export type CredentialName = 'his-token' | 'his-client-secret' | 'ecm-token';

export interface CredentialStatus {
  name: CredentialName;
  stored: boolean;
  description: string;
}

/** Which server carries a text: the hospital SMS server (HIS) or ECM. */
export type Route = 'his' | 'ecm';

export type ThreadItemKind = 'sms' | 'call';
export type Direction = 'inbound' | 'outbound';

/**
 * One text or call in a patient's thread (list_thread returns them oldest first).
 * `state` is an SMS state (sending, sent, queued, delivered, undelivered, failed,
 * uncertain, received, …) or a call status (initiating, queued, ringing, in-progress,
 * completed, busy, no-answer, failed, canceled).
 */
export interface ThreadItem {
  id: number;
  kind: ThreadItemKind;
  direction: Direction;
  text: string;
  from: string | null;
  to: string;
  state: string;
  server_id: string | null;
  /** RFC 3339, or the server's local time without offset (e.g. 2019-11-12T11:01:51.2143795). */
  at: string;
  route: Route;
  /** Sent to the test number instead of the patient (sandbox). */
  test: boolean;
  /** For test sends: the number it would have gone to. */
  intended_to: string | null;
  error: string | null;
}

/** A server refusal resolves with state "failed" and a readable `error`. */
export interface SmsOutcome {
  message_id: number;
  patient_id: number;
  route: Route;
  to: string;
  state: string;
  server_id: string | null;
  error: string | null;
  error_code: string | null;
}

/** A refused call resolves with status "failed" and a readable `error`. */
export interface CallOutcome {
  call_id: number;
  patient_id: number;
  to: string;
  status: string;
  server_id: string | null;
  error: string | null;
  error_code: string | null;
}
