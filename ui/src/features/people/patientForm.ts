import type { Patient, PatientForm, PhoneKind } from '../../platform';

/** One row of the numbers list as the dialog edits it. */
export interface NumberDraft {
  /** Stable React key. */
  key: string;
  number: string;
  kind: PhoneKind;
  name: string;
  relationship: string;
  /** In use; false: no longer used (kept, not texted without confirming). */
  active: boolean;
  /** The "Consents to SMS" box. */
  consent: boolean;
  /** What the box said when the dialog opened: only a change is sent. */
  consentAtStart: boolean;
  /** The patient already has this number: it cannot be removed, only marked no longer used. */
  saved: boolean;
}

export interface PatientDraft {
  name: string;
  /** As typed; empty for none. */
  ecmId: string;
  numbers: NumberDraft[];
}

let nextKey = 0;
function newKey(): string {
  nextKey += 1;
  return `n${nextKey}`;
}

/** An empty number of this kind, consenting (a number that opted out before stays opted out). */
export function blankNumber(kind: PhoneKind): NumberDraft {
  return {
    key: newKey(),
    number: '',
    kind,
    name: '',
    relationship: '',
    active: true,
    consent: true,
    consentAtStart: true,
    saved: false,
  };
}

/** The dialog's starting point: the patient as they are, or a new patient with one number of their own. */
export function draftOf(patient: Patient | null): PatientDraft {
  if (!patient) return { name: '', ecmId: '', numbers: [blankNumber('patient')] };
  return {
    name: patient.name,
    ecmId: patient.ecm_patient_id === null ? '' : String(patient.ecm_patient_id),
    numbers: patient.phones.map((p) => ({
      key: newKey(),
      number: p.number,
      kind: p.kind,
      name: p.name ?? '',
      relationship: p.relationship ?? '',
      active: p.active,
      consent: !p.opted_out,
      consentAtStart: !p.opted_out,
      saved: true,
    })),
  };
}

/** Where a backend error belongs in the dialog, by its code. */
export type FormField = 'name' | 'ecm' | 'numbers';

export function fieldOf(code: string): FormField | null {
  switch (code) {
    case 'invalid_name':
      return 'name';
    case 'invalid_ecm_id':
    case 'duplicate_ecm_id':
      return 'ecm';
    case 'invalid_phone':
    case 'duplicate_number':
    case 'number_required':
    case 'invalid_contact':
      return 'numbers';
    default:
      return null;
  }
}

/** A check the dialog makes before asking the backend. */
export interface LocalProblem {
  field: FormField;
  message: string;
}

function text(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * The form for add_patient / edit_patient, or what is wrong before sending (the ECM id must be
 * a whole number). New rows left empty are dropped; every other check is the backend's.
 */
export function formOf(draft: PatientDraft): PatientForm | LocalProblem {
  const ecm = draft.ecmId.trim();
  if (ecm !== '' && !/^\d+$/.test(ecm)) {
    return { field: 'ecm', message: 'The ECM patient id is a whole number, like 1001.' };
  }
  return {
    name: draft.name,
    ecm_patient_id: ecm === '' ? null : Number(ecm),
    phones: draft.numbers
      .filter((n) => n.saved || n.number.trim() !== '')
      .map((n) => ({
        number: n.number.trim(),
        kind: n.kind,
        name: n.kind === 'contact' ? text(n.name) : null,
        relationship: n.kind === 'contact' ? text(n.relationship) : null,
        active: n.active,
        sms_consent: n.consent === n.consentAtStart ? null : n.consent,
      })),
  };
}

export function isProblem(value: PatientForm | LocalProblem): value is LocalProblem {
  return 'field' in value;
}
