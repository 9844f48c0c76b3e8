import { useState } from 'react';
import type { Patient, TeamView } from '../../platform';
import { usePatientConsents } from '../consent/queries';
import { TeamThreadBar } from '../team/TeamThreadBar';
import { useEditPatient } from '../people/patientDialogContext';
import { CallButton } from './CallButton';
import { CallConfirmDialog } from './CallConfirmDialog';
import type { ComposerChoice } from './composerChoice';
import { PhoneList } from './PhoneList';
import { RecipientLine } from './RecipientLine';
import { ownerWords } from './recipients';
import { useCallAction } from './useCallAction';

interface Props {
  patient: Patient;
  /** Where texts and calls go: the patient's defaults unless changed in this thread. */
  choice: ComposerChoice;
  /** Team mode: the thread's owner, Close, presence (null on a desk alone). */
  team?: TeamView | null;
}

export function ConversationHeader({ patient, choice, team = null }: Props) {
  const callTo = choice.callTo?.number ?? null;
  const { call, calling, problem } = useCallAction(patient.id);
  const editPatient = useEditPatient();
  const consents = usePatientConsents(patient.id).data;
  // The number a call is being confirmed for: nothing is placed before the coordinator says so.
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <header className="conversation__header">
      <div className="conversation__title">
        <h1 className="conversation__name" title={patient.name}>
          {patient.name}
        </h1>
        {patient.ecm_patient_id !== null ? (
          <span className="badge badge--neutral">ECM {patient.ecm_patient_id}</span>
        ) : null}
        <span className="conversation__spacer" />
        {editPatient ? (
          <button type="button" className="button" onClick={() => editPatient(patient)}>
            Edit patient
          </button>
        ) : null}
        <CallButton
          to={callTo}
          toWords={callTo ? ownerWords(patient, callTo) : null}
          ecmAvailable={patient.ecm_patient_id !== null}
          calling={calling}
          onCall={(to) => setConfirming(to)}
        />
        {confirming ? (
          <CallConfirmDialog
            patient={patient}
            to={confirming}
            onCancel={() => setConfirming(null)}
            onConfirm={() => {
              setConfirming(null);
              void call(confirming);
            }}
          />
        ) : null}
      </div>
      {team ? <TeamThreadBar patientId={patient.id} team={team} /> : null}
      <RecipientLine
        patient={patient}
        number={choice.recipient?.number ?? null}
        via={choice.via}
        className="conversation__recipient"
        testId="header-recipient"
      />
      <PhoneList phones={patient.phones} consent={consents ? { patientId: patient.id, numbers: consents } : undefined} />
      {problem ? (
        <p className="error-message conversation__problem" role="alert">
          {problem}
        </p>
      ) : null}
    </header>
  );
}
