// Times in the sync status are RFC 3339 UTC; people read them as local clock times.

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Parses an RFC 3339 time; null when missing or unreadable. */
export function parseInstant(iso: string | null): Date | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** Local wall-clock time, 24-hour: "12:04:31". */
export function formatClock(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function span(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** How long ago a past moment was: "just now", "12 s ago", "3 min ago". */
export function formatAgo(date: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000));
  return seconds < 5 ? 'just now' : `${span(seconds)} ago`;
}

/** How far away a coming moment is: "in 8 s", "in 2 min", or "due now" once it has passed. */
export function formatIn(date: Date, now: Date): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  return seconds <= 0 ? 'due now' : `in ${span(seconds)}`;
}
