import type { DayCount } from '../../platform';
import { addDays } from './filter';

/** Up to this span the chart draws every day (quiet ones as zeros); longer spans draw weeks. */
export const MAX_FILLED_DAYS = 93;

/** Monday of the week of a YYYY-MM-DD day. */
export function weekStart(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

/**
 * The bars to draw, oldest first, spanning exactly the data: from the first to the last day with
 * activity (no padding out to the filter's range), quiet days as zeros. One busy day is one bar;
 * a span longer than MAX_FILLED_DAYS is drawn per week (each bar's `day` is its Monday).
 */
export function chartDays(perDay: DayCount[]): DayCount[] {
  const sorted = [...perDay].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return [];
  const byDay = new Map(sorted.map((d) => [d.day, d]));
  const days: DayCount[] = [];
  for (let day = first.day; day <= last.day; day = addDays(day, 1)) {
    days.push(byDay.get(day) ?? { day, sms: 0, calls: 0 });
    if (days.length > MAX_FILLED_DAYS) return chartWeeks(sorted);
  }
  return days;
}

/** Per-week sums from the first week with activity to the last, quiet weeks as zeros. */
function chartWeeks(sorted: DayCount[]): DayCount[] {
  const weeks = new Map<string, DayCount>();
  for (const d of sorted) {
    const week = weekStart(d.day);
    const w = weeks.get(week) ?? { day: week, sms: 0, calls: 0 };
    weeks.set(week, { day: week, sms: w.sms + d.sms, calls: w.calls + d.calls });
  }
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return [];
  const out: DayCount[] = [];
  for (let week = weekStart(first.day); week <= last.day; week = addDays(week, 7)) {
    out.push(weeks.get(week) ?? { day: week, sms: 0, calls: 0 });
  }
  return out;
}

/** Whether the bars are weeks (the span is longer than MAX_FILLED_DAYS). */
export function isWeekly(bars: DayCount[]): boolean {
  const first = bars[0];
  const second = bars[1];
  return first !== undefined && second !== undefined && addDays(first.day, 7) === second.day && bars.length * 7 > MAX_FILLED_DAYS;
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
