import type { PatientThread } from '../../platform';
import { formatPhone, primaryPhone } from '../patients/phones';

interface Props {
  name: string;
  patient: PatientThread;
  checked: boolean;
  onChoose: (patient: PatientThread) => void;
}

/** One patient to link to, as a radio button (arrow keys move between them). */
export function PatientChoice({ name, patient, checked, onChoose }: Props) {
  const phone = primaryPhone(patient);
  return (
    <label className={checked ? 'patient-choice patient-choice--checked' : 'patient-choice'}>
      <input type="radio" name={name} checked={checked} onChange={() => onChoose(patient)} />
      <span className="patient-choice__name" dir="auto">
        {patient.name}
      </span>
      <span className="patient-choice__meta">
        {phone ? formatPhone(phone.number) : 'No phone'}
        {patient.ecm_patient_id !== null ? ` · ECM ${patient.ecm_patient_id}` : ''}
      </span>
    </label>
  );
}
