import { useEffect, useRef, useState, type Ref } from 'react';
import type { Patient } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { GearIcon, ImportIcon } from '../../shared/icons';
import { PatientList } from './PatientList';
import { PatientSearch } from './PatientSearch';
import { usePatients } from './queries';
import './patients.css';

interface Props {
  searchRef: Ref<HTMLInputElement>;
  selectedId: number | null;
  onSelect: (patient: Patient) => void;
  /** Called with the reloaded record of the selected patient (e.g. after an import). */
  onSelectedReloaded: (patient: Patient) => void;
  onOpenImport: () => void;
  onOpenSettings: () => void;
}

export function PatientSidebar(props: Props) {
  const { searchRef, selectedId, onSelect, onSelectedReloaded, onOpenImport, onOpenSettings } = props;
  const [search, setSearch] = useState('');
  const listRef = useRef<HTMLUListElement>(null);
  const patients = usePatients(search);
  const rows = patients.data ?? [];
  const searching = search.trim() !== '';

  useEffect(() => {
    const fresh = patients.data?.find((p) => p.id === selectedId);
    if (fresh) onSelectedReloaded(fresh);
    // Only when a new list arrives, not when the selection changes.
  }, [patients.data]);

  function moveIntoList() {
    listRef.current?.focus();
    const first = rows[0];
    if (first && !rows.some((p) => p.id === selectedId)) onSelect(first);
  }

  return (
    <aside className="sidebar" aria-label="Patient search and list">
      <div className="sidebar__toolbar">
        <PatientSearch value={search} onChange={setSearch} onArrowDown={moveIntoList} inputRef={searchRef} />
        <div className="sidebar__actions">
          <button type="button" className="button" onClick={onOpenImport}>
            <ImportIcon />
            Import
          </button>
          <button type="button" className="button button--icon" aria-label="Settings" onClick={onOpenSettings}>
            <GearIcon />
          </button>
        </div>
      </div>

      <ErrorMessage error={patients.error} context="Could not load patients" />

      {patients.isError ? null : patients.isPending ? (
        <p className="sidebar__note muted">Loading patients…</p>
      ) : rows.length === 0 && !searching ? (
        <div className="sidebar__empty">
          <p>No patients yet — import a roster (CSV or FHIR JSON)</p>
          <button type="button" className="button button--primary" onClick={onOpenImport}>
            Import a roster
          </button>
        </div>
      ) : rows.length === 0 ? (
        <p className="sidebar__note muted">No patients match “{search.trim()}”.</p>
      ) : null}

      <PatientList patients={rows} selectedId={selectedId} onSelect={onSelect} listRef={listRef} />
    </aside>
  );
}
