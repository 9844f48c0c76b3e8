// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import { SYNC_EVENT } from '../../platform/events';
import { openPatient } from '../../test/conversation';
import { pagedThread, threadItem } from '../../test/fixtures';
import { emitEvent, scrollTo } from '../../test/renderApp';
import { THREAD_PAGE_SIZE, THREAD_REFRESH_MS } from './queries';

function texts(from: number, to: number, fields: Partial<ThreadItem> = {}): ThreadItem[] {
  return Array.from({ length: to - from + 1 }, (_, i) =>
    threadItem({ text: `Message ${from + i}`, at: new Date().toISOString(), ...fields }),
  );
}

function thread() {
  return screen.getByTestId('thread');
}

function atEnd(el: HTMLElement): boolean {
  return el.scrollTop === el.scrollHeight - el.clientHeight;
}

/** Where a row sits in the viewport: its offset in the list minus the scroll position. */
function viewportTop(text: string): number {
  const row = within(thread()).getByText(text).closest<HTMLElement>('[data-index]')!;
  const y = /translate3d\(0(?:px)?, (-?[\d.]+)px/.exec(row.style.transform);
  expect(y).not.toBeNull();
  return Number(y![1]) - thread().scrollTop;
}

const cycleFinished = { kind: 'cycle_finished', changed: true, unread_total: 1, errors: [] };

describe('long threads', () => {
  it('open at the newest, render only what is near the view, and load older pages near the top without moving', async () => {
    const all = texts(1, 250);
    const { backend } = await openPatient(0, { thread_page: pagedThread(all) });
    await within(thread()).findByText('Message 250');
    expect(backend.callsTo('thread_page')).toEqual([{ patientId: 1, before: null, limit: THREAD_PAGE_SIZE }]);
    await waitFor(() => expect(atEnd(thread())).toBe(true));
    expect(thread().scrollTop).toBeGreaterThan(0);
    // Virtualized: a page of 200 texts, but only a screenful (and a few more) in the DOM.
    expect(thread().querySelectorAll('[data-index]').length).toBeLessThan(40);
    expect(within(thread()).queryByText('Message 51')).toBeNull();

    scrollTo(thread(), 0);
    await within(thread()).findByText('Message 51');
    const before = viewportTop('Message 51');
    await waitFor(() => expect(backend.callsTo('thread_page')).toHaveLength(2));
    expect(backend.callsTo('thread_page')[1]).toEqual({ patientId: 1, before: String(all[50]!.id), limit: THREAD_PAGE_SIZE });
    // The older page went in above the view: what was on screen stays where it was.
    await waitFor(() => expect(thread().scrollTop).toBeGreaterThan(0));
    expect(viewportTop('Message 51')).toBe(before);
    expect(within(thread()).queryByText('Message 1')).toBeNull();

    scrollTo(thread(), 0);
    expect(await within(thread()).findByText('Message 1')).toBeInTheDocument();
    expect(within(thread()).getByText('Start of the conversation')).toBeInTheDocument();
    expect(backend.callsTo('thread_page')).toHaveLength(2);
  });

  it('loads older messages with a button too, and says so when that fails', async () => {
    const all = texts(1, 210);
    const paged = pagedThread(all);
    let failOlder = true;
    const { user, backend } = await openPatient(0, {
      thread_page: (args) => {
        if (args.before !== null && failOlder) throw { code: 'db_locked', message: 'The database is busy.' };
        return paged(args);
      },
    });
    await within(thread()).findByText('Message 210');
    await user.click(within(thread()).getByRole('button', { name: 'Load older messages' }));
    expect(await within(thread()).findByRole('alert')).toHaveTextContent(
      'Could not load older messages: The database is busy.',
    );
    // What was loaded stays.
    expect(within(thread()).getByText('Message 210')).toBeInTheDocument();

    failOlder = false;
    await user.click(within(thread()).getByRole('button', { name: 'Load older messages' }));
    await within(thread()).findByText('Start of the conversation');
    expect(backend.callsTo('thread_page').map((a) => a.before)).toEqual([null, String(all[10]!.id), String(all[10]!.id)]);
    expect(within(thread()).queryByRole('alert')).toBeNull();
    scrollTo(thread(), 0);
    expect(await within(thread()).findByText('Message 1')).toBeInTheDocument();
  });

  it('shows new replies without a reload: follows them at the end, offers a jump when scrolled up', async () => {
    let items = texts(1, 30);
    const { user, backend } = await openPatient(0, { thread_page: pagedThread(() => items) });
    await within(thread()).findByText('Message 30');
    await waitFor(() => expect(atEnd(thread())).toBe(true));

    const reply = (text: string) => threadItem({ direction: 'inbound', from: '+15551234567', state: 'received', text });
    items = [...items, reply('First reply')];
    const calls = backend.callsTo('thread_page').length;
    emitEvent(SYNC_EVENT, cycleFinished);
    // The engine's event brings it, well before the polling fallback would.
    expect(await within(thread()).findByText('First reply', {}, { timeout: 1000 })).toBeInTheDocument();
    expect(backend.callsTo('thread_page').length).toBeGreaterThan(calls);
    await waitFor(() => expect(atEnd(thread())).toBe(true));

    // Reading older texts: a new reply does not pull the view away.
    scrollTo(thread(), 100);
    items = [...items, reply('Second reply')];
    emitEvent(SYNC_EVENT, cycleFinished);
    const jump = await screen.findByRole('button', { name: 'New messages ↓' });
    expect(thread().scrollTop).toBe(100);
    await user.click(jump);
    await waitFor(() => expect(atEnd(thread())).toBe(true));
    expect(await within(thread()).findByText('Second reply')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New messages ↓' })).toBeNull();
  });

  it('ignores sync cycles that changed nothing', async () => {
    const { backend } = await openPatient(0, { thread_page: pagedThread(texts(1, 3)) });
    await within(thread()).findByText('Message 3');
    const calls = backend.callsTo('list_threads').length;
    emitEvent(SYNC_EVENT, { ...cycleFinished, changed: false });
    emitEvent(SYNC_EVENT, { kind: 'cycle_started' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(backend.callsTo('list_threads')).toHaveLength(calls);
    emitEvent(SYNC_EVENT, cycleFinished);
    await waitFor(() => expect(backend.callsTo('list_threads').length).toBeGreaterThan(calls));
  });

  it(
    'polls only the newest page as a fallback, keeping the older pages it has',
    async () => {
      let items = texts(1, 250);
      const { backend } = await openPatient(0, { thread_page: pagedThread(() => items) });
      await within(thread()).findByText('Message 250');
      scrollTo(thread(), 0);
      await waitFor(() => expect(backend.callsTo('thread_page')).toHaveLength(2));
      const delivered = { ...items[249]!, state: 'delivered' };
      items = [...items.slice(0, 249), delivered, threadItem({ direction: 'inbound', from: '+15551234567', text: 'Polled in' })];

      // No event: the interval finds it.
      scrollTo(thread(), thread().scrollHeight);
      expect(await within(thread()).findByText('Polled in', {}, { timeout: THREAD_REFRESH_MS + 1500 })).toBeInTheDocument();
      const lastBubble = within(thread()).getByText('Message 250').closest<HTMLElement>('[data-testid=message]')!;
      expect(within(lastBubble).getByTestId('message-state')).toHaveTextContent('Delivered');
      // Every poll asked for the newest page only.
      expect(backend.callsTo('thread_page').slice(2).every((a) => a.before === null)).toBe(true);
      // And what was loaded further back is still there.
      scrollTo(thread(), 0);
      expect(await within(thread()).findByText('Message 1')).toBeInTheDocument();
    },
    THREAD_REFRESH_MS + 5000,
  );
});
