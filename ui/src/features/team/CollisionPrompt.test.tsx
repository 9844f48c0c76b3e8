// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ColleagueSend } from '../../platform';
import { composer, openPatient } from '../../test/conversation';
import { teamHandlers } from '../../test/team';
import { quote, sentWords } from './CollisionDialog';

function bens(text: string, secondsAgo: number): ColleagueSend {
  return {
    message_id: 77,
    sent_by: 'Ben Ortiz',
    sent_by_role: 'ben',
    text,
    at: new Date(Date.now() - secondsAgo * 1000).toISOString(),
  };
}

describe('the send-time collision check', () => {
  it('asks what a colleague sent since writing started, and sends nothing until answered', async () => {
    // Sent 12 s before the check asks.
    const sends = () => [bens('Your appointment is moved to Friday at 10, please confirm.', 12)];
    const { user, backend } = await openPatient(0, { ...teamHandlers(), colleague_sends: sends });
    const before = Date.now();
    await user.type(composer().text, 'See you Thursday');
    await user.click(composer().send);

    const prompt = await screen.findByTestId('collision-prompt');
    expect(prompt).toHaveTextContent(
      'Ben Ortiz sent “Your appointment is moved to Friday at 10, please confirm.” 12 s ago, after you started writing. Send yours anyway?',
    );
    const asked = backend.callsTo('colleague_sends');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.patientId).toBe(1);
    const since = Date.parse(asked[0]!.since as string);
    expect(since).toBeGreaterThanOrEqual(before - 1000);
    expect(since).toBeLessThanOrEqual(Date.now());
    expect(backend.callsTo('send_sms')).toEqual([]);

    // Keep editing: nothing is sent, the text stays.
    await user.click(within(prompt).getByRole('button', { name: 'Keep editing' }));
    expect(screen.queryByTestId('collision-prompt')).toBeNull();
    expect(backend.callsTo('send_sms')).toEqual([]);
    expect(composer().text).toHaveValue('See you Thursday');

    // Asked again: Send anyway sends it, once.
    await user.click(composer().send);
    await user.click(within(await screen.findByTestId('collision-prompt')).getByRole('button', { name: 'Send anyway' }));
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('send_sms')[0]!.text).toBe('See you Thursday');
    await waitFor(() => expect(composer().text).toHaveValue(''));
  });

  it('sends at once when no colleague sent anything, or when the check fails', async () => {
    let answer: () => ColleagueSend[] = () => [];
    const { user, backend } = await openPatient(0, { ...teamHandlers(), colleague_sends: () => answer() });
    await user.type(composer().text, 'First');
    await user.click(composer().send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    answer = () => {
      throw { code: 'store', message: 'the database is busy' };
    };
    await user.type(composer().text, 'Second');
    await user.click(composer().send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(2));
    expect(screen.queryByTestId('collision-prompt')).toBeNull();
  });

  it('is not asked on a desk alone', async () => {
    const { user, backend } = await openPatient(0, { colleague_sends: () => [bens('x', 1)] });
    await user.type(composer().text, 'Hello');
    await user.click(composer().send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('colleague_sends')).toEqual([]);
  });

  it('quotes a colleague text as text, short, with hidden characters shown', () => {
    const now = new Date('2026-03-01T10:00:30Z');
    const send = { ...bens('<b>Hi</b>\u202E  there', 0), at: '2026-03-01T10:00:00Z' };
    expect(sentWords(send, now)).toBe('Ben Ortiz sent “<b>Hi</b>⟨U+202E⟩ there” 30 s ago');
    expect(quote('x'.repeat(100))).toBe(`${'x'.repeat(59)}…`);
  });
});
