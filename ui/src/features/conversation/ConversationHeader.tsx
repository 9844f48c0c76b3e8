import { useState } from 'react';
import type { Patient } from '../../platform';
import { useEditPatient } from '../people/patientDialogContext';
import { CallButton } from './CallButton';
import { CallConfirmDialog } from './CallConfirmDialog';
import { PhoneList } from './PhoneList';
import { useCallAction } from './useCallAction';

interface Props {
  patient: Patient;
  /** The number a call goes to: the composer's recipient, else the patient's own. */
  callTo: string | null;
}

export function ConversationHeader({ patient, callTo }: Props) {
  const { call, calling, problem } = useCallAction(patient.id);
  const editPatient = useEditPatient();
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
      <PhoneList phones={patient.phones} />
      {problem ? (
        <p className="error-message conversation__problem" role="alert">
          {problem}
        </p>
      ) : null}
    </header>
  );
}
