import type {
  AppInfo,
  CallOutcome,
  CredentialStatus,
  LastItem,
  Patient,
  PatientThread,
  Setting,
  SmsOutcome,
  SyncView,
  ThreadItem,
  ThreadListing,
  ThreadPage,
  UnmatchedThread,
} from '../platform';
import type { CommandArgs } from '../platform/mockBackend';

export const appInfo: AppInfo = {
  version: '0.1.0',
  data_dir: '/home/test/.local/share/caredesk',
  mode: 'sandbox',
  user_name: 'Dana Coordinator',
  patient_count: 3,
  sandbox_behaviours: [
    { who: 'Chloe Nguyen, +1 (805) 555-0103', what: 'always replies STOP, so the number is opted out' },
    { who: 'Any other number (patients you import or add)', what: 'replies at random (never STOP)' },
  ],
};

export const patients: Patient[] = [
  {
    id: 1,
    name: 'Alice Moreno',
    ecm_patient_id: 40213,
    fhir_id: null,
    fhir_status: null,
    time_zone: null,
    phones: [
      { number: '+15551234567', kind: 'patient', name: null, relationship: null, opted_out: false, active: true },
      { number: '+15559876543', kind: 'contact', name: 'Rosa Moreno', relationship: 'daughter', opted_out: false, active: true },
    ],
  },
  {
    id: 2,
    name: 'Bob Tran',
    ecm_patient_id: null,
    fhir_id: null,
    fhir_status: null,
    time_zone: null,
    phones: [{ number: '+15550001111', kind: 'patient', name: null, relationship: null, opted_out: true, active: true }],
  },
  {
    id: 3,
    name: 'Carla Singh',
    ecm_patient_id: 40999,
    fhir_id: null,
    fhir_status: null,
    time_zone: null,
    phones: [{ number: '+15552223333', kind: 'patient', name: null, relationship: null, opted_out: false, active: true }],
  },
];

/** What the Rust search does, roughly: name, phone or ECM id contains the query. */
export function searchPatients<P extends Patient>(all: P[], query: unknown): P[] {
  if (typeof query !== 'string' || query.trim() === '') return all;
  const q = query.trim().toLowerCase();
  return all.filter(
    (p) =>
      p.name.toLowerCase().includes(q) ||
      String(p.ecm_patient_id ?? '').includes(q) ||
      p.phones.some((ph) => ph.number.includes(q)),
  );
}

export const settings: Setting[] = [
  {
    key: 'his.base_url',
    value: 'https://his.example.org',
    default: null,
    description: 'Base URL of the hospital information system.',
    note: null,
  },
  { key: 'sms.daily_limit', value: null, default: '200', description: 'Most texts sent per day.', note: null },
];

export const credentials: CredentialStatus[] = [
  { name: 'his-token', stored: true, description: 'API token for the HIS.' },
  { name: 'his-client-secret', stored: false, description: 'OAuth client secret for the HIS.' },
  { name: 'ecm-token', stored: true, description: 'API token for ECM.' },
];

let nextId = 100;

/** A thread item with plausible defaults (an outbound text, sent over the hospital server). */
export function threadItem(fields: Partial<ThreadItem> = {}): ThreadItem {
  return {
    id: nextId++,
    kind: 'sms',
    direction: 'outbound',
    text: 'Hello',
    from: null,
    to: '+15551234567',
    state: 'sent',
    server_id: 'SM123',
    at: '2024-03-01T09:30:00Z',
    route: 'his',
    test: false,
    intended_to: null,
    flagged: null,
    error: null,
    note: null,
    paused: false,
    hold_until: null,
    retryable: false,
    retried: false,
    unmatched_reply: false,
    ...fields,
  };
}

export function smsOutcome(fields: Partial<SmsOutcome> = {}): SmsOutcome {
  return {
    message_id: nextId++,
    patient_id: 1,
    route: 'his',
    to: '+15551234567',
    intended_to: null,
    test: false,
    status: 'accepted',
    state: 'sent',
    server_id: 'SM456',
    error: null,
    error_code: null,
    attempts: 1,
    next_attempt_at: null,
    handed_to: null,
    hold_until: null,
    hold_reason: null,
    ...fields,
  };
}

export function callOutcome(fields: Partial<CallOutcome> = {}): CallOutcome {
  return {
    call_id: nextId++,
    patient_id: 1,
    to: '+15551234567',
    status: 'initiating',
    server_id: 'CA789',
    error: null,
    error_code: null,
    ...fields,
  };
}

/** A thread list row: the patient with no activity and nothing unread unless given. */
export function patientThread(patient: Patient, fields: Partial<PatientThread> = {}): PatientThread {
  return {
    ...patient,
    last: null,
    unread: 0,
    opted_out: patient.phones.some((p) => p.kind === 'patient' && p.opted_out),
    ...fields,
  };
}

export function lastItem(fields: Partial<LastItem> = {}): LastItem {
  return { at: '2024-03-01T09:30:00Z', kind: 'sms', direction: 'inbound', preview: 'Hello', ...fields };
}

/** The three patients as list_threads rows, in backend order (latest activity first). */
export const patientThreads: PatientThread[] = patients.map((p) => patientThread(p));

/**
 * list_threads over `rows`, searched and limited like the backend (limit null = 100, clamped
 * to 1..=5000), with an Unmatched summary.
 */
export function threadListing(
  rows: PatientThread[],
  query: unknown,
  unmatched: ThreadListing['unmatched'] = { threads: 0, unread: 0 },
  limit: unknown = null,
): ThreadListing {
  const found = searchPatients(rows, query);
  const max = typeof limit === 'number' ? Math.min(Math.max(limit, 1), 5000) : 100;
  return {
    patients: found.slice(0, max),
    has_more: found.length > max,
    unmatched,
    unread_total: rows.reduce((n, p) => n + p.unread, 0) + unmatched.unread,
  };
}

/**
 * A thread_page handler over `items` (oldest first), paging like the backend: the newest
 * `limit` items before the cursor; the cursor is the id of the oldest item returned.
 */
export function pagedThread(items: ThreadItem[] | (() => ThreadItem[])): (args: CommandArgs) => ThreadPage {
  return (args) => {
    const all = typeof items === 'function' ? items() : items;
    const before = typeof args.before === 'string' ? all.findIndex((i) => String(i.id) === args.before) : all.length;
    const end = before < 0 ? 0 : before;
    const limit = typeof args.limit === 'number' ? args.limit : 200;
    const start = Math.max(0, end - limit);
    const page = all.slice(start, end);
    return { items: page, older: start > 0 && page[0] ? String(page[0].id) : null };
  };
}

export function unmatchedThread(fields: Partial<UnmatchedThread> = {}): UnmatchedThread {
  return {
    number: '+18055550100',
    display: '(805) 555-0100',
    unread: 1,
    last: lastItem({ preview: 'Who is this?' }),
    ...fields,
  };
}

export const syncView: SyncView = {
  mode: 'sandbox',
  test_mode: false,
  override_number: null,
  syncing: false,
  last_sync: null,
  next_sync: null,
  last_error: null,
  interval_secs: 30,
  paused: [],
  unreadable: [],
};
