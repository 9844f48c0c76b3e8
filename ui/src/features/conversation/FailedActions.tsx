import { useState } from 'react';
import { errorMessage, type ThreadItem } from '../../platform';
import { focusComposer, joinDraft, useComposerFill } from './composerFill';
import { useRetryMessage, useSendAgain } from './outboundQueries';
import { SendAgainDialog } from './SendAgainDialog';

function AlertIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M1 21h22L12 2zm12-3h-2v-2h2zm0-4h-2v-4h2z" />
    </svg>
  );
}

/** Whether a text has the failed or may-have-gone look. */
export function failureKind(item: ThreadItem): 'failed' | 'uncertain' | null {
  if (item.kind !== 'sms' || item.direction !== 'outbound') return null;
  if (item.state === 'failed') return 'failed';
  if (item.state === 'uncertain') return 'uncertain';
  return null;
}

/**
 * Under a failed or uncertain text: what happened in words (with an icon, not colour
 * alone) and what to do. A failed text no server accepted gets Retry (a new text, audited)
 * and Edit and resend (back into the composer); one that may have gone asks before it is
 * sent again, and says why.
 */
export function FailedActions({ item }: { item: ThreadItem }) {
  const kind = failureKind(item);
  const conversation = useComposerFill();
  const patientId = conversation?.patientId ?? 0;
  const retry = useRetryMessage(patientId);
  const sendAgain = useSendAgain(patientId);
  const [asking, setAsking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (!kind) return null;
  const to = item.intended_to ?? item.to;

  function editAndResend() {
    if (!conversation) return;
    conversation.fill({ text: joinDraft(item.text, conversation.current()), to, via: item.route });
    focusComposer();
  }

  async function run(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
    } catch (error) {
      setProblem(errorMessage(error));
    }
  }

  const busy = retry.isPending || sendAgain.isPending;
  return (
    <div className={`failed-actions failed-actions--${kind}`} data-testid="failed-actions">
      <p className="failed-actions__what">
        <AlertIcon />
        {kind === 'failed' ? 'Not sent' : 'May not have been sent'}
        {item.retried ? ' · sent again with Retry' : ''}
      </p>
      {conversation && !item.retried ? (
        <div className="failed-actions__buttons">
          {kind === 'failed' && item.retryable ? (
            <button type="button" className="button" disabled={busy} onClick={() => void run(() => retry.mutateAsync(item.id))}>
              Retry
            </button>
          ) : null}
          {kind === 'uncertain' ? (
            <button type="button" className="button" disabled={busy} onClick={() => setAsking(true)}>
              Send again…
            </button>
          ) : null}
          <button type="button" className="button" onClick={editAndResend}>
            Edit and resend
          </button>
        </div>
      ) : null}
      {problem ? (
        <p className="error-message" role="alert">
          {problem}
        </p>
      ) : null}
      {asking ? (
        <SendAgainDialog
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            void run(() => sendAgain.mutateAsync({ to, text: item.text, via: item.route }));
          }}
        />
      ) : null}
    </div>
  );
}
