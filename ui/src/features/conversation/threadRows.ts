import type { ThreadItem } from '../../platform';
import { dayLabel, localDay } from './days';
import { parseTimestamp } from './time';

/**
 * One row of the virtualized thread: a text or call, and the day separator that follows
 * it when the next item is on another day. Rows are items only, so the rows on screen
 * keep their keys when older pages are added above them (the view stays still).
 */
export interface ThreadRow {
  key: string;
  item: ThreadItem;
  /** The label of the next item's day ("Today"), when it starts a new day. */
  nextDay: string | null;
}

export interface ThreadRows {
  /** The first item's day, shown above the first row. */
  firstDay: string | null;
  rows: ThreadRow[];
}

/** Texts and calls have separate id spaces. */
export function itemKey(item: ThreadItem): string {
  return `${item.kind}-${item.id}`;
}

/**
 * Items (oldest first) as rows, with a day separator wherever the local day changes.
 * An item whose time cannot be read stays under the day before it ("Unknown date" if it
 * comes first). Repeated items (pages that overlap while new texts arrive) are kept once.
 */
export function buildThreadRows(items: ThreadItem[], now: Date = new Date()): ThreadRows {
  const rows: ThreadRow[] = [];
  const seen = new Set<string>();
  let firstDay: string | null = null;
  let currentDay: string | null = null;
  for (const item of items) {
    const key = itemKey(item);
    if (seen.has(key)) continue;
    seen.add(key);
    const date = parseTimestamp(item.at);
    const day: string = date ? localDay(date) : (currentDay ?? 'unknown');
    if (day !== currentDay) {
      const label = date ? dayLabel(date, now) : 'Unknown date';
      const previous = rows[rows.length - 1];
      if (previous) previous.nextDay = label;
      else firstDay = label;
      currentDay = day;
    }
    rows.push({ key, item, nextDay: null });
  }
  return { firstDay, rows };
}
