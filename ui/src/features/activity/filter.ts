import type { ActivityFilter } from '../../platform';

/** How many days the log shows when it opens (today included). */
export const DEFAULT_DAYS = 30;

/** YYYY-MM-DD of a moment, in UTC. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** This computer's IANA time zone (the backend's default for clinic.time_zone). */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** YYYY-MM-DD of a moment on the clinic's calendar (`zone`, an IANA name), as the backend counts days. */
export function clinicDay(date: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The UTC day `days` after (or before, when negative) a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return utcDay(date);
}

/** The last DEFAULT_DAYS clinic days (today in `zone` included), every type, every patient. */
export function defaultFilter(now: Date, zone: string = localZone()): ActivityFilter {
  const to = clinicDay(now, zone);
  return { from: addDays(to, -(DEFAULT_DAYS - 1)), to, activity_type: null, patient_id: null };
}

/** Why a filter cannot be asked for, in words; null when it can. */
export function filterProblem(filter: ActivityFilter): string | null {
  if (filter.from && filter.to && filter.from > filter.to) {
    return 'The "From" date is after the "To" date.';
  }
  return null;
}
