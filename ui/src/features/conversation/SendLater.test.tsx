// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import { composer, openPatient } from '../../test/conversation';
import { pagedThread, smsOutcome, threadItem } from '../../test/fixtures';

function bubble() {
  return within(screen.getByTestId('thread')).getByTestId('message');
}

describe('send later and urgent', () => {
  it('schedules a text for the chosen local time, and goes back to Send now afterwards', async () => {
    const { user, backend } = await openPatient(0, {
      send_sms: (args) => smsOutcome({ state: 'queued', hold_reason: 'scheduled', hold_until: '2026-12-08T17:00:00Z', to: args.to as string }),
    });
    await user.type(composer().text, 'Your appointment is tomorrow at 10');
    await user.click(screen.getByRole('checkbox', { name: 'Send later' }));
    const schedule = within(screen.getByTestId('composer')).getByRole('button', { name: 'Schedule' });
    // No time chosen yet: nothing can be scheduled.
    expect(schedule).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Send at (clinic time)'), { target: { value: '2026-12-08T09:00' } });
    await waitFor(() => expect(schedule).toBeEnabled());
    await user.click(schedule);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('send_sms')[0]).toMatchObject({ text: 'Your appointment is tomorrow at 10', at: '2026-12-08T09:00' });
    expect(backend.callsTo('send_sms')[0]).not.toHaveProperty('urgent');
    await waitFor(() => expect(composer().text.value).toBe(''));
    expect(screen.queryByLabelText('Send at (clinic time)')).toBeNull();
    expect(screen.getByRole('checkbox', { name: 'Send later' })).not.toBeChecked();
  });

  it('sends an urgent text only with its reason', async () => {
    const { user, backend } = await openPatient(0);
    await user.type(composer().text, 'Please call the clinic tonight');
    await user.click(screen.getByRole('checkbox', { name: 'Urgent' }));
    expect(composer().send).toBeDisabled();
    await user.type(screen.getByLabelText('Why it is urgent'), 'Lab result needs action today');
    await user.click(composer().send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('send_sms')[0]).toMatchObject({ urgent: 'Lab result needs action today' });
    expect(backend.callsTo('send_sms')[0]).not.toHaveProperty('at');
  });

  it('shows a scheduled text with its time, and Edit puts it back in the composer', async () => {
    let items: ThreadItem[] = [
      threadItem({ id: 61, text: 'Reminder: flu shots', state: 'queued', hold_until: '2030-01-15T17:00:00Z', hold_reason: 'scheduled' }),
    ];
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => items),
      undo_send: (args) => {
        items = [];
        return { message_id: args.messageId, patient_id: 1, text: 'Reminder: flu shots', to: '+15551234567', via: 'his' };
      },
    });
    const bar = await within(bubble()).findByTestId('held-bar');
    expect(bar).toHaveTextContent(/^Scheduled for .+ · Edit · Cancel$/);
    expect(within(bar).getByTestId('held-when').textContent).toMatch(/Jan.*15|15.*Jan/);
    // Not the undo countdown of a text just sent.
    expect(within(bubble()).queryByTestId('undo-bar')).toBeNull();
    await user.click(within(bar).getByRole('button', { name: 'Edit' }));
    expect(backend.callsTo('undo_send')).toEqual([{ messageId: 61 }]);
    await waitFor(() => expect(composer().text.value).toBe('Reminder: flu shots'));
  });

  it('shows a text held for quiet hours, and Cancel takes it out without touching the composer', async () => {
    let items: ThreadItem[] = [
      threadItem({ id: 62, text: 'Late note', state: 'queued', hold_until: '2030-01-16T16:00:00Z', hold_reason: 'quiet_hours' }),
    ];
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => items),
      undo_send: (args) => {
        items = [];
        return { message_id: args.messageId, patient_id: 1, text: 'Late note', to: '+15551234567', via: 'his' };
      },
    });
    const bar = await within(bubble()).findByTestId('held-bar');
    expect(bar).toHaveTextContent("Held for the patient's quiet hours: goes");
    await user.click(within(bar).getByRole('button', { name: 'Cancel' }));
    expect(backend.callsTo('undo_send')).toEqual([{ messageId: 62 }]);
    await waitFor(() => expect(within(screen.getByTestId('thread')).queryByTestId('message')).toBeNull());
    expect(composer().text.value).toBe('');
  });
});
