/** A row of a list that can be held still: anything with an id. */
export interface Keyed {
  id: number;
}

/** What the list shows while it is held, and how much new activity waits. */
export interface Held<T> {
  /** The shown order, each row's contents from the fresh list (kept as shown when it is gone). */
  rows: T[];
  /**
   * How many rows the fresh order would move or add above rows already shown ("N new"):
   * patients with new activity, or new patients. 0 when applying it would move nothing.
   */
  waiting: number;
}

/**
 * Holds the shown order against a fresh one, so nothing moves under the pointer:
 * - rows keep their places and take their fresh contents (preview, time, badge);
 * - a row gone from the fresh list stays, as last shown, until the order is applied;
 * - new rows the fresh order puts below every shown row (the next page) are appended;
 *   new rows among or above them wait, counted in `waiting`;
 * - rows the fresh order puts elsewhere stay, counted in `waiting` (the fewest rows that
 *   would have to move: a reply lifting one row to the top counts 1, not every row it passes).
 */
export function holdOrder<T extends Keyed>(shown: T[], fresh: T[]): Held<T> {
  const freshById = new Map(fresh.map((row) => [row.id, row]));
  const shownRank = new Map(shown.map((row, i) => [row.id, i]));

  // Where the last shown row is in the fresh order: new rows after it are a page more.
  let lastShown = -1;
  fresh.forEach((row, i) => {
    if (shownRank.has(row.id)) lastShown = i;
  });

  const rows = shown.map((row) => freshById.get(row.id) ?? row);
  let inserted = 0;
  fresh.forEach((row, i) => {
    if (shownRank.has(row.id)) return;
    if (i > lastShown) rows.push(row);
    else inserted++;
  });

  // The shown rows in fresh order, as their shown ranks: those outside its longest
  // increasing run are the ones that would move.
  const ranks = fresh.flatMap((row) => {
    const rank = shownRank.get(row.id);
    return rank === undefined ? [] : [rank];
  });
  const moved = ranks.length - longestIncreasingRun(ranks);
  return { rows, waiting: inserted + moved };
}

/** The length of the longest strictly increasing subsequence (patience sorting, n log n). */
export function longestIncreasingRun(values: number[]): number {
  const tails: number[] = [];
  for (const value of values) {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (tails[mid]! < value) low = mid + 1;
      else high = mid;
    }
    tails[low] = value;
  }
  return tails.length;
}
