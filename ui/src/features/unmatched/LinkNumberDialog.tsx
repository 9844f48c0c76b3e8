import { useId, useState, type FormEvent } from 'react';
import type { PatientThread } from '../../platform';
import { Dialog } from '../../shared/Dialog';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useThreadListing } from '../patients/queries';
import { PatientChoice } from './PatientChoice';
import { useLinkNumber } from './queries';

/** At most this many matches are asked for and listed; typing narrows them. */
const SHOWN = 20;

interface Props {
  number: string;
  display: string;
  onClose: () => void;
  onLinked: (patient: PatientThread) => void;
}

/** Search a patient and link the unknown number to them: its messages move to their thread. */
export function LinkNumberDialog({ number, display, onClose, onLinked }: Props) {
  const ids = useId();
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState<PatientThread | null>(null);
  const [who, setWho] = useState({ name: '', relationship: '' });
  const listing = useThreadListing(search, SHOWN);
  const link = useLinkNumber();
  // The backend returns at most SHOWN.
  const matches = listing.data?.patients ?? [];

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!chosen || link.isPending) return;
    try {
      const known = who.name.trim() !== '' || who.relationship.trim() !== '';
      const contact = known ? { name: who.name.trim() || null, relationship: who.relationship.trim() || null } : null;
      await link.mutateAsync({ number, patientId: chosen.id, contact });
      onLinked(chosen);
    } catch {
      // Shown below from link.error.
    }
  }

  return (
    <Dialog title={`Link ${display} to a patient`} onClose={onClose} className="link-dialog">
      <form className="link-dialog__form" onSubmit={(e) => void onSubmit(e)}>
        <p className="muted">
          {display} becomes one of the patient’s numbers (a contact’s), so it can be texted and called from their thread.
          Its texts move there, and later replies from it go there too.
        </p>
        <input
          className="input"
          type="search"
          aria-label="Search patients to link"
          placeholder="Search name, phone or ECM id"
          autoComplete="off"
          spellCheck={false}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <ErrorMessage error={listing.error} context="Could not search patients" />
        <fieldset className="link-dialog__matches" aria-describedby={`${ids}-count`}>
          <legend className="visually-hidden">Patient</legend>
          {matches.map((patient) => (
            <PatientChoice
              key={patient.id}
              name={`${ids}-patient`}
              patient={patient}
              checked={chosen?.id === patient.id}
              onChoose={setChosen}
            />
          ))}
        </fieldset>
        <p id={`${ids}-count`} className="muted link-dialog__count">
          {listing.isPending
            ? 'Searching…'
            : matches.length === 0
              ? 'No patients match.'
              : listing.data?.has_more
                ? `Showing the first ${matches.length}; type to narrow the search.`
                : null}
        </p>
        <fieldset className="link-dialog__who">
          <legend className="field__label">Whose number is it? (optional)</legend>
          <input
            className="input"
            aria-label="Contact name"
            placeholder="Name"
            autoComplete="off"
            value={who.name}
            onChange={(e) => setWho((w) => ({ ...w, name: e.target.value }))}
          />
          <input
            className="input"
            aria-label="Relationship"
            placeholder="Relationship (unknown if left empty)"
            autoComplete="off"
            value={who.relationship}
            onChange={(e) => setWho((w) => ({ ...w, relationship: e.target.value }))}
          />
        </fieldset>
        <ErrorMessage error={link.error} context="Could not link the number" />
        <div className="link-dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={!chosen || link.isPending}>
            {link.isPending ? 'Linking…' : chosen ? `Link to ${chosen.name}` : 'Link'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
