import { useEffect, useId, type KeyboardEvent, type Ref } from 'react';
import type { Patient } from '../../platform';
import { PatientRow } from './PatientRow';

interface Props {
  patients: Patient[];
  selectedId: number | null;
  onSelect: (patient: Patient) => void;
  listRef: Ref<HTMLUListElement>;
}

/** A single-select listbox; Up/Down/Home/End move the selection. */
export function PatientList({ patients, selectedId, onSelect, listRef }: Props) {
  const baseId = useId();
  const optionId = (id: number) => `${baseId}-patient-${id}`;
  const selectedIndex = patients.findIndex((p) => p.id === selectedId);
  const activeId = selectedIndex >= 0 && selectedId !== null ? optionId(selectedId) : undefined;

  useEffect(() => {
    if (activeId) document.getElementById(activeId)?.scrollIntoView?.({ block: 'nearest' });
  }, [activeId]);

  function onKeyDown(event: KeyboardEvent<HTMLUListElement>) {
    const last = patients.length - 1;
    if (last < 0) return;
    let next: number;
    switch (event.key) {
      case 'ArrowDown':
        next = selectedIndex < 0 ? 0 : Math.min(selectedIndex + 1, last);
        break;
      case 'ArrowUp':
        next = selectedIndex < 0 ? last : Math.max(selectedIndex - 1, 0);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = last;
        break;
      default:
        return;
    }
    event.preventDefault();
    const patient = patients[next];
    if (patient) onSelect(patient);
  }

  return (
    <ul
      ref={listRef}
      className="patient-list"
      role="listbox"
      aria-label="Patients"
      data-testid="patient-list"
      tabIndex={0}
      aria-activedescendant={activeId}
      onKeyDown={onKeyDown}
    >
      {patients.map((patient) => (
        <PatientRow
          key={patient.id}
          patient={patient}
          optionId={optionId(patient.id)}
          selected={patient.id === selectedId}
          onSelect={onSelect}
        />
      ))}
    </ul>
  );
}
