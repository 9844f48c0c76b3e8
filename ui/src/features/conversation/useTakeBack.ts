import { useState } from 'react';
import { toAppError, type ThreadItem } from '../../platform';
import { focusComposer, joinDraft, useComposerFill } from './composerFill';
import { useUndoSend } from './outboundQueries';

/**
 * Takes a waiting text back out of the outbox (Undo, Edit, Cancel): with `refill`, its
 * text, To and Via go back into the composer. Once a worker has taken it the backend says
 * too late, and `problem` says so in `tooLate`'s words.
 */
export function useTakeBack(item: ThreadItem, tooLate: string) {
  const conversation = useComposerFill();
  const withdraw = useUndoSend(conversation?.patientId ?? 0);
  const [problem, setProblem] = useState<string | null>(null);

  async function takeBack(refill: boolean) {
    setProblem(null);
    try {
      const back = await withdraw.mutateAsync(item.id);
      if (refill && conversation) {
        conversation.fill({ text: joinDraft(back.text, conversation.current()), to: back.to, via: back.via });
        focusComposer();
      }
    } catch (error) {
      const e = toAppError(error);
      setProblem(e.code === 'too_late_to_undo' ? tooLate : e.message);
    }
  }

  return { conversation, takeBack, pending: withdraw.isPending, problem };
}
