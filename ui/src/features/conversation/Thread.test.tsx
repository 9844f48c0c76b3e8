// @vitest-environment jsdom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { openPatient } from '../../test/conversation';
import { pagedThread, threadItem } from '../../test/fixtures';
import { dayLabel } from './days';
import { THREAD_PAGE_SIZE } from './queries';

/** A local time `daysAgo` days before now, at hh:mm. */
function daysAgoAt(daysAgo: number, hour: number, minute = 0): string {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo, hour, minute).toISOString();
}

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
  threadItem({ direction: 'outbound', text: 'Reminder', state: 'queued' }),
  threadItem({ kind: 'call', direction: 'outbound', text: '', to: '+18055550100', state: 'ringing', route: 'ecm' }),
];

function thread() {
  return screen.getByTestId('thread');
}

describe('thread', () => {
  it('asks thread_page for the newest page of the open patient and shows the empty state', async () => {
    const { backend } = await openPatient(2);
    expect(thread()).toHaveAttribute('role', 'log');
    expect(thread()).toHaveAttribute('aria-live', 'polite');
    expect(within(thread()).getByText('No messages yet')).toBeInTheDocument();
    expect(backend.callsTo('thread_page')[0]).toEqual({ patientId: 3, before: null, limit: THREAD_PAGE_SIZE });
  });

  it('renders outbound and inbound bubbles and call rows with their states in words', async () => {
    await openPatient(0, { thread_page: pagedThread(alice) });
    const messages = await within(thread()).findAllByTestId('message');
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
      'Queued',
    ]);
    expect(messages[0]).toHaveTextContent('SMS · hospital server');
    expect(messages[1]).toHaveTextContent('SMS · ECM');
    expect(messages[0]!.querySelector('time')).not.toBeNull();

    const call = within(thread()).getByTestId('call-row');
    expect(call).toHaveTextContent('Call to +1 (805) 555-0100 · Call placed: ECM call SM123, ringing');
  });

  it("says on every bubble which of the patient's numbers it went to or came from", async () => {
    await openPatient(0, {
      thread_page: pagedThread([
        alice[0]!,
        alice[1]!,
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: 'Me again' }),
        threadItem({ direction: 'inbound', from: '+19998887777', state: 'received', text: 'Wrong number?' }),
        threadItem({ kind: 'call', direction: 'outbound', to: '+15559876543', state: 'completed', text: '' }),
      ]),
    });
    const parties = (await within(thread()).findAllByTestId('message-party')).map((p) => p.textContent);
    expect(parties).toEqual([
      'To Patient · +1 (555) 123-4567',
      'From Rosa Moreno (daughter) · +1 (555) 987-6543',
      'From Patient · +1 (555) 123-4567',
      'From +1 (999) 888-7777',
    ]);
    expect(within(thread()).getByTestId('call-row')).toHaveTextContent(
      'Call to Rosa Moreno (daughter) · +1 (555) 987-6543 · Call placed: ECM call SM123, completed',
    );
  });

  it('names the number even when the patient has only one', async () => {
    await openPatient(2, { thread_page: pagedThread([threadItem({ to: '+15552223333' })]) });
    const [message] = await screen.findAllByTestId('message');
    expect(message).toHaveTextContent('To Patient · +1 (555) 222-3333');
    expect(message).toHaveTextContent('Sent');
  });

  it('separates days with Today, Yesterday and the date', async () => {
    await openPatient(0, {
      thread_page: pagedThread([
        threadItem({ text: 'Long ago', at: daysAgoAt(30, 10) }),
        threadItem({ text: 'Yesterday morning', at: daysAgoAt(1, 9) }),
        threadItem({ text: 'Yesterday evening', at: daysAgoAt(1, 19) }),
        threadItem({ text: 'This morning', at: daysAgoAt(0, 0, 5) }),
      ]),
    });
    await within(thread()).findByText('This morning');
    const separators = within(thread()).getAllByTestId('day-separator').map((d) => d.textContent);
    expect(separators).toEqual([dayLabel(new Date(daysAgoAt(30, 10))), 'Yesterday', 'Today']);
    expect(separators[0]).not.toMatch(/Today|Yesterday/);
    // Separators sit between the days, in order.
    const text = thread().textContent!;
    expect(text.indexOf('Long ago')).toBeLessThan(text.indexOf('Yesterday'));
    expect(text.indexOf('Yesterday evening')).toBeLessThan(text.indexOf('Today'));
    expect(text.indexOf('Today')).toBeLessThan(text.indexOf('This morning'));
  });

  it('marks test-mode and override sends, and flagged replies', async () => {
    await openPatient(0, {
      thread_page: pagedThread([
        threadItem({ text: 'In test mode', test: true }),
        threadItem({ text: 'Overridden', to: '+15550009999', intended_to: '+15559876543' }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: 'HELP', flagged: 'help' }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: 'no more', flagged: 'revocation' }),
        threadItem({ text: 'Plain' }),
      ]),
    });
    const messages = await within(thread()).findAllByTestId('message');
    expect(within(messages[0]!).getByTestId('test-mark')).toHaveTextContent('Test Sent in test mode');
    expect(within(messages[0]!).queryByTestId('override-mark')).toBeNull();

    const override = within(messages[1]!).getByTestId('override-mark');
    expect(override).toHaveTextContent(
      'Sent to the override number +1 (555) 000-9999 instead of Rosa Moreno (daughter) · +1 (555) 987-6543.',
    );
    // The bubble belongs to the intended number.
    expect(messages[1]).toHaveTextContent('To Rosa Moreno (daughter) · +1 (555) 987-6543');

    expect(within(messages[2]!).getByTestId('flag-mark')).toHaveTextContent('Needs attention Asked for help (HELP)');
    expect(within(messages[3]!).getByTestId('flag-mark')).toHaveTextContent('May be asking to stop texts');
    expect(messages[2]).toHaveClass('message--flagged');
    for (const plain of [messages[4]!]) {
      expect(within(plain).queryByTestId('test-mark')).toBeNull();
      expect(within(plain).queryByTestId('override-mark')).toBeNull();
      expect(within(plain).queryByTestId('flag-mark')).toBeNull();
    }
  });

  it('shows why an outbound text waits under its bubble, "Waiting" when its route is paused', async () => {
    const paused =
      "waiting: the hospital SMS server refused CareDesk's credentials, so nothing is sent by this route until they are replaced (the hospital SMS server refused the token his-token (HTTP 401))";
    const mayHaveGone =
      'it may have been sent: CareDesk waits for the hospital SMS server to list it, then checks before any new attempt';
    await openPatient(0, {
      thread_page: pagedThread([
        threadItem({ text: 'Held back', state: 'queued', note: paused, paused: true }),
        threadItem({ text: 'Maybe gone', state: 'uncertain', note: mayHaveGone }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: 'Hi', note: 'waiting: no' }),
        threadItem({ text: 'Went' }),
      ]),
    });
    const messages = await within(thread()).findAllByTestId('message');

    const waiting = within(messages[0]!).getByTestId('message-note');
    expect(waiting).toHaveTextContent(
      "Waiting: The hospital SMS server refused CareDesk's credentials, so nothing is sent by this route until they are replaced (the hospital SMS server refused the token his-token (HTTP 401)).",
    );
    expect(within(waiting).getByText('Waiting')).toHaveClass('badge', 'badge--waiting');
    expect(waiting).toHaveClass('message__note--waiting');
    expect(messages[0]).toHaveClass('message--waiting');
    // Nothing failed: no problem colours.
    expect(waiting.querySelector('.badge--danger')).toBeNull();
    expect(within(messages[0]!).getByTestId('message-state')).toHaveTextContent('Queued');
    // Under the bubble, after its meta line.
    const meta = messages[0]!.querySelector('.message__meta')!;
    expect(meta.compareDocumentPosition(waiting) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    const maybe = within(messages[1]!).getByTestId('message-note');
    expect(maybe).toHaveTextContent(
      'It may have been sent: CareDesk waits for the hospital SMS server to list it, then checks before any new attempt.',
    );
    expect(maybe).toHaveClass('message__mark', 'message__note');
    expect(maybe).not.toHaveClass('message__note--waiting');
    expect(within(maybe).queryByText('Waiting')).toBeNull();
    expect(messages[1]).not.toHaveClass('message--waiting');

    // Inbound texts and texts that went have no note line.
    expect(within(messages[2]!).queryByTestId('message-note')).toBeNull();
    expect(messages[2]).not.toHaveClass('message--waiting');
    expect(within(messages[3]!).queryByTestId('message-note')).toBeNull();
  });

  it('renders hostile inbound text as text, keeping line breaks, and creates no element from it', async () => {
    const img = '<img src=x onerror=alert(1)>';
    const script = '<script>alert("x")</script>';
    const bidi = 'Pay invoice\u202Etxt.exe\u202C now';
    const hidden = 'click\u200Bhere\uFEFF \u2067isolated\u2069';
    await openPatient(0, {
      thread_page: pagedThread([
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: img }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: `${script}\nsecond line` }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: bidi }),
        threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text: hidden }),
      ]),
    });
    const messages = await screen.findAllByTestId('message');
    const body = (m: HTMLElement) => m.querySelector('.message__text')!;
    expect(messages[0]).toHaveTextContent(img);
    expect(body(messages[1]!).textContent).toBe(`${script}\nsecond line`);
    expect(thread().querySelector('img')).toBeNull();
    expect(thread().querySelector('script')).toBeNull();
    expect(document.querySelector('img')).toBeNull();

    // Bidi controls and zero-width characters are shown as escapes, never applied.
    expect(body(messages[2]!).textContent).toBe('Pay invoice⟨U+202E⟩txt.exe⟨U+202C⟩ now');
    expect(body(messages[3]!).textContent).toBe('click⟨U+200B⟩here⟨U+FEFF⟩ ⟨U+2067⟩isolated⟨U+2069⟩');
    expect(thread().textContent).not.toMatch(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/);
    expect(within(messages[2]!).getByTitle('Hidden character: right-to-left override')).toHaveTextContent('⟨U+202E⟩');
    // Each body is isolated and takes its direction from its own text.
    expect(body(messages[2]!)).toHaveAttribute('dir', 'auto');
    expect(body(messages[2]!)).toHaveClass('message__text');
  });

  it('shows a load error as readable text', async () => {
    await openPatient(0, {
      thread_page: () => {
        throw { code: 'db_locked', message: 'The database is busy.' };
      },
    });
    expect(await within(thread()).findByRole('alert')).toHaveTextContent('Could not load messages: The database is busy.');
  });
});
