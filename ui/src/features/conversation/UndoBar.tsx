import type { ThreadItem } from '../../platform';
import { useNow } from '../../shared/useNow';
import { parseTimestamp } from './time';
import { useTakeBack } from './useTakeBack';

/** Whole seconds left of a text's undo delay at `now`; 0 once it has passed (or none). */
export function secondsLeft(holdUntil: string | null | undefined, now: Date): number {
  const until = holdUntil ? parseTimestamp(holdUntil) : null;
  if (!until) return 0;
  return Math.max(0, Math.ceil((until.getTime() - now.getTime()) / 1000));
}

/**
 * "Sending in 5 s · Undo" under a text within its undo delay. Undo takes it out of the
 * outbox and puts its text, To and Via back into the composer; once a worker has taken it
 * the backend says too late, and it goes out as usual.
 */
export function UndoBar({ item }: { item: ThreadItem }) {
  const now = useNow(250);
  const { conversation, takeBack, pending, problem } = useTakeBack(item, 'Too late to undo: it is being sent.');
  const left = secondsLeft(item.hold_until, now);
  if (!conversation || (left === 0 && problem === null)) return null;

  return (
    <p className="message__mark undo-bar" data-testid="undo-bar" role="status">
      {left > 0 ? (
        <>
          <span data-testid="undo-countdown">Sending in {left} s</span>
          <span aria-hidden="true"> · </span>
          <button type="button" className="button button--link undo-bar__undo" disabled={pending} onClick={() => void takeBack(true)}>
            Undo
          </button>
        </>
      ) : null}
      {problem ? <span className="error-message">{problem}</span> : null}
    </p>
  );
}
