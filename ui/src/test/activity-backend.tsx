// Test helpers for the activity log dialog: rows, per-day counts and a rendered dialog.
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Providers } from '../app/Providers';
import { createQueryClient } from '../app/queryClient';
import { ActivityLogDialog } from '../features/activity/ActivityLogDialog';
import { localZone } from '../features/activity/filter';
import type { ActivityLog, ActivityRow, PatientThread, ThreadListing } from '../platform';
import { installMockBackend, type CommandHandler } from '../platform/mockBackend';

let nextId = 1;

export function activityRow(fields: Partial<ActivityRow> = {}): ActivityRow {
  const id = nextId++;
  return {
    activity_id: id,
    ecm_activity_id: null,
    activity_type: 'sms',
    direction: 'outbound',
    status: 'sent',
    status_reason: null,
    ecm_status: 'created',
    patient_id: 1,
    ecm_patient_id: 40213,
    patient_name: 'Alice Moreno',
    by: 'Dana Coordinator',
    ecm_user_id: '77',
    performed_by_id: '77',
    assigned_to_id: '77',
    text_message_id: id,
    voice_call_id: null,
    event_id: id,
    event_type: 'sms',
    occurred_at: '2024-03-01T09:30:00Z',
    occurred_at_local: null,
    clinic_day: null,
    ...fields,
  };
}

export const sampleLog: ActivityLog = {
  rows: [
    activityRow({ occurred_at: '2024-03-01T09:30:00Z' }),
    activityRow({
      activity_type: 'call',
      event_type: 'call',
      status: 'completed',
      occurred_at: '2024-03-01T10:00:00Z',
    }),
    activityRow({
      patient_id: 3,
      patient_name: 'Carla Singh',
      ecm_patient_id: 40999,
      occurred_at: '2024-03-03T08:00:00Z',
    }),
  ],
  per_day: [
    { day: '2024-03-01', sms: 1, calls: 1 },
    { day: '2024-03-03', sms: 1, calls: 0 },
  ],
  time_zone: localZone(),
};

function patientThread(id: number, name: string, ecm: number | null): PatientThread {
  return { id, name, ecm_patient_id: ecm, fhir_id: null, fhir_status: null, time_zone: null, phones: [], last: null, unread: 0, opted_out: false };
}

export const listedPatients: PatientThread[] = [
  patientThread(1, 'Alice Moreno', 40213),
  patientThread(2, 'Bob Tran', null),
  patientThread(3, 'Carla Singh', 40999),
];

/** list_threads as the filter uses it: name contains the query. */
export function listing(query: unknown): ThreadListing {
  const q = typeof query === 'string' ? query.toLowerCase() : '';
  return {
    patients: listedPatients.filter((p) => p.name.toLowerCase().includes(q)),
    has_more: false,
    unmatched: { threads: 0, unread: 0 },
    unread_total: 0,
  };
}

export function renderActivityLog(overrides: Record<string, CommandHandler> = {}) {
  const backend = installMockBackend({
    activity_log: () => sampleLog,
    export_activities: () => ({ path: '/home/dana/Downloads/caredesk-activities.csv', rows: 3 }),
    list_threads: (args) => listing(args.query),
    ...overrides,
  });
  const user = userEvent.setup();
  let closed = 0;
  const utils = render(
    <Providers client={createQueryClient()}>
      <ActivityLogDialog onClose={() => (closed += 1)} />
    </Providers>,
  );
  return { ...utils, backend, user, closedCount: () => closed };
}
