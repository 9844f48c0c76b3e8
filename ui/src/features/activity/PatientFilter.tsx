import { useId, useState } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { usePatientChoices } from './queries';

interface Props {
  patientId: number | null;
  onChange: (patientId: number | null) => void;
}

/** Most patients the select lists at once; the search narrows it. */
const MAX_CHOICES = 50;

/** Narrow the log to one patient: search by name, phone or ECM id, then choose. */
export function PatientFilter({ patientId, onChange }: Props) {
  const searchId = useId();
  const selectId = useId();
  const [search, setSearch] = useState('');
  // The chosen patient's name, so it stays in the select when the search no longer matches it.
  const [chosenName, setChosenName] = useState<string | null>(null);
  const choices = usePatientChoices(search);
  const patients = (choices.data ?? []).slice(0, MAX_CHOICES);
  const chosenListed = patients.some((p) => p.id === patientId);

  return (
    <div className="activity-filters__patient">
      <div className="field">
        <label className="field__label" htmlFor={searchId}>
          Find patient
        </label>
        <input
          id={searchId}
          className="input"
          type="search"
          placeholder="Name, phone or ECM id"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <div className="field">
        <label className="field__label" htmlFor={selectId}>
          Patient
        </label>
        <select
          id={selectId}
          className="input"
          value={patientId === null ? '' : String(patientId)}
          onChange={(e) => {
            const id = e.target.value === '' ? null : Number(e.target.value);
            setChosenName(patients.find((p) => p.id === id)?.name ?? null);
            onChange(id);
          }}
        >
          <option value="">All patients</option>
          {patientId !== null && !chosenListed ? (
            <option value={String(patientId)}>{chosenName ?? `Patient ${patientId}`}</option>
          ) : null}
          {patients.map((p) => (
            <option key={p.id} value={String(p.id)}>
              {p.ecm_patient_id !== null ? `${p.name} · ECM ${p.ecm_patient_id}` : p.name}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={choices.error} context="Could not search patients" />
    </div>
  );
}
