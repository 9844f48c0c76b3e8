import type { ThreadItem } from '../../platform';
import { formatPhone } from '../patients/phones';
import type { NumberLabeler } from './recipients';

const FLAGS: Record<string, string> = {
  help: 'Asked for help (HELP). Please reply or call.',
  revocation: 'May be asking to stop texts. Check with them before texting again.',
};

/** Why an inbound text needs a look, in words. */
export function flagWords(flag: string): string {
  return FLAGS[flag] ?? `Flagged: ${flag}.`;
}

/** Test-mode, override-number, unmatched-reply and needs-attention notes under a bubble. */
export function MessageMarks({ item, labelFor }: { item: ThreadItem; labelFor: NumberLabeler }) {
  return (
    <>
      {item.test ? (
        <p className="message__mark" data-testid="test-mark">
          <span className="badge badge--warning">Test</span> Sent in test mode: it went to the sandbox, not to a phone.
        </p>
      ) : null}
      {item.intended_to ? (
        <p className="message__mark" data-testid="override-mark">
          <span className="badge badge--warning">Override</span> Sent to the override number {formatPhone(item.to)}{' '}
          instead of {labelFor(item.intended_to)}.
        </p>
      ) : null}
      {item.unmatched_reply ? (
        <p className="message__mark" data-testid="unmatched-reply-mark">
          <span className="badge badge--neutral">Unmatched</span> Sent as a reply to a number that was no patient’s.
        </p>
      ) : null}
      {item.campaign_answer ? (
        <p className="message__mark" data-testid="answer-mark">
          <span className="badge badge--ok">Answer</span> Recorded as the campaign answer “{item.campaign_answer}”.
        </p>
      ) : null}
      {item.flagged ? (
        <p className="message__mark message__mark--flag" data-testid="flag-mark">
          <span className="badge badge--danger">Needs attention</span> {flagWords(item.flagged)}
        </p>
      ) : null}
    </>
  );
}
