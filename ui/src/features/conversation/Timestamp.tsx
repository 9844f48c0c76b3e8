import { formatLongTime, formatShortTime, parseTimestamp } from './time';

/** A thread time in short local form; the raw value when it cannot be read. */
export function Timestamp({ at }: { at: string }) {
  const date = parseTimestamp(at);
  if (!date) return <span className="timestamp">{at}</span>;
  return (
    <time className="timestamp" dateTime={date.toISOString()} title={formatLongTime(date)}>
      {formatShortTime(date)}
    </time>
  );
}
