import type { DayCount } from '../../platform';
import { addDays } from './filter';

/** Days without activity are filled in (as zero) only up to this span; longer spans show the given days. */
export const MAX_FILLED_DAYS = 93;

/** The filter's date range, when it has one. */
export interface DayRange {
  from: string | null;
  to: string | null;
}

/**
 * The days to draw, oldest first: the backend's counts with the quiet days as zeros, across the
 * filter's range when it has both ends (so a single busy day sits at its place in the month),
 * otherwise between the first and last day with activity.
 */
export function chartDays(perDay: DayCount[], range?: DayRange): DayCount[] {
  const sorted = [...perDay].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return [];
  const start = range?.from && range.from < first.day ? range.from : first.day;
  const end = range?.to && range.to > last.day ? range.to : last.day;
  const byDay = new Map(sorted.map((d) => [d.day, d]));
  const days: DayCount[] = [];
  for (let day = start; day <= end; day = addDays(day, 1)) {
    days.push(byDay.get(day) ?? { day, sms: 0, calls: 0 });
    if (days.length > MAX_FILLED_DAYS) return sorted;
  }
  return days;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "Mar 1" (locale order) for a YYYY-MM-DD day. */
export function dayLabel(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : dayFormat.format(date);
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One sentence for screen readers: the span, the totals and the busiest day. */
export function chartSummary(days: DayCount[]): string {
  const first = days[0];
  const last = days[days.length - 1];
  if (!first || !last) return 'No texts or calls in this period.';
  const sms = days.reduce((n, d) => n + d.sms, 0);
  const calls = days.reduce((n, d) => n + d.calls, 0);
  const busiest = days.reduce((a, b) => (b.sms + b.calls > a.sms + a.calls ? b : a));
  const span = first.day === last.day ? dayLabel(first.day) : `${dayLabel(first.day)} to ${dayLabel(last.day)}`;
  return (
    `Texts and calls per day, ${span}: ${count(sms, 'text', 'texts')} and ${count(calls, 'call', 'calls')} in all. ` +
    `Busiest day ${dayLabel(busiest.day)} with ${count(busiest.sms + busiest.calls, 'activity', 'activities')}.`
  );
}
