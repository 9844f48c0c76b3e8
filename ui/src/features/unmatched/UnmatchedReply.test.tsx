// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import type { CommandHandler } from '../../platform/mockBackend';
import { smsOutcome, threadItem, unmatchedThread } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';

const NUMBER = '+16175550123';
const stranger = unmatchedThread({ number: NUMBER, display: '+1 (617) 555-0123', unread: 0 });
const wrote = threadItem({ direction: 'inbound', from: NUMBER, to: '15550100000', state: 'received', text: 'Who is this?' });

async function openStranger(items: () => ThreadItem[], overrides: Record<string, CommandHandler> = {}) {
  const utils = await renderShell({
    list_unmatched: () => [stranger],
    unmatched_thread: () => items(),
    ...overrides,
  });
  await utils.user.click(await screen.findByTestId('unmatched-entry'));
  await utils.user.click(await screen.findByTestId('unmatched-row'));
  const box = await screen.findByRole('form', { name: 'Reply to +1 (617) 555-0123' });
  return { ...utils, box, reply: within(box).getByRole('textbox', { name: 'Reply' }) };
}

describe('replying from the Unmatched inbox', () => {
  it('sends the reply for that number, says it is no patient’s, and shows it in the thread with Undo', async () => {
    const holdUntil = new Date(Date.now() + 30_000).toISOString();
    let items = [wrote];
    const { user, backend, box, reply } = await openStranger(() => items, {
      reply_unmatched: (args) => {
        items = [
          wrote,
          threadItem({ id: 77, to: NUMBER, text: args.text as string, state: 'queued', hold_until: holdUntil, unmatched_reply: true }),
        ];
        return smsOutcome({ patient_id: null, to: NUMBER, state: 'queued', hold_until: holdUntil });
      },
      undo_send: () => {
        items = [wrote];
        return { message_id: 77, patient_id: null, text: 'This is the clinic.', to: NUMBER, via: 'his' };
      },
    });
    expect(box).toHaveTextContent('not one of any patient’s numbers');
    const send = within(box).getByRole('button', { name: 'Send reply' });
    expect(send).toBeDisabled();
    await user.type(reply, '  This is the clinic.  ');
    expect(within(box).getByTestId('sms-count')).toHaveTextContent('23 characters · 1 segment');
    await user.keyboard('{Control>}{Enter}{/Control}');

    await waitFor(() => expect(backend.callsTo('reply_unmatched')).toEqual([{ number: NUMBER, text: 'This is the clinic.' }]));
    await waitFor(() => expect(reply).toHaveValue(''));
    const thread = screen.getByTestId('thread');
    const mine = await within(thread).findByText('This is the clinic.');
    const bubble = mine.closest('[data-testid=message]') as HTMLElement;
    expect(bubble).toHaveTextContent('To +1 (617) 555-0123');
    expect(within(bubble).getByTestId('unmatched-reply-mark')).toBeInTheDocument();

    // Undo puts it back into the reply box; nothing was sent.
    await user.click(within(bubble).getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(reply).toHaveValue('This is the clinic.'));
    expect(backend.callsTo('undo_send')).toEqual([{ messageId: 77 }]);
    await waitFor(() => expect(within(thread).queryByText('This is the clinic.')).toBeNull());
  });

  it('shows why a reply cannot go and keeps the text', async () => {
    const { user, box, reply } = await openStranger(() => [wrote], {
      reply_unmatched: () => {
        throw { code: 'opted_out', message: '+1********23 has opted out of SMS (replied STOP); nothing was sent.' };
      },
    });
    await user.type(reply, 'Are you there?');
    await user.click(within(box).getByRole('button', { name: 'Send reply' }));
    expect(await within(box).findByRole('alert')).toHaveTextContent('has opted out of SMS');
    expect(reply).toHaveValue('Are you there?');
  });

  it('shows a refusal by the server', async () => {
    const { user, box, reply } = await openStranger(() => [wrote], {
      reply_unmatched: () =>
        smsOutcome({ patient_id: null, state: 'failed', error: 'the recipient number was refused', error_code: 'his_invalid_number' }),
    });
    await user.type(reply, 'Hello');
    await user.click(within(box).getByRole('button', { name: 'Send reply' }));
    expect(await within(box).findByRole('alert')).toHaveTextContent('the recipient number was refused');
  });
});
