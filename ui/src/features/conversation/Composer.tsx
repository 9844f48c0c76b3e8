import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { errorMessage, type Patient } from '../../platform';
import type { Draft, DraftStore } from './draftStore';
import { useSendSms } from './queries';
import { optedOutReason, type Recipient } from './recipients';
import { RecipientSelect } from './RecipientSelect';
import { RouteSelect } from './RouteSelect';
import { smsOutcomeProblem } from './states';

interface Props {
  patient: Patient;
  recipients: Recipient[];
  /** The number the text goes to (already resolved against the patient's phones). */
  recipient: Recipient | null;
  draft: Draft;
  drafts: DraftStore;
}

function characterCount(text: string): string {
  const n = Array.from(text).length;
  return `${n} ${n === 1 ? 'character' : 'characters'}`;
}

/** Writes and sends one text to the chosen number over the chosen route. */
export function Composer({ patient, recipients, recipient, draft, drafts }: Props) {
  const ids = useId();
  const send = useSendSms(patient.id);
  const [problem, setProblem] = useState<string | null>(null);
  const ecmAvailable = patient.ecm_patient_id !== null;
  const via = ecmAvailable ? draft.via : 'his';
  const blockedReason =
    recipient === null ? 'There is no phone number on file to text.' : recipient.optedOut ? optedOutReason(recipient) : null;
  const canSend = blockedReason === null && draft.text.trim() !== '' && !send.isPending;

  async function submit() {
    if (!canSend || recipient === null) return;
    const text = draft.text;
    setProblem(null);
    try {
      const outcome = await send.mutateAsync({ to: recipient.number, text: text.trim(), via });
      const refused = smsOutcomeProblem(outcome);
      if (refused) {
        setProblem(refused);
        return;
      }
      // Clear only what was sent: keep anything typed while the send was in flight.
      if (drafts.get(patient.id).text === text) drafts.update(patient.id, { text: '' });
    } catch (error) {
      setProblem(errorMessage(error));
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void submit();
    }
  }

  return (
    <form className="composer" data-testid="composer" aria-label="Write a text" onSubmit={onSubmit}>
      <div className="composer__options">
        <div className="composer__field composer__field--to">
          <label className="composer__label" htmlFor={`${ids}-to`}>
            To
          </label>
          <RecipientSelect
            id={`${ids}-to`}
            recipients={recipients}
            value={recipient?.number ?? null}
            onChange={(to) => drafts.update(patient.id, { to })}
          />
        </div>
        <div className="composer__field">
          <label className="composer__label" htmlFor={`${ids}-route`}>
            Via
          </label>
          <RouteSelect
            id={`${ids}-route`}
            value={via}
            ecmAvailable={ecmAvailable}
            onChange={(route) => drafts.update(patient.id, { via: route })}
          />
        </div>
      </div>
      {blockedReason ? (
        <p className="composer__blocked" id={`${ids}-blocked`}>
          {blockedReason}
        </p>
      ) : null}
      <div className="composer__row">
        <textarea
          className="input composer__text"
          aria-label="Message"
          aria-describedby={blockedReason ? `${ids}-blocked` : `${ids}-count`}
          placeholder="Write a text…"
          rows={3}
          value={draft.text}
          disabled={blockedReason !== null}
          onChange={(e) => drafts.update(patient.id, { text: e.target.value })}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="button button--primary composer__send" aria-label="Send" disabled={!canSend}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
      </div>
      <div className="composer__footer">
        <span id={`${ids}-count`}>{characterCount(draft.text)}</span>
        <span>Ctrl+Enter to send</span>
      </div>
      {problem ? (
        <p className="error-message composer__problem" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
