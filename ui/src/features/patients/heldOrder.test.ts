import { describe, expect, it } from 'vitest';
import { holdOrder, longestIncreasingRun } from './heldOrder';

interface Row {
  id: number;
  preview: string;
}

/** Rows from a compact spec: "A B C" (ids are char codes), each with a preview. */
function list(spec: string, preview = 'old'): Row[] {
  return spec
    .split(' ')
    .filter(Boolean)
    .map((name) => ({ id: name.charCodeAt(0), preview: `${name} ${preview}` }));
}

function names(rows: Row[]): string {
  return rows.map((r) => String.fromCharCode(r.id)).join(' ');
}

describe('holdOrder', () => {
  it.each([
    // shown, fresh, rows shown, waiting
    ['A B C D', 'A B C D', 'A B C D', 0],
    ['A B C D', 'C A B D', 'A B C D', 1], // a reply lifts C to the top: one row waits, not three
    ['A B C D', 'D C A B', 'A B C D', 2], // two replies
    ['A B C D', 'E A B C D', 'A B C D', 1], // a new patient at the top waits
    ['A B C D', 'A E B C D', 'A B C D', 1], // ...or among the rows
    ['A B C D', 'A B C D E F', 'A B C D E F', 0], // the next page is appended
    ['A B C D', 'E A B C D F', 'A B C D F', 1], // both at once
    ['A B C D', 'A C D', 'A B C D', 0], // a row gone stays until the order is applied
    ['A B C D', 'B C D A', 'A B C D', 1], // a row that sank (its last text undone)
    ['', 'A B C', 'A B C', 0], // the first rows arrive while the pointer is over the column
    ['A B C', '', 'A B C', 0],
  ])('%s then %s shows %s with %i waiting', (shown, fresh, expected, waiting) => {
    const held = holdOrder(list(shown), list(fresh, 'new'));
    expect(names(held.rows)).toBe(expected);
    expect(held.waiting).toBe(waiting);
  });

  it("updates the rows' contents in place and keeps a gone row as it was", () => {
    const held = holdOrder(list('A B C'), list('C A', 'new'));
    expect(held.rows.map((r) => r.preview)).toEqual(['A new', 'B old', 'C new']);
  });

  it('is stable: holding again against the same fresh list changes nothing', () => {
    const fresh = list('E C A B D F', 'new');
    const once = holdOrder(list('A B C D'), fresh);
    const twice = holdOrder(once.rows, fresh);
    expect(names(twice.rows)).toBe(names(once.rows));
    expect(twice.waiting).toBe(once.waiting);
  });
});

describe('longestIncreasingRun', () => {
  it.each([
    [[], 0],
    [[0, 1, 2, 3], 4],
    [[2, 0, 1, 3], 3],
    [[3, 2, 1, 0], 1],
    [[1, 2, 0], 2],
  ])('%j has a run of %i', (values, expected) => {
    expect(longestIncreasingRun(values)).toBe(expected);
  });
});
