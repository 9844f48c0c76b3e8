// Types of the Tauri command contract. Field names match the Rust side (snake_case).

export type AppMode = 'sandbox' | 'real';

export interface AppInfo {
  version: string;
  data_dir: string;
  mode: AppMode;
  user_name: string;
  patient_count: number;
  /** What the built-in sandbox does (who replies what); empty with the real servers. */
  sandbox_behaviours: SandboxBehaviour[];
}

export interface SandboxBehaviour {
  who: string;
  what: string;
}

export type PhoneKind = 'patient' | 'contact';

export interface Phone {
  /** E.164, e.g. "+15551234567" */
  number: string;
  kind: PhoneKind;
  name: string | null;
  relationship: string | null;
  opted_out: boolean;
  /** False: a re-import no longer lists it (the patient no longer uses it). Never preselected. */
  active: boolean;
}

export interface Patient {
  id: number;
  name: string;
  ecm_patient_id: number | null;
  phones: Phone[];
}

/** One number as staff enter it in the patient dialog (normalized by the backend). */
export interface PhoneForm {
  /** As typed, any common format. */
  number: string;
  kind: PhoneKind;
  /** A contact's name; ignored for the patient's own number. */
  name: string | null;
  relationship: string | null;
  /** False: no longer used (kept, never texted without confirming). */
  active: boolean;
  /** false records an opt-out by staff, true consent given again; null leaves it as it is. */
  sms_consent: boolean | null;
}

/**
 * A patient as staff enter them: added whole, or edited (the numbers listed are added or
 * changed, the others left as they are). Refused with a code per field: invalid_name,
 * invalid_ecm_id, duplicate_ecm_id, invalid_phone, duplicate_number, number_required,
 * invalid_contact.
 */
export interface PatientForm {
  name: string;
  ecm_patient_id: number | null;
  phones: PhoneForm[];
}

/** Who a number linked from Unmatched belongs to, when staff know (relationship "unknown" otherwise). */
export interface LinkContact {
  name: string | null;
  relationship: string | null;
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
  /**
   * What CareDesk found out about the setting's subject when it is not set (today only
   * his.time_zone: "UTC+02:00, estimated from the server's lists of sent messages; …").
   */
  note: string | null;
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
  /** RFC 3339 UTC on the desk's clock (server times are converted by the backend). */
  at: string;
  route: Route;
  /** Sent to the test number instead of the patient (sandbox). */
  test: boolean;
  /** For test sends: the number it would have gone to. */
  intended_to: string | null;
  error: string | null;
  /** Why staff should look at an inbound text: "help" or "revocation" (opt-out-like free text). */
  flagged: string | null;
  /**
   * Why a text not sent yet waits ("waiting: the hospital SMS server refused CareDesk's
   * credentials, …", "it may have been sent: …"). Null for texts that went, inbound texts and calls.
   */
  note: string | null;
  /** It waits because its route is paused (the server refused CareDesk's credentials): nothing failed. */
  paused: boolean;
  /** Within its undo delay: not sent before this time (RFC 3339 UTC); Undo can take it back. */
  hold_until?: string | null;
  /** A failed text no server accepted, not yet retried: Retry may send it again. */
  retryable?: boolean;
  /** A failed text already sent again with Retry. */
  retried?: boolean;
  /** A text staff sent to an unmatched number from the Unmatched inbox. */
  unmatched_reply?: boolean;
}

/** A server refusal resolves with state "failed" and a readable `error`. */
export interface SmsOutcome {
  message_id: number;
  /** null for a reply to an unmatched number. */
  patient_id: number | null;
  route: Route;
  to: string;
  state: string;
  server_id: string | null;
  error: string | null;
  error_code: string | null;
  /** Queued within its undo delay: not sent before this time; Undo can take it back. */
  hold_until?: string | null;
}

/** A text taken back with Undo: what goes back into the composer. */
export interface Withdrawn {
  message_id: number;
  patient_id: number | null;
  text: string;
  /** The patient's number it was for. */
  to: string;
  via: Route;
}

/** A text recorded in the outbox (Retry). */
export interface Enqueued {
  message_id: number;
  patient_id: number | null;
  route: Route;
  to: string;
  intended_to: string | null;
  test: boolean;
  external_key: number;
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

// ---- The coordinator's desk (issue 5) ----

/** A thread's newest item, for list previews. */
export interface LastItem {
  /** RFC 3339 UTC, like ThreadItem.at. */
  at: string;
  kind: ThreadItemKind;
  direction: Direction;
  /** Whitespace flattened, at most 80 characters (ends with … when cut). "Call: <status>" for calls. */
  preview: string;
}

/** One row of the patient column: the patient, their newest item and unread count. */
export interface PatientThread extends Patient {
  last: LastItem | null;
  /** Unread inbound texts. */
  unread: number;
  /** The patient's own number has opted out of SMS. */
  opted_out: boolean;
}

/** Replies from numbers no patient could be matched to. */
export interface UnmatchedSummary {
  /** How many unknown numbers have written. */
  threads: number;
  unread: number;
}

/**
 * list_threads: patients sorted by latest activity (those with none after, by name),
 * filtered by the search text (name prefix, phone digits in any format, "ecm:123" or a bare ECM id),
 * at most `limit` of them.
 */
export interface ThreadListing {
  /** The first `limit` of the matching patients. */
  patients: PatientThread[];
  /** More patients match than `limit`: a larger limit returns these rows and more. */
  has_more: boolean;
  unmatched: UnmatchedSummary;
  /** Unread over every thread, unmatched included (the window title shows it). */
  unread_total: number;
}

/** One unknown number in the Unmatched inbox. */
export interface UnmatchedThread {
  /** E.164 (or as the server sent it). */
  number: string;
  /** For people: "(805) 555-0100". */
  display: string;
  unread: number;
  last: LastItem;
}

/** A page of a thread, oldest first. `older` is the cursor for the page before it (null = start reached). */
export interface ThreadPage {
  items: ThreadItem[];
  older: string | null;
}

/** A text of a thread that contains the search (search_thread). */
export interface ThreadHit {
  id: number;
  /** Always "sms": calls have no text. With `id`, the thread item's key. */
  kind: ThreadItemKind;
  /** RFC 3339 UTC, as the item's `at`. */
  at: string;
}

/** What a search in one thread found, newest first, over the whole thread. */
export interface ThreadSearch {
  hits: ThreadHit[];
  /** More texts match than the hits returned. */
  more: boolean;
}

/**
 * A route whose server refused CareDesk's credentials (HTTP 401/403, or Azure AD refusing the
 * client or its secret): its texts wait in the outbox. Replacing the secret resumes it; one
 * waiting text is also tried again every 5 minutes (`next_probe`).
 */
export interface RoutePause {
  route: Route;
  /** The error code that paused it (his_unauthorized, his_azure_auth, ecm_unauthorized). */
  code: string;
  /** What the server said, in words, and what to do. */
  reason: string;
  /** RFC 3339 UTC. */
  since: string;
  /** RFC 3339 UTC. */
  next_probe: string;
}

/** A message from the hospital SMS server that could not be read: skipped, kept, read again at every poll. */
export interface UnreadableMessage {
  kind: 'Incoming' | 'Outgoing';
  /** Its Id as the server wrote it (or raw:<hash> when it had none). */
  his_id: string;
  /** Why, without any of the message's content ("it has no sender (From is empty)"). */
  reason: string;
  /** RFC 3339 UTC. */
  first_seen: string;
  /** RFC 3339 UTC. */
  last_seen: string;
  /** How many pages it was in. */
  seen: number;
}

/** Where the background sync stands, for the status bar. Times are RFC 3339 UTC. */
export interface SyncView {
  mode: AppMode;
  test_mode: boolean;
  /** Every text goes here instead (E.164), when set. */
  override_number: string | null;
  /** A cycle is running now. */
  syncing: boolean;
  last_sync: string | null;
  next_sync: string | null;
  /** Redacted, readable; null when healthy. */
  last_error: string | null;
  interval_secs: number;
  /** Routes whose server refused CareDesk's credentials: their texts wait. */
  paused: RoutePause[];
  /** Messages from the hospital SMS server that could not be read. */
  unreadable: UnreadableMessage[];
}

export type Service = 'his' | 'ecm';

export interface ConnectionCheck {
  service: Service;
  ok: boolean;
  /** What was found, in words ("Connected: 3 sender numbers", "The server refused the token (401)"). */
  message: string;
  elapsed_ms: number;
}

/** One hospital sender number from Get numbers. */
export interface SenderNumber {
  number: string;
  /** A hospital phone number (international digits) or a sender name. */
}

export type ActivityType = 'sms' | 'call';

/** Activity log filters: inclusive YYYY-MM-DD dates (UTC), type, patient. */
export interface ActivityFilter {
  from: string | null;
  to: string | null;
  activity_type: ActivityType | null;
  patient_id: number | null;
}

/** One activity with its event (the PRTF reporting row). */
export interface ActivityRow {
  /** null: a text or call ECM has no activity for (never accepted: failed, uncertain, undone). */
  activity_id: number | null;
  ecm_activity_id: number | null;
  activity_type: ActivityType;
  direction: Direction;
  /** Where the text or call stands now: sending, sent, delivered, failed, uncertain, undone, received, placing, placed. */
  status: string;
  /** Why it failed or is uncertain (or what ECM answered a call). */
  status_reason: string | null;
  /** The activity's status as ECM recorded it. */
  ecm_status: string | null;
  patient_id: number | null;
  ecm_patient_id: number | null;
  patient_name: string | null;
  /** A person's name as it was when they acted, "Patient (inbound)" or "CareDesk (automatic)". */
  by: string;
  /** The ECM user id of the person who acted, when known. */
  ecm_user_id: string | null;
  performed_by_id: string;
  assigned_to_id: string;
  text_message_id: number | null;
  voice_call_id: number | null;
  event_id: number | null;
  event_type: ActivityType | null;
  /** UTC, RFC 3339. */
  occurred_at: string | null;
  /** The same instant in the clinic's zone, with its offset. */
  occurred_at_local: string | null;
  /** The clinic day (YYYY-MM-DD) it counts on. */
  clinic_day: string | null;
}

/** Messages and calls on one day (YYYY-MM-DD), for the chart. */
export interface DayCount {
  day: string;
  sms: number;
  calls: number;
}

export interface ActivityLog {
  rows: ActivityRow[];
  /** Per clinic day. */
  per_day: DayCount[];
  /** The clinic's zone (clinic.time_zone, else this computer's), an IANA name; absent from older backends. */
  time_zone?: string;
}

export interface ExportResult {
  /** Where the CSV was written. */
  path: string;
  rows: number;
}

/** A desktop notification was clicked: open this thread. */
export type OpenThreadRequest = { patient_id: number; number: null } | { patient_id: null; number: string };

/** The window's lock, as the backend keeps it (lock_status). */
export interface LockView {
  state: 'setup' | 'locked' | 'unlocked';
  /** How long until a passphrase may be tried again (0: now). */
  retry_after_ms: number;
  /** No input for this long locks the desk. */
  idle_lock_secs: number;
}
