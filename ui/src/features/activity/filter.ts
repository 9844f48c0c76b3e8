import type { ActivityFilter } from '../../platform';

/** How many days the log shows when it opens (today included). */
export const DEFAULT_DAYS = 30;

/** YYYY-MM-DD of a moment, in UTC (the backend's activity days are UTC days). */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The UTC day `days` after (or before, when negative) a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return utcDay(date);
}

/** The last DEFAULT_DAYS days, every type, every patient. */
export function defaultFilter(now: Date): ActivityFilter {
  const to = utcDay(now);
  return { from: addDays(to, -(DEFAULT_DAYS - 1)), to, activity_type: null, patient_id: null };
}

/** Why a filter cannot be asked for, in words; null when it can. */
export function filterProblem(filter: ActivityFilter): string | null {
  if (filter.from && filter.to && filter.from > filter.to) {
    return 'The "From" date is after the "To" date.';
  }
  return null;
}
