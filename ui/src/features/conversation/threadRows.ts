import type { Note, ThreadItem } from '../../platform';
import { dayLabel, localDay } from './days';
import { parseTimestamp } from './time';

/**
 * One row of the virtualized thread: a text or call (or, in team mode, an internal note), and
 * the day separator that follows it when the next row is on another day. Rows are entries
 * only, so the rows on screen keep their keys when older pages are added above them (the
 * view stays still).
 */
export type ThreadRow = ItemRow | NoteRow;

export interface ItemRow {
  key: string;
  item: ThreadItem;
  note?: undefined;
  /** The label of the next row's day ("Today"), when it starts a new day. */
  nextDay: string | null;
}

export interface NoteRow {
  key: string;
  note: Note;
  item?: undefined;
  nextDay: string | null;
}

export interface ThreadRows {
  /** The first row's day, shown above the first row. */
  firstDay: string | null;
  rows: ThreadRow[];
}

/** Texts and calls have separate id spaces. */
export function itemKey(item: ThreadItem): string {
  return `${item.kind}-${item.id}`;
}

/** The time a note sorts by; one whose time cannot be read goes last. */
function noteTime(note: Note): number {
  return parseTimestamp(note.at)?.getTime() ?? Number.POSITIVE_INFINITY;
}

/**
 * Items (oldest first) and notes (any order) as one list in time order: a note goes before
 * the first item that is later than it.
 */
function interleave(items: ThreadItem[], notes: Note[]): (ItemRow | NoteRow)[] {
  const sorted = [...notes].sort((a, b) => noteTime(a) - noteTime(b) || a.gid.localeCompare(b.gid));
  const out: (ItemRow | NoteRow)[] = [];
  let n = 0;
  for (const item of items) {
    const at = parseTimestamp(item.at)?.getTime();
    while (at !== undefined && n < sorted.length && noteTime(sorted[n]!) <= at) {
      const note = sorted[n++]!;
      out.push({ key: `note-${note.gid}`, note, nextDay: null });
    }
    out.push({ key: itemKey(item), item, nextDay: null });
  }
  for (const note of sorted.slice(n)) out.push({ key: `note-${note.gid}`, note, nextDay: null });
  return out;
}

/**
 * Items (oldest first) and notes as rows, with a day separator wherever the local day
 * changes. A row whose time cannot be read stays under the day before it ("Unknown date" if
 * it comes first). Repeated items (pages that overlap while new texts arrive) are kept once.
 */
export function buildThreadRows(items: ThreadItem[], now: Date = new Date(), notes: Note[] = []): ThreadRows {
  const rows: ThreadRow[] = [];
  const seen = new Set<string>();
  let firstDay: string | null = null;
  let currentDay: string | null = null;
  for (const row of interleave(items, notes)) {
    if (seen.has(row.key)) continue;
    seen.add(row.key);
    const date = parseTimestamp(row.note ? row.note.at : row.item.at);
    const day: string = date ? localDay(date) : (currentDay ?? 'unknown');
    if (day !== currentDay) {
      const label = date ? dayLabel(date, now) : 'Unknown date';
      const previous = rows[rows.length - 1];
      if (previous) previous.nextDay = label;
      else firstDay = label;
      currentDay = day;
    }
    rows.push(row);
  }
  return { firstDay, rows };
}
