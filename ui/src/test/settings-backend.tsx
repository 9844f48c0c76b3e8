// Test helpers for the Settings dialog: every setting the backend lists (config.rs SETTINGS
// plus export.dir), kept in memory so saved values come back like the real backend's.
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Providers } from '../app/Providers';
import { createQueryClient } from '../app/queryClient';
import { SettingsDialog } from '../features/settings/SettingsDialog';
import type { CredentialStatus, Setting } from '../platform';
import { installMockBackend, type CommandHandler } from '../platform/mockBackend';

function setting(
  key: string,
  value: string | null,
  fallback: string | null,
  description: string,
  note: string | null = null,
): Setting {
  return { key, value, default: fallback, description, note };
}

/** What the backend says about the hospital server's zone while his.time_zone is not set. */
export const TIME_ZONE_NOTE =
  "UTC+02:00, estimated from the server's lists of sent messages; its clock is 420 s behind this computer's";

/** Every setting; `notes` replaces a setting's note (his.time_zone has TIME_ZONE_NOTE unless given). */
export function allSettings(
  values: Record<string, string | null> = {},
  notes: Record<string, string | null> = {},
): Setting[] {
  const list = [
    setting('user.name', null, null, 'Your name, the actor in activities and the audit log'),
    setting('user.ecm_user_id', null, null, 'Your ECM user id (performed_by_id / assigned_to_id)'),
    setting('phone.default_region', null, 'US', 'Region for phone numbers written without a country code'),
    setting('notifications.show_names', null, 'false', 'Name the patient in desktop notifications of new replies'),
    setting('security.idle_lock_minutes', null, '10', 'Minutes without input before CareDesk locks its window'),
    setting('servers.mode', null, 'auto', 'auto: the built-in sandbox until a server URL is set'),
    setting('his.base_url', 'https://his.example.org/', null, 'Hospital SMS server base address'),
    setting('his.auth', null, 'bearer', 'Hospital SMS server authorization'),
    setting('his.from', null, null, 'Hospital number or sender name to send from'),
    setting(
      'his.time_zone',
      null,
      null,
      "Time zone of the hospital SMS server's times that carry no offset (IANA name, like Europe/Vilnius); estimated from its answers when not set",
      TIME_ZONE_NOTE,
    ),
    setting(
      'his.outgoing_lag_secs',
      null,
      '15',
      'Seconds the hospital SMS server may take to list a message it took; a send that may have gone is checked only after this',
    ),
    setting('his.azure.authority', null, 'https://login.microsoftonline.com/{0}', 'Azure AD instance'),
    setting('his.azure.tenant', null, null, 'Azure AD tenant id'),
    setting('his.azure.client_id', null, null, 'Azure AD client (application) id'),
    setting('his.azure.scope', null, null, 'Azure AD scope'),
    setting('ecm.base_url', null, null, 'ECM Communications API base URL'),
    setting('fhir.base_url', null, null, "The clinic's FHIR R4 server"),
    setting('fhir.auth', null, 'bearer', 'FHIR server authorization'),
    setting('fhir.token_url', null, null, 'FHIR OAuth2 token endpoint'),
    setting('fhir.client_id', null, null, 'FHIR OAuth2 client id'),
    setting('fhir.scope', null, null, 'FHIR OAuth2 scope'),
    setting('fhir.audience', null, null, 'FHIR OAuth2 audience'),
    setting('fhir.ecm_identifier_system', null, null, 'Patient.identifier system of the ECM patient id'),
    setting('fhir.use_phone_numbers', null, 'false', 'Also text telecoms with system phone'),
    setting('fhir.pull_interval_secs', null, '300', 'Seconds between roster pulls'),
    setting('fhir.page_size', null, '100', 'Resources per page of a FHIR search'),
    setting('sms.via', null, 'his', 'Default route for SMS'),
    setting('sms.rate_per_sec', null, '1', 'Most SMS per second per sender number (0 = no limit)'),
    setting('sms.undo_seconds', null, '5', 'Seconds a text waits before it may go, so it can be undone (0 = no Undo)'),
    setting('sms.test_mode', null, 'false', 'Test mode: nothing goes to the real servers'),
    setting('sms.override_number', null, null, 'Send every outgoing SMS to this number instead (testing)'),
    setting('clinic.name', null, null, "The clinic's name as texts say it"),
    setting('sms.quiet_hours', null, '08:00-21:00', 'Local hours texts may reach a recipient'),
    setting('consent.invitation_text', null, '{clinic_name}: reply START to get care texts.', 'The consent invitation'),
    setting('consent.welcome_text', null, '{clinic_name}: you are signed up.', 'The welcome text after START'),
    setting('sync.interval_secs', null, '10', 'Seconds between inbox polls'),
    setting('http.timeout_secs', null, '30', 'HTTP timeout for both servers, in seconds'),
    setting('sandbox.port', null, '0', 'Port of the built-in sandbox on 127.0.0.1 (0 = any free port)'),
    setting('export.dir', null, null, 'Folder for CSV exports'),
  ];
  return list.map((s) => ({
    ...s,
    ...(s.key in values ? { value: values[s.key] ?? null } : {}),
    ...(s.key in notes ? { note: notes[s.key] ?? null } : {}),
  }));
}

export const allCredentials: CredentialStatus[] = [
  { name: 'his-token', stored: true, description: 'Bearer token for the hospital SMS server.' },
  { name: 'his-client-secret', stored: false, description: 'Azure AD client secret for the hospital SMS server.' },
  { name: 'ecm-token', stored: true, description: 'X-User-Token for the ECM Communications API.' },
  { name: 'fhir-token', stored: false, description: 'Bearer token for the FHIR server (fhir.auth = bearer)' },
  {
    name: 'fhir-client-secret',
    stored: false,
    description: "OAuth2 client secret for the FHIR server's token endpoint (fhir.auth = client_credentials)",
  },
];

/** get_settings / set_setting over an in-memory list: what is saved is read back. */
export function settingsStore(initial: Setting[]): Record<string, CommandHandler> {
  let current = initial;
  return {
    get_settings: () => current,
    set_setting: (args) => {
      current = current.map((s) => (s.key === args.key ? { ...s, value: (args.value as string | null) ?? null } : s));
      return null;
    },
  };
}

export function settingsHandlers(values: Record<string, string | null> = {}): Record<string, CommandHandler> {
  return {
    ...settingsStore(allSettings(values)),
    app_info: () => ({
      version: '0.1.0',
      data_dir: '/data',
      mode: 'sandbox',
      user_name: 'Dana',
      patient_count: 0,
      sandbox_behaviours: [],
    }),
    credential_status: () => allCredentials,
    set_credential: () => null,
    delete_credential: () => null,
    list_sender_numbers: () => [
      { number: '+18055550100' },
      { number: 'RSL_HOSP' },
    ],
    check_connection: (args) => ({ service: args.service, ok: true, message: 'Connected', elapsed_ms: 12 }),
    send_test_message: () => 'Sent: server id 42',
  };
}

/** Renders the Settings dialog alone, over the settings mock (overrides win). */
export function renderSettings(
  overrides: Record<string, CommandHandler> = {},
  values: Record<string, string | null> = {},
) {
  const backend = installMockBackend({ ...settingsHandlers(values), ...overrides });
  const user = userEvent.setup();
  let closed = 0;
  const client = createQueryClient();
  const utils = render(
    <Providers client={client}>
      <SettingsDialog dataDir="/data" onClose={() => (closed += 1)} />
    </Providers>,
  );
  return { ...utils, backend, user, client, closedCount: () => closed };
}
