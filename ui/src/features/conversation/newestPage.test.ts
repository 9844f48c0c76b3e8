// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import { threadItem } from '../../test/fixtures';
import { mergeNewestPage, type ThreadPages } from './newestPage';

const items = Array.from({ length: 8 }, (_, i) => threadItem({ id: i + 1, text: `t${i + 1}` }));
const ids = (list: ThreadItem[]) => list.map((i) => i.id);

/** Two loaded pages: [3..6] (newest, cursor "3") and [1..2]. */
const loaded: ThreadPages = {
  pages: [
    { items: items.slice(2, 6), older: '3' },
    { items: items.slice(0, 2), older: null },
  ],
  pageParams: [null, '3'],
};

describe('mergeNewestPage', () => {
  it('adds new texts and keeps the older loaded ones and their cursor', () => {
    const merged = mergeNewestPage(loaded, { items: items.slice(4, 8), older: '5' })!;
    expect(ids(merged.pages[0]!.items)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(merged.pages[0]!.older).toBe('3');
    expect(merged.pages[1]).toBe(loaded.pages[1]);
    expect(merged.pageParams).toEqual([null, '3']);
  });

  it('takes changed states from the fresh page', () => {
    const delivered = { ...items[5]!, state: 'delivered' };
    const merged = mergeNewestPage(loaded, { items: [items[4]!, delivered], older: '5' })!;
    expect(merged.pages[0]!.items.at(-1)).toEqual(delivered);
    expect(ids(merged.pages[0]!.items)).toEqual([3, 4, 5, 6]);
  });

  it('drops texts that left the fresh window and takes in texts placed inside it', () => {
    const linked = threadItem({ id: 99, text: 'moved in by a link' });
    const merged = mergeNewestPage(loaded, { items: [items[3]!, linked, items[5]!], older: '4' })!;
    expect(ids(merged.pages[0]!.items)).toEqual([3, 4, 99, 6]);
  });

  it('starts over from the fresh page when it does not reach anything loaded', () => {
    const merged = mergeNewestPage(loaded, { items: items.slice(6, 8), older: '7' })!;
    expect(merged).toEqual({ pages: [{ items: items.slice(6, 8), older: '7' }], pageParams: [null] });
  });

  it('replaces an empty first page', () => {
    const empty: ThreadPages = { pages: [{ items: [], older: null }], pageParams: [null] };
    expect(mergeNewestPage(empty, { items: [items[0]!], older: null })!.pages[0]!.items).toEqual([items[0]]);
    expect(mergeNewestPage(undefined, { items: [], older: null })).toBeUndefined();
  });
});
