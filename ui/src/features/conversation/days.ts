// Calendar-day wording for day separators in a thread and times in the thread list.

const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'long' });
const shortWeekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateThisYear = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
const dateOtherYear = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  year: 'numeric',
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const numericDate = new Intl.DateTimeFormat(undefined, { year: '2-digit', month: 'numeric', day: 'numeric' });

/** The local calendar day, "2024-03-01"; two instants share a separator when this matches. */
export function localDay(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}

/** Whole local days from `date` to `now` (0 = same day, 1 = yesterday, negative = future). */
export function daysAgo(date: Date, now: Date): number {
  const start = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  // Round: a day across a daylight-saving change is 23 or 25 hours long.
  return Math.round((start(now) - start(date)) / 86_400_000);
}

/** "Today", "Yesterday", "Monday" within the week, else "Mon, Mar 4" (with the year when not this year). */
export function dayLabel(date: Date, now: Date = new Date()): string {
  const ago = daysAgo(date, now);
  if (ago === 0) return 'Today';
  if (ago === 1) return 'Yesterday';
  if (ago > 1 && ago < 7) return weekday.format(date);
  return date.getFullYear() === now.getFullYear() ? dateThisYear.format(date) : dateOtherYear.format(date);
}

/** Compact time for the thread list: "9:30 AM" today, "Yesterday", "Mon" this week, else "3/4/24". */
export function listTime(date: Date, now: Date = new Date()): string {
  const ago = daysAgo(date, now);
  if (ago === 0) return timeOnly.format(date);
  if (ago === 1) return 'Yesterday';
  if (ago > 1 && ago < 7) return shortWeekday.format(date);
  return numericDate.format(date);
}
