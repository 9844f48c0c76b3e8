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
