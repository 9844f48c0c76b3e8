// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import { composer, openPatient } from '../../test/conversation';
import { pagedThread, threadItem } from '../../test/fixtures';

function bubble() {
  return within(screen.getByTestId('thread')).getByTestId('message');
}

describe('undo send', () => {
  it('shows the countdown, and Undo puts the text, To and Via back in the composer', async () => {
    const holdUntil = new Date(Date.now() + 30_000).toISOString();
    let items: ThreadItem[] = [
      threadItem({ id: 41, text: 'Wrong patient!', state: 'queued', to: '+15559876543', route: 'ecm', hold_until: holdUntil }),
    ];
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => items),
      undo_send: (args) => {
        items = [];
        return { message_id: args.messageId, patient_id: 1, text: 'Wrong patient!', to: '+15559876543', via: 'ecm' };
      },
    });
    const bar = await within(bubble()).findByTestId('undo-bar');
    expect(bar).toHaveTextContent(/Sending in \d+ s · Undo/);
    await user.click(within(bar).getByRole('button', { name: 'Undo' }));
    expect(backend.callsTo('undo_send')).toEqual([{ messageId: 41 }]);
    await waitFor(() => expect(composer().text.value).toBe('Wrong patient!'));
    expect(composer().to.value).toBe('+15559876543');
    expect(composer().route.value).toBe('ecm');
    await waitFor(() => expect(within(screen.getByTestId('thread')).queryByTestId('message')).toBeNull());
  });

  it('says so when it is too late', async () => {
    const holdUntil = new Date(Date.now() + 30_000).toISOString();
    const { user } = await openPatient(0, {
      thread_page: pagedThread(() => [threadItem({ id: 42, state: 'queued', hold_until: holdUntil })]),
      undo_send: () => {
        throw { code: 'too_late_to_undo', message: 'message 42 is already being sent' };
      },
    });
    await user.click(await within(bubble()).findByRole('button', { name: 'Undo' }));
    expect(await within(bubble()).findByText('Too late to undo: it is being sent.')).toBeInTheDocument();
  });
});

describe('failed texts', () => {
  it('look failed, with Retry and Edit and resend', async () => {
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => [
        threadItem({ id: 51, text: 'See you at 3', state: 'failed', error: 'Patient not found', server_id: null, retryable: true }),
      ]),
      retry_message: (args) => ({ message_id: 52, patient_id: 1, route: 'his', to: '+15551234567', intended_to: null, test: false, external_key: 9, retry_of: args.messageId }),
    });
    const b = bubble();
    expect(b).toHaveClass('message--failed');
    const actions = within(b).getByTestId('failed-actions');
    expect(actions).toHaveTextContent('Not sent');
    await user.click(within(actions).getByRole('button', { name: 'Retry' }));
    expect(backend.callsTo('retry_message')).toEqual([{ messageId: 51 }]);
    await user.click(within(actions).getByRole('button', { name: 'Edit and resend' }));
    expect(composer().text.value).toBe('See you at 3');
  });

  it('one that may have gone asks, and says why, before it is sent again', async () => {
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => [threadItem({ id: 61, text: 'Maybe', state: 'uncertain', route: 'ecm', server_id: null })]),
    });
    const b = bubble();
    expect(b).toHaveClass('message--uncertain');
    expect(within(b).queryByRole('button', { name: 'Retry' })).toBeNull();
    await user.click(within(b).getByRole('button', { name: 'Send again…' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent("ECM may have delivered this; check the patient's ECM activity; send again anyway?");
    await user.keyboard('{Escape}');
    expect(backend.callsTo('send_sms')).toHaveLength(0);
    await user.click(within(b).getByRole('button', { name: 'Send again…' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Send again' }));
    await waitFor(() =>
      expect(backend.callsTo('send_sms')).toEqual([{ patientId: 1, to: '+15551234567', text: 'Maybe', via: 'ecm' }]),
    );
  });
});
