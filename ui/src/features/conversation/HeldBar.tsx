import type { ThreadItem } from '../../platform';
import { parseTimestamp } from './time';
import { useTakeBack } from './useTakeBack';

const WHEN = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** "Scheduled for Tue 8 Dec, 09:00" or "Held for quiet hours: goes Tue 8 Dec, 08:00". */
export function heldWords(item: ThreadItem): string | null {
  const until = item.hold_until ? parseTimestamp(item.hold_until) : null;
  if (!until) return null;
  const when = WHEN.format(until);
  if (item.hold_reason === 'scheduled') return `Scheduled for ${when}`;
  if (item.hold_reason === 'quiet_hours') return `Held for the patient's quiet hours: goes ${when}`;
  return null;
}

/**
 * Under a text waiting for its time (send later) or for the recipient's quiet hours to end:
 * when it goes, Edit (its text, To and Via back into the composer) and Cancel. Both take it
 * out of the outbox; once a worker has taken it the backend says too late.
 */
export function HeldBar({ item }: { item: ThreadItem }) {
  const { conversation, takeBack, pending, problem } = useTakeBack(item, 'Too late: it is being sent.');
  const words = heldWords(item);
  if (!words) return null;

  return (
    <p className="message__mark held-bar" data-testid="held-bar" data-reason={item.hold_reason ?? undefined}>
      <span data-testid="held-when">{words}</span>
      {conversation ? (
        <>
          <span aria-hidden="true"> · </span>
          <button
            type="button"
            className="button button--link"
            disabled={pending}
            onClick={() => void takeBack(true)}
          >
            Edit
          </button>
          <span aria-hidden="true"> · </span>
          <button
            type="button"
            className="button button--link"
            disabled={pending}
            onClick={() => void takeBack(false)}
          >
            Cancel
          </button>
        </>
      ) : null}
      {problem ? <span className="error-message">{problem}</span> : null}
    </p>
  );
}
