import { useEffect, useId, useState } from 'react';
import { toAppError, type Patient } from '../../platform';
import type { ComposerChoice } from './composerChoice';
import { ComposerOptions } from './ComposerOptions';
import { ComposerTiming, SEND_NOW, timingExtras, timingProblem, type Timing } from './ComposerTiming';
import type { Draft, DraftStore } from './draftStore';
import { useSendSms } from './queries';
import { formatPhone } from '../patients/phones';
import { RecipientLine } from './RecipientLine';
import { optedOutReason } from './recipients';
import { SmsSizeNote } from './SmsSizeNote';
import { TemplatePicker } from './TemplatePicker';
import { ROUTE_NAMES, smsOutcomeProblem } from './states';
import { useUnconfiguredRoute, type UnconfiguredRoutes } from './unconfiguredRoutes';
import { CollisionDialog } from '../team/CollisionDialog';
import { useTeamContext } from '../team/teamContext';
import { useCollisionCheck } from '../team/useCollisionCheck';
import './composer.css';
import { useSubmitKeys } from '../../shared/useSubmitKeys';

interface Props {
  patient: Patient;
  /** The number and route the text goes to (resolved against the patient's phones and defaults). */
  choice: ComposerChoice;
  draft: Draft;
  drafts: DraftStore;
  unconfigured: UnconfiguredRoutes;
}

/** Writes and sends one text to the chosen number over the chosen route; Ctrl+Enter sends. */
export function Composer({ patient, choice, draft, drafts, unconfigured }: Props) {
  const ids = useId();
  const send = useSendSms(patient.id);
  const [problem, setProblem] = useState<string | null>(null);
  const [timing, setTiming] = useState<Timing>(SEND_NOW);
  const timingBlocks = timingProblem(timing);
  // Another patient's thread starts with Send now: a time chosen for one patient never carries over.
  useEffect(() => setTiming(SEND_NOW), [patient.id]);
  const ecmAvailable = patient.ecm_patient_id !== null;
  const { recipient, via } = choice;
  const routeProblem = useUnconfiguredRoute(unconfigured, via);
  // Nothing can be written to this number at all.
  const closedReason =
    recipient === null ? 'There is no phone number on file to text.' : recipient.optedOut ? optedOutReason(recipient) : null;
  const blockedReason = closedReason ?? (routeProblem ? `${ROUTE_NAMES[via]} is not set up: ${routeProblem}` : null);
  // A number the patient no longer uses, or one the backend says is not theirs (the roster
  // changed): sent only once the coordinator confirms it (the backend audits it).
  const [notOnFile, setNotOnFile] = useState<string | null>(null);
  const [confirmedOther, setConfirmedOther] = useState<string | null>(null);
  const needsConfirm = recipient !== null && (!recipient.active || notOnFile === recipient.number);
  const confirmed = needsConfirm && confirmedOther === recipient?.number;
  const canSend =
    blockedReason === null &&
    draft.text.trim() !== '' &&
    !send.isPending &&
    (!needsConfirm || confirmed) &&
    timingBlocks === null;
  // Team mode: a colleague who texted this patient since this text was started is shown first.
  const collision = useCollisionCheck(useTeamContext() !== null);

  async function submit(asked = false) {
    if (!canSend || recipient === null) return;
    const text = draft.text;
    setProblem(null);
    if (!asked && !(await collision.check(patient.id, draft.startedAt ?? null))) return;
    try {
      const outcome = await send.mutateAsync({
        to: recipient.number,
        text: text.trim(),
        via,
        ...(confirmed ? { otherNumber: true } : {}),
        ...timingExtras(timing),
      });
      const refused = smsOutcomeProblem(outcome);
      if (refused) {
        setProblem(refused);
        return;
      }
      // Clear only what was sent: keep anything typed while the send was in flight.
      setTiming(SEND_NOW);
      if (drafts.get(patient.id).text === text) drafts.update(patient.id, { text: '' });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'not_configured') unconfigured.set(via, appError.message);
      else {
        if (appError.code === 'number_not_on_file') setNotOnFile(recipient.number);
        setProblem(appError.message);
      }
    }
  }

  const { onSubmit, onKeyDown } = useSubmitKeys(submit);

  return (
    <form className="composer" data-testid="composer" aria-label="Write a text" onSubmit={onSubmit}>
      <ComposerOptions
        idPrefix={ids}
        patient={patient}
        choice={choice}
        ecmAvailable={ecmAvailable}
        // Choosing the default again is no change: the thread follows the defaults again.
        onTo={(to) => drafts.update(patient.id, { to: to === choice.defaultRecipient?.number ? null : to })}
        onVia={(route) => drafts.update(patient.id, { via: route === choice.defaultVia ? null : route })}
      />
      <RecipientLine patient={patient} number={recipient?.number ?? null} via={via} className="composer__recipient" />
      {blockedReason ? (
        <div className="composer__blocked">
          <p id={`${ids}-blocked`}>{blockedReason}</p>
          {closedReason === null ? (
            <button type="button" className="button" onClick={() => unconfigured.clear()}>
              Try again
            </button>
          ) : null}
        </div>
      ) : null}
      {needsConfirm && recipient ? (
        <label className="composer__confirm">
          <input
            type="checkbox"
            checked={confirmed}
            onChange={(e) => setConfirmedOther(e.target.checked ? recipient.number : null)}
          />
          {recipient.active
            ? `${formatPhone(recipient.number)} is not one of ${patient.name}'s numbers on file.`
            : `${formatPhone(recipient.number)} is no longer used by ${patient.name}.`}{' '}
          Send to this number anyway (recorded in the audit log)
        </label>
      ) : null}
      {closedReason === null ? (
        <TemplatePicker patientId={patient.id} onInsert={(text) => drafts.update(patient.id, { text })} />
      ) : null}
      <div className="composer__row">
        <textarea
          className="input composer__text"
          aria-label="Message"
          aria-describedby={blockedReason ? `${ids}-blocked` : `${ids}-count`}
          placeholder="Write a text…"
          rows={3}
          value={draft.text}
          disabled={closedReason !== null}
          onChange={(e) => drafts.update(patient.id, { text: e.target.value })}
          onKeyDown={onKeyDown}
        />
        <button
          type="submit"
          className="button button--primary composer__send"
          aria-label={timing.later ? 'Schedule' : 'Send'}
          disabled={!canSend}
          title={timingBlocks ?? undefined}
        >
          {send.isPending ? 'Sending…' : timing.later ? 'Schedule' : 'Send'}
        </button>
      </div>
      {closedReason === null ? (
        <ComposerTiming timing={timing} onChange={setTiming} disabled={send.isPending} />
      ) : null}
      <div className="composer__footer">
        <SmsSizeNote id={`${ids}-count`} text={draft.text} />
        <span className="composer__shortcut">Ctrl+Enter to send</span>
      </div>
      {problem ? (
        <p className="error-message composer__problem" role="alert">
          {problem}
        </p>
      ) : null}
      {collision.pending ? (
        <CollisionDialog
          sends={collision.pending}
          now={new Date()}
          onCancel={collision.dismiss}
          onSend={() => {
            collision.dismiss();
            void submit(true);
          }}
        />
      ) : null}
    </form>
  );
}
