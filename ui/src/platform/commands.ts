import { call, makeChannel } from './ipc';
import type {
  ActivityFilter,
  AssignTo,
  ColleagueSend,
  ActivityLog,
  AppInfo,
  CallOutcome,
  ConnectionCheck,
  CredentialName,
  CredentialStatus,
  Enqueued,
  ExportResult,
  FhirServerCheck,
  CampaignAction,
  CampaignForm,
  CampaignPreview,
  CampaignStatus,
  RecipientRow,
  Invitation,
  NumberConsent,
  PendingRevocation,
  RevocationResolution,
  FhirView,
  ImportProgress,
  ImportSummary,
  LinkContact,
  LockView,
  Note,
  Patient,
  PatientForm,
  PresenceEntry,
  Route,
  SenderNumber,
  Service,
  Setting,
  SmsOutcome,
  Template,
  TemplatePreview,
  SyncView,
  TeamThread,
  TeamThreadView,
  TeamView,
  ThreadFilter,
  ThreadItem,
  ThreadListing,
  ThreadPage,
  ThreadSearch,
  UnmatchedThread,
  Withdrawn,
} from './types';

export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
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

/** Adds a patient as staff enter them (checked and audited); resolves with the patient as stored. */
export function addPatient(form: PatientForm): Promise<Patient> {
  return call<Patient>('add_patient', { form });
}

/** Edits a patient: name, ECM id, and the numbers listed (added, changed, no longer used, consent). */
export function editPatient(patientId: number, form: PatientForm): Promise<Patient> {
  return call<Patient>('edit_patient', { patientId, form });
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

/**
 * Sends a text. `to` null = the patient's own number, `via` null = the default route.
 * `otherNumber`: `to` is not one of the patient's current numbers and the coordinator
 * confirmed it (audited). Rejects (opted_out, number_not_on_file, invalid_message,
 * invalid_phone, not_configured, not_found, gateway) when the text cannot be tried;
 * a server refusal resolves with state "failed".
 */
/** How a text goes beyond To, text and Via (each left out when not given). */
export interface SendExtras {
  /** `to` is not a number on file (or no longer used), confirmed by the coordinator (audited). */
  otherNumber?: boolean;
  /** Send later: a local time `YYYY-MM-DDTHH:MM` in the clinic's zone. */
  at?: string;
  /** Why this text may go inside the recipient's quiet hours (audited). */
  urgent?: string;
}

export function sendSms(
  patientId: number,
  to: string | null,
  text: string,
  via: Route | null,
  extras: SendExtras = {},
): Promise<SmsOutcome> {
  return call<SmsOutcome>('send_sms', {
    patientId,
    to,
    text,
    via,
    ...(extras.otherNumber ? { otherNumber: true } : {}),
    ...(extras.at ? { at: extras.at } : {}),
    ...(extras.urgent ? { urgent: extras.urgent } : {}),
  });
}

/**
 * Replies to an unmatched number from the Unmatched inbox: through the hospital SMS server and the
 * outbox with the undo delay, audited as a reply to an unmatched number. Rejects (opted_out,
 * invalid_message, invalid_phone, not_configured) when it cannot be tried.
 */
export function replyUnmatched(number: string, text: string): Promise<SmsOutcome> {
  return call<SmsOutcome>('reply_unmatched', { number, text });
}

/** Undo send: takes a text still in its undo delay out of the outbox (too_late_to_undo once a worker took it). */
export function undoSend(messageId: number): Promise<Withdrawn> {
  return call<Withdrawn>('undo_send', { messageId });
}

/** The templates, by name. */
export function listTemplates(): Promise<Template[]> {
  return call<Template[]>('list_templates');
}

/** Adds a template (its merge fields checked); rejects naming what is wrong. */
export function addTemplate(name: string, text: string): Promise<Template> {
  return call<Template>('add_template', { name, text });
}

/** Changes a template's text. */
export function editTemplate(name: string, text: string): Promise<Template> {
  return call<Template>('edit_template', { name, text });
}

/** Removes a template (texts already sent from it stay as they are). */
export function removeTemplate(name: string): Promise<void> {
  return call<void>('remove_template', { name });
}

/** A template merged for a patient: the text and its segments, or the fields that have no value. */
export function previewTemplate(patientId: number, name: string): Promise<TemplatePreview> {
  return call<TemplatePreview>('preview_template', { patientId, name });
}

/** Retry: sends a failed text no server accepted again, as a new text (not_retryable otherwise). */
export function retryMessage(messageId: number): Promise<Enqueued> {
  return call<Enqueued>('retry_message', { messageId });
}

/** Places a call through ECM. `to` null = the patient's own number; `otherNumber` as for sendSms. */
export function placeCall(patientId: number, to: string | null, otherNumber = false): Promise<CallOutcome> {
  return call<CallOutcome>('place_call', { patientId, to, ...(otherNumber ? { otherNumber } : {}) });
}

// ---- The coordinator's desk (issue 5) ----

/**
 * The patient column: search, latest activity first, unread counts, the Unmatched entry.
 * At most `limit` patients (null = 100; the backend clamps to 1..=5000); `has_more` says
 * whether more match. A larger limit returns the same first rows and more.
 */
export function listThreads(
  query: string | null,
  limit: number | null,
  filter: ThreadFilter | null = null,
): Promise<ThreadListing> {
  return call<ThreadListing>('list_threads', { query, limit, ...(filter ? { filter } : {}) });
}

/**
 * A page of a patient's thread, oldest first: the newest `limit` items before the
 * cursor `before` (null = the newest). Pass `page.older` to load the page before.
 */
export function threadPage(patientId: number, before: string | null, limit: number): Promise<ThreadPage> {
  return call<ThreadPage>('thread_page', { patientId, before, limit });
}

/**
 * The texts of a patient's thread containing `query`, case and accents aside, newest first
 * over the whole thread (not only the loaded pages): at most `limit` (the backend caps it
 * at 5000). Audited with the count, never the text.
 */
export function searchThread(patientId: number, query: string, limit: number): Promise<ThreadSearch> {
  return call<ThreadSearch>('search_thread', { patientId, query, limit });
}

/** Marks a patient's thread read (the unread badge goes). */
export function markThreadRead(patientId: number): Promise<void> {
  return call<void>('mark_thread_read', { patientId });
}

/** The Unmatched inbox: unknown numbers that wrote, latest first. */
export function listUnmatched(): Promise<UnmatchedThread[]> {
  return call<UnmatchedThread[]>('list_unmatched');
}

/** What one unknown number wrote, oldest first. */
export function unmatchedThread(number: string): Promise<ThreadItem[]> {
  return call<ThreadItem[]>('unmatched_thread', { number });
}

export function markUnmatchedRead(number: string): Promise<void> {
  return call<void>('mark_unmatched_read', { number });
}

/**
 * Links an unknown number to a patient: it becomes one of their numbers (a contact; `contact` says
 * who, when known) and its messages move to their thread. Returns how many moved.
 */
export function linkNumber(number: string, patientId: number, contact: LinkContact | null = null): Promise<number> {
  return call<number>('link_number', { number, patientId, ...(contact ? { contact } : {}) });
}

// ---- Team mode (issue 15) ----

/** This desk's member and the team's members; `me` is null on a desk alone (nothing of the team shows). */
export function teamView(): Promise<TeamView> {
  return call<TeamView>('team_view');
}

/** A patient's thread as the team shares it (assignee, open/closed) and its internal notes. */
export function teamThread(patientId: number): Promise<TeamThreadView> {
  return call<TeamThreadView>('team_thread', { patientId });
}

/** Assigns the thread to a member, to this desk's member, or to nobody. */
export function assignThread(patientId: number, to: AssignTo): Promise<TeamThread> {
  return call<TeamThread>('assign_thread', { patientId, to });
}

/** Adds an internal note: shared with the team, never sent to the patient. */
export function addNote(patientId: number, text: string): Promise<Note> {
  return call<Note>('add_note', { patientId, text });
}

export function closeThread(patientId: number): Promise<TeamThread> {
  return call<TeamThread>('close_thread', { patientId });
}

export function reopenThread(patientId: number): Promise<TeamThread> {
  return call<TeamThread>('reopen_thread', { patientId });
}

/** Texts other members sent to the patient after `since` (RFC 3339), newest first: the send-time check. */
export function colleagueSends(patientId: number, since: string): Promise<ColleagueSend[]> {
  return call<ColleagueSend[]>('colleague_sends', { patientId, since });
}

/** This member is in the patient's thread, reading or writing (the team sees "Ana is writing…"). */
export function announcePresence(patientId: number, writing: boolean): Promise<void> {
  return call<void>('announce_presence', { patientId, writing });
}

/** This member left the thread. */
export function leavePresence(): Promise<void> {
  return call<void>('leave_presence');
}

/** Who else is in which thread now. */
export function teamPresence(): Promise<PresenceEntry[]> {
  return call<PresenceEntry[]>('team_presence');
}

/** Where the background sync stands. */
export function syncStatus(): Promise<SyncView> {
  return call<SyncView>('sync_status');
}

/** Asks the engine for a cycle now. */
export function syncNow(): Promise<void> {
  return call<void>('sync_now');
}

/** The hospital SMS server's sender numbers (Get numbers), with the current settings and secrets. */
export function listSenderNumbers(): Promise<SenderNumber[]> {
  return call<SenderNumber[]>('list_sender_numbers');
}

/** Checks one server with the current settings and secrets. Resolves with ok false and the reason when it fails. */
export function checkConnection(service: Service): Promise<ConnectionCheck> {
  return call<ConnectionCheck>('check_connection', { service });
}

/** Sends the spec-002 test message to `to` (any format); resolves with a readable result. */
export function sendTestMessage(to: string, via: Route | null): Promise<string> {
  return call<string>('send_test_message', { to, via });
}

/** Activities and events matching the filter, oldest first, with per-day counts for the chart. */
export function activityLog(filter: ActivityFilter): Promise<ActivityLog> {
  return call<ActivityLog>('activity_log', { filter });
}

/**
 * Writes the filtered activity log as CSV into the export folder (setting export.dir), or where the
 * coordinator chooses in the Save dialog the backend opens when none is set; null when cancelled.
 */
export function exportActivities(filter: ActivityFilter): Promise<ExportResult | null> {
  return call<ExportResult | null>('export_activities', { filter });
}

// ---- The lock screen (automatic logoff) ----

/** setup (first start: no passphrase yet), locked or unlocked; how long a retry must wait. */
export function lockStatus(): Promise<LockView> {
  return call<LockView>('lock_status');
}

/** First start: sets the unlock passphrase (at least 8 characters) and unlocks. */
export function setUnlockPassphrase(passphrase: string): Promise<LockView> {
  return call<LockView>('set_unlock_passphrase', { passphrase });
}

/** Rejects with wrong_passphrase (the next try waits) or unlock_wait (still waiting). */
export function unlock(passphrase: string): Promise<LockView> {
  return call<LockView>('unlock', { passphrase });
}

export function lockNow(): Promise<void> {
  return call<void>('lock_now');
}

/** Input in the window; resolves true when the backend has locked the desk. */
export function reportActivity(): Promise<boolean> {
  return call<boolean>('report_activity');
}

export function changeUnlockPassphrase(current: string, next: string): Promise<void> {
  return call<void>('change_unlock_passphrase', { current, new: next });
}

/** The FHIR link: the server, the last pulls, the roster, the write queue, a pull running now. */
export function fhirStatus(): Promise<FhirView> {
  return call<FhirView>('fhir_status');
}

/** The FHIR server's CapabilityStatement against what CareDesk needs; rejects when it cannot be used. */
export function fhirCheck(): Promise<FhirServerCheck> {
  return call<FhirServerCheck>('fhir_check');
}

/** Asks the engine for a roster pull now (`full`: everything); progress comes as sync events. */
export function fhirPull(full: boolean): Promise<void> {
  return call<void>('fhir_pull', { full });
}

/** Each of a patient's numbers: not asked, invited, opted in or out, with dates. */
export function patientConsents(patientId: number): Promise<NumberConsent[]> {
  return call<NumberConsent[]>('patient_consents', { patientId });
}

/** Sends the consent invitation to `to` (null: the patient's preferred number). */
export function invitePatient(patientId: number, to: string | null): Promise<Invitation> {
  return call<Invitation>('invite_patient', { patientId, to });
}

/** Replies flagged as possible revocations, waiting for staff, with their due dates. */
export function pendingRevocations(): Promise<PendingRevocation[]> {
  return call<PendingRevocation[]>('pending_revocations');
}

/** Staff's decision on a flagged reply (audited). */
export function resolveRevocation(messageId: number, resolution: RevocationResolution): Promise<void> {
  return call<void>('resolve_revocation', { messageId, resolution });
}

// ---- Campaigns (issue 17) ----

/** Every campaign with its counts, newest first. */
export function listCampaigns(): Promise<CampaignStatus[]> {
  return call<CampaignStatus[]>('list_campaigns');
}

/** Creates a draft campaign (nothing is sent) and resolves with its preview. */
export function createCampaign(form: CampaignForm): Promise<CampaignPreview> {
  return call<CampaignPreview>('create_campaign', { form });
}

export function previewCampaign(id: number): Promise<CampaignPreview> {
  return call<CampaignPreview>('preview_campaign', { id });
}

/** Start, pause, resume or cancel (audited); the engine sends. */
export function campaignAction(id: number, action: CampaignAction): Promise<CampaignStatus> {
  return call<CampaignStatus>('campaign_action', { id, action });
}

/** One row per recipient: state, reason, sent, delivered, answer, replied. */
export function campaignReport(id: number): Promise<RecipientRow[]> {
  return call<RecipientRow[]>('campaign_report', { id });
}

/** Writes the report as CSV (export.dir, else a Save dialog); null when the dialog was cancelled. */
export function exportCampaignReport(id: number): Promise<ExportResult | null> {
  return call<ExportResult | null>('export_campaign_report', { id });
}
