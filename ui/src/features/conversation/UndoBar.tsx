import { useState } from 'react';
import { toAppError, type ThreadItem } from '../../platform';
import { useNow } from '../../shared/useNow';
import { focusComposer, joinDraft, useComposerFill } from './composerFill';
import { useUndoSend } from './outboundQueries';
import { parseTimestamp } from './time';

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
  const conversation = useComposerFill();
  const undo = useUndoSend(conversation?.patientId ?? 0);
  const [problem, setProblem] = useState<string | null>(null);
  const left = secondsLeft(item.hold_until, now);
  if (!conversation || (left === 0 && problem === null)) return null;

  async function onUndo() {
    if (!conversation) return;
    setProblem(null);
    try {
      const back = await undo.mutateAsync(item.id);
      conversation.fill({ text: joinDraft(back.text, conversation.current()), to: back.to, via: back.via });
      focusComposer();
    } catch (error) {
      const e = toAppError(error);
      setProblem(e.code === 'too_late_to_undo' ? 'Too late to undo: it is being sent.' : e.message);
    }
  }

  return (
    <p className="message__mark undo-bar" data-testid="undo-bar" role="status">
      {left > 0 ? (
        <>
          <span data-testid="undo-countdown">Sending in {left} s</span>
          <span aria-hidden="true"> · </span>
          <button type="button" className="button button--link undo-bar__undo" disabled={undo.isPending} onClick={() => void onUndo()}>
            Undo
          </button>
        </>
      ) : null}
      {problem ? <span className="error-message">{problem}</span> : null}
    </p>
  );
}
