import type { Patient } from '../../platform';
import { formatPhone, hasOptedOut, primaryPhone } from './phones';

interface Props {
  patient: Patient;
  selected: boolean;
  optionId: string;
  onSelect: (patient: Patient) => void;
}

export function PatientRow({ patient, selected, optionId, onSelect }: Props) {
  const phone = primaryPhone(patient);
  return (
    <li
      id={optionId}
      role="option"
      aria-selected={selected}
      data-testid="patient-row"
      className={selected ? 'patient-row patient-row--selected' : 'patient-row'}
      onClick={() => onSelect(patient)}
    >
      <div className="patient-row__top">
        <span className="patient-row__name" title={patient.name}>
          {patient.name}
        </span>
        {hasOptedOut(patient) ? <span className="badge badge--warning">Opted out</span> : null}
      </div>
      <div className="patient-row__meta">
        <span>{phone ? formatPhone(phone.number) : 'No phone'}</span>
        {patient.ecm_patient_id !== null ? <span>ECM {patient.ecm_patient_id}</span> : null}
      </div>
    </li>
  );
}
