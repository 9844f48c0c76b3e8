// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ThreadItem } from '../../platform';
import { openPatient } from '../../test/conversation';
import { threadItem } from '../../test/fixtures';
import { THREAD_REFRESH_MS } from './queries';

const alice = [
  threadItem({ direction: 'outbound', text: 'Your appointment is tomorrow at 9.', to: '+15551234567', state: 'delivered' }),
  threadItem({
    direction: 'inbound',
    text: 'Thanks, I will bring her.',
    from: '+15559876543',
    to: '+15550009999',
    state: 'received',
    route: 'ecm',
  }),
  threadItem({ direction: 'outbound', text: 'Still there?', state: 'failed', error: 'Twilio 21610: the number replied STOP.' }),
  threadItem({ direction: 'outbound', text: 'Lab results ready', state: 'uncertain', error: 'The server did not answer.' }),
  threadItem({ direction: 'outbound', text: 'Call us back', state: 'undelivered', route: 'ecm' }),
  threadItem({ direction: 'outbound', text: 'Reminder', state: 'sending' }),
  threadItem({ kind: 'call', direction: 'outbound', text: '', to: '+18055550100', state: 'ringing', route: 'ecm' }),
];

describe('thread', () => {
  afterEach(() => vi.restoreAllMocks());

  it('asks list_thread for the open patient and shows the empty state', async () => {
    const { backend } = await openPatient(2);
    const thread = screen.getByTestId('thread');
    expect(thread).toHaveAttribute('role', 'log');
    expect(thread).toHaveAttribute('aria-live', 'polite');
    expect(within(thread).getByText('No messages yet')).toBeInTheDocument();
    expect(backend.callsTo('list_thread')[0]).toEqual({ patientId: 3 });
  });

  it('renders outbound and inbound bubbles and call rows with their states in words', async () => {
    await openPatient(0, { list_thread: () => alice });
    const thread = screen.getByTestId('thread');
    const messages = await within(thread).findAllByTestId('message');
    expect(messages.map((m) => m.getAttribute('data-direction'))).toEqual([
      'outbound',
      'inbound',
      'outbound',
      'outbound',
      'outbound',
      'outbound',
    ]);
    const states = messages.map((m) => within(m).getByTestId('message-state').textContent);
    expect(states).toEqual([
      'Delivered',
      'Received',
      'Failed: Twilio 21610: the number replied STOP.',
      'May have been sent: The server did not answer.',
      'Not delivered',
      'Sending…',
    ]);
    // Alice has two numbers, so each bubble says whose number it was.
    expect(messages[0]).toHaveTextContent('To Alice Moreno');
    expect(messages[0]).toHaveTextContent('SMS · hospital server');
    expect(messages[1]).toHaveTextContent('From Rosa Moreno (daughter)');
    expect(messages[1]).toHaveTextContent('SMS · ECM');
    expect(messages[0]!.querySelector('time')).not.toBeNull();

    const call = within(thread).getByTestId('call-row');
    expect(call).toHaveTextContent('Call to +1 (805) 555-0100 · Ringing');
  });

  it('does not name the number when the patient has only one', async () => {
    await openPatient(2, { list_thread: () => [threadItem({ to: '+15552223333' })] });
    const [message] = await screen.findAllByTestId('message');
    expect(message).not.toHaveTextContent('To ');
    expect(message).toHaveTextContent('Sent');
  });

  it('renders hostile inbound text as text, keeping line breaks, and creates no element from it', async () => {
    const img = '<img src=x onerror=alert(1)>';
    const script = '<script>alert("x")</script>';
    await openPatient(0, {
      list_thread: () => [
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: img }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: `${script}\nsecond line` }),
      ],
    });
    const messages = await screen.findAllByTestId('message');
    expect(messages[0]).toHaveTextContent(img);
    expect(messages[1]!.querySelector('.message__text')!.textContent).toBe(`${script}\nsecond line`);
    const thread = screen.getByTestId('thread');
    expect(thread.querySelector('img')).toBeNull();
    expect(thread.querySelector('script')).toBeNull();
    expect(document.querySelector('img')).toBeNull();
  });

  it('shows a load error as readable text', async () => {
    await openPatient(0, {
      list_thread: () => {
        throw { code: 'db_locked', message: 'The database is busy.' };
      },
    });
    expect(await within(screen.getByTestId('thread')).findByRole('alert')).toHaveTextContent(
      'Could not load messages: The database is busy.',
    );
  });

  it(
    'refetches while open and scrolls to a newly arrived item',
    async () => {
      vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(1200);
      let items: ThreadItem[] = [threadItem({ text: 'First' })];
      const { backend } = await openPatient(0, { list_thread: () => items });
      const thread = screen.getByTestId('thread');
      await within(thread).findByText('First');
      expect(thread.scrollTop).toBe(1200);

      thread.scrollTop = 0;
      items = [...items, threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: 'Reply' })];
      expect(await within(thread).findByText('Reply', {}, { timeout: THREAD_REFRESH_MS + 1500 })).toBeInTheDocument();
      expect(backend.callsTo('list_thread').length).toBeGreaterThanOrEqual(2);
      await waitFor(() => expect(thread.scrollTop).toBe(1200));
    },
    THREAD_REFRESH_MS + 5000,
  );
});
