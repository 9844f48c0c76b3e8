import { useEffect, useId, type KeyboardEvent, type Ref } from 'react';
import type { PatientThread } from '../../platform';
import { PatientRow } from './PatientRow';

interface Props {
  patients: PatientThread[];
  /** The open thread. */
  selectedId: number | null;
  /** The keyboard cursor (aria-activedescendant). */
  activeId: number | null;
  onOpen: (patient: PatientThread) => void;
  onKeyDown: (event: KeyboardEvent<HTMLUListElement>) => void;
  onFocus: () => void;
  listRef: Ref<HTMLUListElement>;
}

/** The threads as a single-select listbox: the cursor moves with the arrows, Enter or a click opens. */
export function PatientList({ patients, selectedId, activeId, onOpen, onKeyDown, onFocus, listRef }: Props) {
  const baseId = useId();
  const optionId = (id: number) => `${baseId}-patient-${id}`;
  const activeOption = activeId !== null ? optionId(activeId) : undefined;

  useEffect(() => {
    if (activeOption) document.getElementById(activeOption)?.scrollIntoView?.({ block: 'nearest' });
  }, [activeOption]);

  return (
    <ul
      ref={listRef}
      className="patient-list"
      role="listbox"
      aria-label="Patients"
      data-testid="patient-list"
      tabIndex={0}
      aria-activedescendant={activeOption}
      onKeyDown={onKeyDown}
      onFocus={onFocus}
    >
      {patients.map((patient) => (
        <PatientRow
          key={patient.id}
          patient={patient}
          optionId={optionId(patient.id)}
          selected={patient.id === selectedId}
          active={patient.id === activeId}
          onOpen={onOpen}
        />
      ))}
    </ul>
  );
}
