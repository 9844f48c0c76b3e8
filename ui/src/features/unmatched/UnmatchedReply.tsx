import { useId, useState } from 'react';
import { toAppError } from '../../platform';
import { SmsSizeNote } from '../conversation/SmsSizeNote';
import { smsOutcomeProblem } from '../conversation/states';
import { useReplyUnmatched } from './queries';
import { useSubmitKeys } from '../../shared/useSubmitKeys';
import '../conversation/composer.css';

interface Props {
  number: string;
  display: string;
  /** The reply being written (kept by the conversation, so Undo can put a text back). */
  text: string;
  onText: (text: string) => void;
}

/**
 * A reply box under an unknown number's texts. The reply goes through the hospital SMS
 * server and the outbox (with the undo delay, like any text), and is recorded as a reply to a
 * number that is not any patient's. Ctrl+Enter sends.
 */
export function UnmatchedReply({ number, display, text, onText }: Props) {
  const ids = useId();
  const reply = useReplyUnmatched(number);
  const [problem, setProblem] = useState<string | null>(null);
  const canSend = text.trim() !== '' && !reply.isPending;

  async function submit() {
    if (!canSend) return;
    setProblem(null);
    try {
      const outcome = await reply.mutateAsync(text.trim());
      const refused = smsOutcomeProblem(outcome);
      if (refused) setProblem(refused);
      else onText('');
    } catch (error) {
      setProblem(toAppError(error).message);
    }
  }

  const { onSubmit, onKeyDown } = useSubmitKeys(submit);

  return (
    <form className="composer unmatched-reply" data-testid="unmatched-reply" aria-label={`Reply to ${display}`} onSubmit={onSubmit}>
      <p className="composer__hint" id={`${ids}-note`}>
        Replying to {display}, which is not one of any patient’s numbers: it goes through the hospital SMS server and
        the audit log records it as a reply to an unmatched number. To text it as a patient’s number, link it first.
      </p>
      <div className="composer__row">
        <textarea
          className="input composer__text"
          aria-label="Reply"
          aria-describedby={`${ids}-note ${ids}-count`}
          placeholder="Write a reply…"
          rows={2}
          value={text}
          onChange={(e) => onText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="button button--primary composer__send" disabled={!canSend}>
          {reply.isPending ? 'Sending…' : 'Send reply'}
        </button>
      </div>
      <div className="composer__footer">
        <SmsSizeNote id={`${ids}-count`} text={text} />
        <span className="composer__shortcut">Ctrl+Enter to send</span>
      </div>
      {problem ? (
        <p className="error-message composer__problem" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
