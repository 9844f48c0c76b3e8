// Thread timestamps come as RFC 3339 UTC on the desk's clock ("2024-03-01T09:30:00Z"):
// the backend reads server times in the server's zone. Other offsets ("…+01:00") and
// the server's offset-less local form with up to 7 fractional digits
// ("2019-11-12T11:01:51.2143795", read as local time) are still understood. Date.parse
// handles the latter differently per webview, so parse both forms here.

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The instant a thread timestamp names; no offset = local time. Null when unreadable. */
export function parseTimestamp(at: string): Date | null {
  const m = TIMESTAMP.exec(at.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const zone = m[8];
  let date: Date;
  if (!zone) {
    date = new Date(year, month - 1, day, hour, minute, second, ms);
  } else {
    let offsetMinutes = 0;
    if (zone.toUpperCase() !== 'Z') {
      const digits = zone.slice(1).replace(':', '');
      offsetMinutes = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * (zone[0] === '-' ? -1 : 1);
    }
    date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
  }
  // new Date() rolls 31 Feb over into March; refuse that instead of showing a wrong day.
  if (Number.isNaN(date.getTime()) || (!zone && date.getDate() !== day)) return null;
  return date;
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const fullDate = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const longDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Short local time: "11:01 AM" today, "Nov 12, 11:01 AM" this year, else with the year. */
export function formatShortTime(date: Date, now: Date = new Date()): string {
  if (sameDay(date, now)) return timeOnly.format(date);
  if (date.getFullYear() === now.getFullYear()) return dayAndTime.format(date);
  return fullDate.format(date);
}

/** Long local date and time, for tooltips. */
export function formatLongTime(date: Date): string {
  return longDate.format(date);
}
