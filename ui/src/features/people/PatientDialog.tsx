import { useId, useState, type FormEvent } from 'react';
import { toAppError, type Patient } from '../../platform';
import { Dialog } from '../../shared/Dialog';
import { NumberRow } from './NumberRow';
import { blankNumber, draftOf, fieldOf, formOf, isProblem, type FormField, type NumberDraft } from './patientForm';
import { useSavePatient } from './queries';
import './people.css';

interface Props {
  /** The patient to edit; null adds a new one. */
  patient: Patient | null;
  onClose: () => void;
  onSaved: (patient: Patient) => void;
}

interface Problem {
  field: FormField | null;
  message: string;
}

function FieldError({ id, problem, field }: { id: string; problem: Problem | null; field: FormField | null }) {
  if (!problem || problem.field !== field) return null;
  return (
    <p id={id} className="error-message people-form__error" role="alert">
      {problem.message}
    </p>
  );
}

/**
 * Add or edit a patient: name, ECM id and their numbers (the patient's own and contacts', SMS
 * consent, no longer used). The backend checks everything; its error shows beside the field
 * its code names, and nothing is saved until it accepts the whole form.
 */
export function PatientDialog({ patient, onClose, onSaved }: Props) {
  const ids = useId();
  const [draft, setDraft] = useState(() => draftOf(patient));
  const [problem, setProblem] = useState<Problem | null>(null);
  const save = useSavePatient(patient?.id ?? null);
  const adding = patient === null;

  function setNumber(key: string, patch: Partial<NumberDraft>) {
    setDraft((d) => ({ ...d, numbers: d.numbers.map((n) => (n.key === key ? { ...n, ...patch } : n)) }));
  }

  function addNumber() {
    const hasOwn = draft.numbers.some((n) => n.kind === 'patient' && n.active);
    setDraft((d) => ({ ...d, numbers: [...d.numbers, blankNumber(hasOwn ? 'contact' : 'patient')] }));
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (save.isPending) return;
    const form = formOf(draft);
    if (isProblem(form)) {
      setProblem(form);
      return;
    }
    setProblem(null);
    try {
      onSaved(await save.mutateAsync(form));
    } catch (error) {
      const e = toAppError(error);
      setProblem({ field: fieldOf(e.code), message: e.message });
    }
  }

  const describe = (field: FormField) => (problem?.field === field ? `${ids}-${field}-error` : undefined);
  return (
    <Dialog title={adding ? 'Add patient' : `Edit ${patient.name}`} onClose={onClose} className="patient-dialog">
      <form className="people-form" noValidate onSubmit={(e) => void onSubmit(e)} data-testid="patient-dialog">
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-name`}>
            Name
          </label>
          <input
            id={`${ids}-name`}
            className="input"
            autoComplete="off"
            value={draft.name}
            aria-invalid={problem?.field === 'name'}
            aria-describedby={describe('name')}
            onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))}
          />
          <FieldError id={`${ids}-name-error`} problem={problem} field="name" />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-ecm`}>
            ECM patient id <span className="muted">(optional; calls and ECM texts need it)</span>
          </label>
          <input
            id={`${ids}-ecm`}
            className="input people-form__ecm"
            inputMode="numeric"
            autoComplete="off"
            value={draft.ecmId}
            aria-invalid={problem?.field === 'ecm'}
            aria-describedby={describe('ecm')}
            onChange={(e) => setDraft((d) => ({ ...d, ecmId: e.target.value }))}
          />
          <FieldError id={`${ids}-ecm-error`} problem={problem} field="ecm" />
        </div>
        <fieldset className="people-form__numbers" aria-describedby={describe('numbers')}>
          <legend className="field__label">Phone numbers</legend>
          <ul className="number-list" aria-label="Phone numbers">
            {draft.numbers.map((n, i) => (
              <NumberRow
                key={n.key}
                position={i + 1}
                draft={n}
                onChange={(patch) => setNumber(n.key, patch)}
                onRemove={() => setDraft((d) => ({ ...d, numbers: d.numbers.filter((x) => x.key !== n.key) }))}
              />
            ))}
          </ul>
          <button type="button" className="button" onClick={addNumber}>
            Add a number
          </button>
          <FieldError id={`${ids}-numbers-error`} problem={problem} field="numbers" />
        </fieldset>
        <FieldError id={`${ids}-other-error`} problem={problem} field={null} />
        <div className="people-form__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : adding ? 'Add patient' : 'Save changes'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
