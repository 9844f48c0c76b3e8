import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import type { PatientThread, ThreadFilter } from '../../platform';
import { useTeam } from '../team/queries';
import { emptyViewWords, OPEN_THREADS, TeamFilterBar } from '../team/TeamFilterBar';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { PatientList } from './PatientList';
import { PatientSearch } from './PatientSearch';
import { usePatientPages } from './queries';
import { SidebarActions } from './SidebarActions';
import { UnmatchedEntry } from './UnmatchedEntry';
import { useColumnHold, useHeldOrder } from './useHeldOrder';
import { useListboxCursor } from './useListboxCursor';
import './patients.css';

interface Props {
  searchRef: Ref<HTMLInputElement>;
  /** The patient whose thread is open. */
  selectedId: number | null;
  unmatchedOpen: boolean;
  onOpenPatient: (patient: PatientThread) => void;
  onOpenUnmatched: () => void;
  /** Called with the reloaded record of the open patient (e.g. after an import or an opt-out). */
  onSelectedReloaded: (patient: PatientThread) => void;
  onOpenImport: () => void;
  onAddPatient: () => void;
  onOpenActivity: () => void;
  onOpenOutreach: () => void;
  onOpenSettings: () => void;
}

const NO_ROWS: PatientThread[] = [];

/**
 * The patient column: search, the Unmatched entry and the threads by latest activity, a page
 * at a time. While the pointer is over the column (or the keyboard is in the list) the rows
 * keep their order: new activity waits behind an "N new" button, so the row under the
 * pointer is still the one aimed at when the click lands.
 */
export function PatientSidebar(props: Props) {
  const { searchRef, selectedId, unmatchedOpen, onOpenPatient, onOpenUnmatched, onSelectedReloaded } = props;
  const [search, setSearch] = useState('');
  const listRef = useRef<HTMLDivElement>(null);
  // Team mode: the column shows open threads unless asked otherwise; a desk alone has no filter.
  const team = useTeam();
  const [teamFilter, setTeamFilter] = useState<ThreadFilter>(OPEN_THREADS);
  const listing = usePatientPages(search, team ? teamFilter : null);
  const hold = useColumnHold();
  const held = useHeldOrder(listing.data?.patients ?? NO_ROWS, listing.dataKey, hold.holding);
  const rows = held.rows;
  const searching = search.trim() !== '';
  const cursor = useListboxCursor(rows, (p) => p.id, onOpenPatient);
  const { setActiveKey } = cursor;
  const openWithClick = useCallback(
    (patient: PatientThread) => {
      setActiveKey(patient.id);
      onOpenPatient(patient);
    },
    [setActiveKey, onOpenPatient],
  );

  useEffect(() => {
    const fresh = listing.data?.patients.find((p) => p.id === selectedId);
    if (fresh) onSelectedReloaded(fresh);
    // Only when a new list arrives, not when the selection changes.
  }, [listing.data]);

  function moveIntoList() {
    cursor.enter(selectedId);
    listRef.current?.focus();
  }

  function onListKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    hold.onListKey();
    cursor.onKeyDown(event);
  }

  function showNew() {
    held.showNew();
    listRef.current?.scrollTo?.({ top: 0 });
  }

  function openFirstMatch() {
    const first = rows[0];
    if (first) onOpenPatient(first);
  }

  return (
    <aside className="sidebar" aria-label="Patient search and list" {...hold.columnProps}>
      <div className="sidebar__toolbar">
        <PatientSearch
          value={search}
          onChange={setSearch}
          onArrowDown={moveIntoList}
          onEnter={openFirstMatch}
          inputRef={searchRef}
        />
        <SidebarActions
          onOpenImport={props.onOpenImport}
          onAddPatient={props.onAddPatient}
          onOpenActivity={props.onOpenActivity}
          onOpenOutreach={props.onOpenOutreach}
          onOpenSettings={props.onOpenSettings}
        />
        {team ? <TeamFilterBar filter={teamFilter} onChange={setTeamFilter} /> : null}
      </div>

      <UnmatchedEntry summary={listing.data?.unmatched} open={unmatchedOpen} onOpen={onOpenUnmatched} />

      <ErrorMessage error={listing.error} context="Could not load patients" />

      {listing.isError ? null : listing.isPending ? (
        <p className="sidebar__note muted">Loading patients…</p>
      ) : rows.length === 0 && !searching && team ? (
        <p className="sidebar__note muted" data-testid="team-filter-empty">
          {emptyViewWords(teamFilter)}
        </p>
      ) : rows.length === 0 && !searching ? (
        <div className="sidebar__empty">
          <p>No patients yet — import a roster (CSV or FHIR JSON)</p>
          <button type="button" className="button button--primary" onClick={props.onOpenImport}>
            Import a roster
          </button>
        </div>
      ) : rows.length === 0 ? (
        <p className="sidebar__note muted">No patients match “{search.trim()}”.</p>
      ) : null}

      <div className="patient-list-area">
        {held.waiting > 0 ? (
          <button
            type="button"
            className="button patient-list__new"
            data-testid="patients-new"
            title="The list holds still while the pointer is on it. Show the latest activity first."
            onClick={showNew}
          >
            {held.waiting} new ↑
          </button>
        ) : null}
        <PatientList
          patients={rows}
          selectedId={selectedId}
          activeId={typeof cursor.activeKey === 'number' ? cursor.activeKey : null}
          query={listing.key}
          more={listing.more}
          onOpen={openWithClick}
          onKeyDown={onListKeyDown}
          onFocus={() => {
            hold.onListFocus();
            cursor.enter(selectedId);
          }}
          pointerHandlers={hold.listProps}
          listRef={listRef}
          me={team?.me?.role ?? null}
        />
      </div>
    </aside>
  );
}
