// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem, ThreadSearch } from '../../../platform';
import type { CommandArgs } from '../../../platform/mockBackend';
import { openPatient } from '../../../test/conversation';
import { pagedThread, threadItem } from '../../../test/fixtures';
import { FAKE_ROW, FAKE_VIEWPORT } from '../../../test/renderApp';
import { THREAD_PAGE_SIZE } from '../queries';
import { fold } from './fold';

/**
 * 450 texts (three pages): "Blue" on the newest page, "blue" and "BLÜE" on the oldest, and a
 * hostile one on the middle page.
 */
function longThread(): ThreadItem[] {
  return Array.from({ length: 450 }, (_, i) => {
    const special: Record<number, string> = {
      5: 'Bring the blue folder',
      12: 'BLÜE form is signed',
      150: '<img src=x onerror="document.title=1"> blue pen',
      440: 'Blue skies today',
    };
    return threadItem({ text: special[i] ?? `Message ${i}`, at: new Date(Date.UTC(2024, 2, 1, 0, i)).toISOString() });
  });
}

/** search_thread over `items` as the backend does it: folded substring, newest first. */
function searchOver(items: ThreadItem[]) {
  return (args: CommandArgs): ThreadSearch => {
    const needle = fold(String(args.query));
    const hits = items
      .filter((item) => needle.trim() !== '' && fold(item.text).includes(needle))
      .reverse()
      .map((item) => ({ id: item.id, kind: 'sms' as const, at: item.at }));
    return { hits, more: false };
  };
}

async function openLongThread() {
  const items = longThread();
  const utils = await openPatient(0, { thread_page: pagedThread(items), search_thread: searchOver(items) });
  await within(screen.getByTestId('thread')).findByText('Message 449');
  return { ...utils, items };
}

function bar() {
  return screen.getByRole('search', { name: 'Search this conversation' });
}

function count() {
  return within(bar()).getByTestId('thread-search-count');
}

function current() {
  return screen.getByTestId('thread').querySelector<HTMLElement>('[data-search-current]');
}

/** Whether the hit shown sits inside the thread's viewport (rows are placed by transform). */
function currentInView(): boolean {
  const row = current()?.closest<HTMLElement>('[data-index]');
  const y = row ? /translate3d\(0(?:px)?, (-?[\d.]+)px/.exec(row.style.transform) : null;
  if (!y) return false;
  const top = Number(y[1]) - screen.getByTestId('thread').scrollTop;
  return top >= 0 && top + FAKE_ROW <= FAKE_VIEWPORT;
}

describe('search in a thread', () => {
  it('opens with Ctrl+F, counts the hits over the whole thread and shows the newest highlighted', async () => {
    const { user, backend } = await openLongThread();
    expect(screen.queryByRole('search')).toBeNull();
    await user.keyboard('{Control>}f{/Control}');
    const box = within(bar()).getByRole('searchbox', { name: 'Search this conversation' });
    expect(box).toHaveFocus();
    await user.type(box, 'blue');
    await waitFor(() => expect(count()).toHaveTextContent('1 of 4'));
    expect(backend.callsTo('search_thread').at(-1)).toEqual({ patientId: 1, query: 'blue', limit: 1000 });
    await waitFor(() => expect(current()).toHaveTextContent('Blue skies today'));
    expect(within(current()!).getByTestId('search-hit')).toHaveTextContent('Blue');
  });

  it('jumps to older hits with Enter, loading the pages back to them, and back with Shift+Enter and the arrows', async () => {
    const { user, backend, items } = await openLongThread();
    await user.keyboard('{Control>}f{/Control}');
    await user.type(within(bar()).getByRole('searchbox'), 'blue');
    await waitFor(() => expect(count()).toHaveTextContent('1 of 4'));

    // The second hit is on the middle page: it loads, scrolls into view and stays text.
    await user.keyboard('{Enter}');
    expect(count()).toHaveTextContent('2 of 4');
    await waitFor(() => expect(current()).toHaveTextContent('<img src=x onerror="document.title=1"> blue pen'));
    await waitFor(() => expect(currentInView()).toBe(true));
    expect(screen.getByTestId('thread').querySelector('img')).toBeNull();
    expect(within(current()!).getByTestId('search-hit')).toHaveTextContent(/^blue$/);
    expect(backend.callsTo('thread_page')).toEqual([
      { patientId: 1, before: null, limit: THREAD_PAGE_SIZE },
      { patientId: 1, before: String(items[250]!.id), limit: THREAD_PAGE_SIZE },
    ]);

    // The third, "BLÜE", is on the oldest page; accents and case aside.
    await user.keyboard('{Enter}');
    expect(count()).toHaveTextContent('3 of 4');
    await waitFor(() => expect(current()).toHaveTextContent('BLÜE form is signed'));
    await waitFor(() => expect(currentInView()).toBe(true));
    expect(within(current()!).getByTestId('search-hit')).toHaveTextContent(/^BLÜE$/);
    expect(backend.callsTo('thread_page')).toHaveLength(3);

    await user.keyboard('{Shift>}{Enter}{/Shift}');
    expect(count()).toHaveTextContent('2 of 4');
    await waitFor(() => expect(current()).toHaveTextContent('blue pen'));
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(count()).toHaveTextContent('4 of 4');
    await waitFor(() => expect(current()).toHaveTextContent('Bring the blue folder'));
    // Past the oldest: round to the newest again.
    await user.keyboard('{Enter}');
    expect(count()).toHaveTextContent('1 of 4');
    await user.keyboard('{ArrowDown}');
    expect(count()).toHaveTextContent('4 of 4');
    await user.click(within(bar()).getByRole('button', { name: 'Newer match' }));
    expect(count()).toHaveTextContent('3 of 4');
    await user.click(within(bar()).getByRole('button', { name: 'Older match' }));
    expect(count()).toHaveTextContent('4 of 4');
  });

  it('says when nothing matches, and Esc closes the bar and the highlights', async () => {
    const { user } = await openLongThread();
    await user.keyboard('{Control>}f{/Control}');
    await user.type(within(bar()).getByRole('searchbox'), 'zebra');
    await waitFor(() => expect(count()).toHaveTextContent('No matches'));
    expect(within(bar()).getByRole('button', { name: 'Older match' })).toBeDisabled();

    await user.clear(within(bar()).getByRole('searchbox'));
    await user.type(within(bar()).getByRole('searchbox'), 'skies');
    await waitFor(() => expect(count()).toHaveTextContent('1 of 1'));
    await waitFor(() => expect(screen.getAllByTestId('search-hit')).toHaveLength(1));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('search')).toBeNull();
    expect(screen.queryAllByTestId('search-hit')).toHaveLength(0);
    expect(current()).toBeNull();
    expect(screen.getByTestId('thread')).toHaveFocus();

    // Ctrl+F again: the last search, selected, ready to be typed over.
    await user.keyboard('{Control>}f{/Control}');
    expect(within(bar()).getByRole('searchbox')).toHaveValue('skies');
    await user.keyboard('soon');
    expect(within(bar()).getByRole('searchbox')).toHaveValue('soon');
  });
});
