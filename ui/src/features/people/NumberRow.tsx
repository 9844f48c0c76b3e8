import type { PhoneKind } from '../../platform';
import { formatPhone } from '../patients/phones';
import type { NumberDraft } from './patientForm';

interface Props {
  /** 1-based, for the fields' accessible names ("Number 2"). */
  position: number;
  draft: NumberDraft;
  onChange: (patch: Partial<NumberDraft>) => void;
  /** Only a number the patient does not have yet can be removed from the list. */
  onRemove: () => void;
}

/**
 * One number in the patient dialog: the number (fixed once saved: a wrong one is marked no
 * longer used and a new one added), whose it is, a contact's name and relationship, SMS
 * consent, and whether it is still in use.
 */
export function NumberRow({ position, draft, onChange, onRemove }: Props) {
  const label = (what: string) => `${what} ${position}`;
  const contact = draft.kind === 'contact';
  const consentChanged = draft.consent !== draft.consentAtStart;
  const classes = ['number-row'];
  if (!draft.active) classes.push('number-row--inactive');
  return (
    <li className={classes.join(' ')} data-testid="number-row">
      <div className="number-row__main">
        {draft.saved ? (
          <span className="number-row__number" aria-label={label('Number')}>
            {formatPhone(draft.number)}
          </span>
        ) : (
          <input
            className="input number-row__input"
            aria-label={label('Number')}
            placeholder="(805) 555-0100"
            inputMode="tel"
            autoComplete="off"
            value={draft.number}
            onChange={(e) => onChange({ number: e.target.value })}
          />
        )}
        <select
          className="input number-row__kind"
          aria-label={label('Whose number')}
          value={draft.kind}
          onChange={(e) => onChange({ kind: e.target.value as PhoneKind })}
        >
          <option value="patient">Patient’s own</option>
          <option value="contact">A contact’s</option>
        </select>
        {draft.saved ? null : (
          <button type="button" className="button button--ghost" aria-label={label('Remove number')} onClick={onRemove}>
            Remove
          </button>
        )}
      </div>
      {contact ? (
        <div className="number-row__contact">
          <input
            className="input"
            aria-label={label('Contact name')}
            placeholder="Contact name"
            value={draft.name}
            onChange={(e) => onChange({ name: e.target.value })}
          />
          <input
            className="input"
            aria-label={label('Relationship')}
            placeholder="Relationship (son, caregiver)"
            value={draft.relationship}
            onChange={(e) => onChange({ relationship: e.target.value })}
          />
        </div>
      ) : null}
      <div className="number-row__flags">
        <label>
          <input type="checkbox" checked={draft.consent} onChange={(e) => onChange({ consent: e.target.checked })} />{' '}
          Consents to SMS
        </label>
        {draft.saved ? (
          <label>
            <input type="checkbox" checked={!draft.active} onChange={(e) => onChange({ active: !e.target.checked })} />{' '}
            No longer used
          </label>
        ) : null}
      </div>
      {consentChanged ? (
        <p className="number-row__note" role="note">
          {draft.consent
            ? 'Recorded as consent given again by the patient (audited). Tick only if they said so.'
            : 'Recorded as an opt-out: nothing more is texted to this number (audited).'}
        </p>
      ) : null}
    </li>
  );
}
