// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ActivityFilter, ExportResult } from '../../platform';
import { activityRow, renderActivityLog } from '../../test/activity-backend';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function lastFilter(calls: Record<string, unknown>[]): ActivityFilter {
  return calls[calls.length - 1]?.filter as ActivityFilter;
}

async function openDialog(overrides: Parameters<typeof renderActivityLog>[0] = {}) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2024-03-10T15:00:00Z'));
  const utils = renderActivityLog(overrides);
  const dialog = screen.getByRole('dialog', { name: 'Activity log' });
  await within(dialog).findAllByTestId('activity-row');
  return { ...utils, dialog };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('activity log dialog', () => {
  it('opens on the last 30 days, every type and patient', async () => {
    const { backend, dialog } = await openDialog();
    expect(backend.callsTo('activity_log')).toEqual([
      { filter: { from: '2024-02-10', to: '2024-03-10', activity_type: null, patient_id: null } },
    ]);
    expect(within(dialog).getByLabelText('From')).toHaveValue('2024-02-10');
    expect(within(dialog).getByLabelText('To')).toHaveValue('2024-03-10');
  });

  it('asks again with the chosen dates and type', async () => {
    const { backend, dialog, user } = await openDialog();
    fireEvent.change(within(dialog).getByLabelText('From'), { target: { value: '2024-03-01' } });
    fireEvent.change(within(dialog).getByLabelText('To'), { target: { value: '2024-03-05' } });
    await user.selectOptions(within(dialog).getByLabelText('Type'), 'call');
    await waitFor(() =>
      expect(lastFilter(backend.callsTo('activity_log'))).toEqual({
        from: '2024-03-01',
        to: '2024-03-05',
        activity_type: 'call',
        patient_id: null,
      }),
    );
    await user.selectOptions(within(dialog).getByLabelText('Type'), 'all');
    await waitFor(() => expect(lastFilter(backend.callsTo('activity_log')).activity_type).toBeNull());
    // A cleared date means no bound.
    fireEvent.change(within(dialog).getByLabelText('From'), { target: { value: '' } });
    await waitFor(() => expect(lastFilter(backend.callsTo('activity_log')).from).toBeNull());
  });

  it('filters by a patient found by search', async () => {
    const { backend, dialog, user } = await openDialog();
    await user.type(within(dialog).getByLabelText('Find patient'), 'carla');
    const select = within(dialog).getByRole('combobox', { name: 'Patient' });
    await waitFor(() =>
      expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
        'All patients',
        'Carla Singh · ECM 40999',
      ]),
    );
    expect(backend.callsTo('list_threads')).toContainEqual({ query: 'carla', limit: null });
    await user.selectOptions(select, '3');
    await waitFor(() => expect(lastFilter(backend.callsTo('activity_log')).patient_id).toBe(3));
    // The chosen patient stays selectable when the search moves on.
    await user.clear(within(dialog).getByLabelText('Find patient'));
    await user.type(within(dialog).getByLabelText('Find patient'), 'bob');
    await waitFor(() => expect(within(select).getByRole('option', { name: 'Bob Tran' })).toBeInTheDocument());
    expect(select).toHaveValue('3');
    expect(within(select).getByRole('option', { name: 'Carla Singh' })).toBeInTheDocument();
    await user.selectOptions(select, '');
    await waitFor(() => expect(lastFilter(backend.callsTo('activity_log')).patient_id).toBeNull());
  });

  it('does not ask for a range that ends before it starts, and says why', async () => {
    const { backend, dialog } = await openDialog();
    const before = backend.callsTo('activity_log').length;
    fireEvent.change(within(dialog).getByLabelText('From'), { target: { value: '2024-03-20' } });
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The "From" date is after the "To" date.');
    expect(within(dialog).getByRole('button', { name: 'Export CSV' })).toBeDisabled();
    expect(backend.callsTo('activity_log')).toHaveLength(before);
  });

  it('lists activities newest first with their patient, type and status', async () => {
    const { dialog } = await openDialog();
    const rows = within(dialog).getAllByTestId('activity-row');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Carla Singh (ECM 40999)');
    expect(rows[1]).toHaveTextContent('Call');
    expect(rows[1]).toHaveTextContent('completed');
    expect(rows[2]).toHaveTextContent('Text');
    expect(dialog).toHaveTextContent('3 activities');
  });

  it('says so when nothing matches', async () => {
    renderActivityLog({ activity_log: () => ({ rows: [], per_day: [] }) });
    const dialog = screen.getByRole('dialog', { name: 'Activity log' });
    expect(await within(dialog).findByText('No texts or calls match these filters.')).toBeInTheDocument();
    expect(within(dialog).queryByRole('img')).toBeNull();
  });

  it('shows a load error in words', async () => {
    renderActivityLog({
      activity_log: () => {
        throw { code: 'invalid_message', message: '"2024-13-01" is not a date like 2026-11-21' };
      },
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not load the activity log: "2024-13-01" is not a date like 2026-11-21',
    );
  });

  it('exports the filtered log, busy while it runs, then says where it went', async () => {
    const done = deferred<ExportResult>();
    const { backend, dialog, user } = await openDialog({
      export_activities: () => done.promise,
      activity_log: () => ({ rows: [activityRow()], per_day: [{ day: '2024-03-01', sms: 1, calls: 0 }] }),
    });
    await user.selectOptions(within(dialog).getByLabelText('Type'), 'sms');
    await waitFor(() => expect(lastFilter(backend.callsTo('activity_log')).activity_type).toBe('sms'));

    const button = within(dialog).getByRole('button', { name: 'Export CSV' });
    await user.click(button);
    const busy = within(dialog).getByRole('button', { name: 'Exporting…' });
    expect(busy).toBeDisabled();
    expect(busy).toHaveAttribute('aria-busy', 'true');
    expect(within(dialog).getByRole('progressbar', { name: 'Export progress' })).toBeInTheDocument();
    // A second click while it runs does nothing.
    await user.click(busy);
    expect(backend.callsTo('export_activities')).toEqual([
      { filter: { from: '2024-02-10', to: '2024-03-10', activity_type: 'sms', patient_id: null } },
    ]);

    done.resolve({ path: '/home/dana/Downloads/caredesk-activities-20240310.csv', rows: 12 });
    expect(await within(dialog).findByTestId('export-result')).toHaveTextContent(
      'Saved 12 rows to /home/dana/Downloads/caredesk-activities-20240310.csv',
    );
    expect(within(dialog).getByRole('button', { name: 'Export CSV' })).toBeEnabled();
    expect(within(dialog).queryByRole('progressbar')).toBeNull();
  });

  it('shows a failed export in words', async () => {
    const { dialog, user } = await openDialog({
      export_activities: () => {
        throw { code: 'io', message: 'cannot create /mnt/reports: Permission denied' };
      },
    });
    await user.click(within(dialog).getByRole('button', { name: 'Export CSV' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Export failed: cannot create /mnt/reports: Permission denied',
    );
    expect(within(dialog).queryByTestId('export-result')).toBeNull();
  });

  it('gives every control an accessible name', async () => {
    const { dialog } = await openDialog();
    const controls = (['button', 'textbox', 'combobox', 'searchbox'] as const).flatMap((role) =>
      within(dialog).queryAllByRole(role),
    );
    // Close, Export CSV, Type, Patient, Find patient (date inputs have no ARIA role in jsdom).
    expect(controls.length).toBeGreaterThanOrEqual(5);
    for (const control of controls) expect(control).toHaveAccessibleName();
    for (const input of Array.from(dialog.querySelectorAll('input'))) expect(input).toHaveAccessibleName();
  });

  it('Escape closes the dialog', async () => {
    const { user, closedCount } = await openDialog();
    await user.keyboard('{Escape}');
    expect(closedCount()).toBe(1);
  });
});

describe('activity log truth', () => {
  it('shows where each text stands with the reason, and who by, with the ECM user apart', async () => {
    const { dialog } = await openDialog({
      activity_log: () => ({
        rows: [
          activityRow({ status: 'delivered', by: 'Dana Coordinator', ecm_user_id: '101' }),
          activityRow({
            activity_id: null,
            status: 'failed',
            status_reason: 'the number cannot get texts',
            by: 'Sam Nurse',
            ecm_user_id: null,
            occurred_at: '2024-03-01T11:00:00Z',
          }),
          activityRow({ direction: 'inbound', status: 'received', by: 'Patient (inbound)', ecm_user_id: null }),
        ],
        per_day: [{ day: '2024-03-01', sms: 3, calls: 0 }],
      }),
    });
    const rows = within(dialog).getAllByTestId('activity-row');
    const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((c) => c.textContent);
    // Newest first.
    expect(cells(rows[2]!)).toEqual(expect.arrayContaining(['delivered', 'Dana Coordinator', '101']));
    expect(cells(rows[1]!)).toEqual(expect.arrayContaining(['failed: the number cannot get texts', 'Sam Nurse', '—']));
    expect(dialog).toHaveTextContent('Patient (inbound)');
    expect(dialog).not.toHaveTextContent('created');
  });

  it('takes days and times from the clinic zone', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // 06:30 UTC on the 20th is 23:30 on the 19th in Los Angeles (PDT).
    vi.setSystemTime(new Date('2024-03-20T06:30:00Z'));
    const { backend } = renderActivityLog({
        activity_log: () => ({
          rows: [activityRow({ occurred_at: '2024-03-20T06:30:00Z' })],
          per_day: [{ day: '2024-03-19', sms: 1, calls: 0 }],
        time_zone: 'America/Los_Angeles',
      }),
    });
    const dialog = screen.getByRole('dialog', { name: 'Activity log' });
    const row = await within(dialog).findByTestId('activity-row');
    await waitFor(() => expect(lastFilter(backend.callsTo('activity_log')).to).toBe('2024-03-19'));
    expect(within(dialog).getByLabelText('To')).toHaveValue('2024-03-19');
    const when = new Intl.DateTimeFormat(undefined, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'America/Los_Angeles',
    }).format(new Date('2024-03-20T06:30:00Z'));
    expect(row).toHaveTextContent(when);
    expect(dialog).toHaveTextContent('America/Los_Angeles');
  });

  it('says so when the Save dialog was cancelled', async () => {
    const { dialog, user } = await openDialog({ export_activities: () => null });
    await user.click(within(dialog).getByRole('button', { name: 'Export CSV' }));
    expect(await within(dialog).findByTestId('export-result')).toHaveTextContent('Export cancelled: nothing was saved.');
  });
});
