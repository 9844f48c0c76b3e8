import type { Patient } from '../../platform';
import { PhoneList } from './PhoneList';

export function ConversationHeader({ patient }: { patient: Patient }) {
  return (
    <header className="conversation__header">
      <div className="conversation__title">
        <h1 className="conversation__name">{patient.name}</h1>
        {patient.ecm_patient_id !== null ? (
          <span className="badge badge--neutral">ECM {patient.ecm_patient_id}</span>
        ) : null}
      </div>
      <PhoneList phones={patient.phones} />
    </header>
  );
}
