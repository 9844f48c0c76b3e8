import type { Patient, PhoneKind, Route } from '../../platform';
import { formatPhone, phoneOwnerLabel } from '../patients/phones';

/** A number the desk can text or call for a patient. */
export interface Recipient {
  /** E.164 */
  number: string;
  kind: PhoneKind;
  /** "Alice Moreno (patient)", "Luis Lopez (son)" */
  who: string;
  optedOut: boolean;
  /** False: no longer used (a re-import dropped it); never preselected, sent to only when confirmed. */
  active: boolean;
}

/**
 * The patient's distinct numbers: current ones first (own numbers, then contacts), then those
 * no longer used (a shared number counts as opted out if any entry is).
 */
export function recipientsOf(patient: Patient): Recipient[] {
  const current = patient.phones.filter((p) => p.active);
  const old = patient.phones.filter((p) => !p.active);
  const ordered = [
    ...current.filter((p) => p.kind === 'patient'),
    ...current.filter((p) => p.kind !== 'patient'),
    ...old,
  ];
  const byNumber = new Map<string, Recipient>();
  for (const phone of ordered) {
    const known = byNumber.get(phone.number);
    if (known) {
      known.optedOut ||= phone.opted_out;
      known.active ||= phone.active;
      continue;
    }
    const who = phone.kind === 'patient' ? `${patient.name} (patient)` : phoneOwnerLabel(phone);
    byNumber.set(phone.number, {
      number: phone.number,
      kind: phone.kind,
      who,
      optedOut: phone.opted_out,
      active: phone.active,
    });
  }
  return [...byNumber.values()];
}

/**
 * The chosen recipient if it is still one of the patient's numbers, else the first current one
 * (the patient's own). A number no longer used is never chosen by default.
 */
export function chooseRecipient(recipients: Recipient[], chosen: string | null): Recipient | null {
  return recipients.find((r) => r.number === chosen) ?? recipients.find((r) => r.active) ?? null;
}

/** The select option text: "Luis Lopez (son) · +1 (805) 555-0100 — opted out", "… (no longer used)". */
export function recipientOptionLabel(recipient: Recipient): string {
  const label = `${recipient.who} · ${formatPhone(recipient.number)}${recipient.active ? '' : ' (no longer used)'}`;
  return recipient.optedOut ? `${label} — opted out` : label;
}

export function optedOutReason(recipient: Recipient): string {
  return `${formatPhone(recipient.number)} opted out of SMS (replied STOP). They can text START to opt back in.`;
}

/** Names a number in a thread: "Patient · +1 (805) 555-0100", "Maria (mother) · …", or just the number. */
export type NumberLabeler = (number: string | null) => string;

/** The labeler for a patient's thread: each of their numbers by owner, any other number as itself. */
export function patientNumberLabeler(patient: Patient): NumberLabeler {
  const owners = new Map<string, string>();
  for (const phone of [...patient.phones].sort((a, b) => Number(a.kind !== 'patient') - Number(b.kind !== 'patient'))) {
    if (!owners.has(phone.number)) owners.set(phone.number, phoneOwnerLabel(phone));
  }
  return (number) => {
    if (number === null || number === '') return 'Unknown number';
    const owner = owners.get(number);
    return owner ? `${owner} · ${formatPhone(number)}` : formatPhone(number);
  };
}

/** The labeler for numbers that belong to no patient. */
export function plainNumberLabeler(number: string | null): string {
  return number === null || number === '' ? 'Unknown number' : formatPhone(number);
}

/**
 * Whose number it is, in words: "Ben Carter's mobile", "Ben Carter's contact Luis Lopez (son)";
 * null when it is not one of the patient's numbers.
 */
export function ownerWords(patient: Patient, number: string): string | null {
  const phone =
    patient.phones.find((p) => p.number === number && p.kind === 'patient') ??
    patient.phones.find((p) => p.number === number);
  if (!phone) return null;
  if (phone.kind === 'patient') return `${patient.name}'s mobile`;
  const who = [phone.name, phone.relationship ? `(${phone.relationship})` : null].filter(Boolean).join(' ');
  return `${patient.name}'s contact ${who || 'number'}`;
}

/** The servers in a sentence: "by the hospital SMS server", "by ECM". */
export const ROUTE_WORDS: Record<Route, string> = {
  his: 'the hospital SMS server',
  ecm: 'ECM',
};

/** Where a text goes, in words. */
export interface RecipientWords {
  /** "Ben Carter's mobile", or the number when it is not one of theirs. */
  who: string;
  /** ", +1 (805) 555-0102" after a name; a note for a number not on file. */
  rest: string;
}

/**
 * "To Ben Carter's mobile, +1 (805) 555-0102, by the hospital SMS server" as its parts
 * (the name is shown in bold); a number no longer used or not on file says so.
 */
export function recipientWords(patient: Patient, number: string, via: Route): RecipientWords {
  const owner = ownerWords(patient, number);
  const shown = formatPhone(number);
  const by = `by ${ROUTE_WORDS[via]}`;
  if (owner === null) return { who: shown, rest: `, not one of ${patient.name}'s numbers, ${by}` };
  const old = patient.phones.some((p) => p.number === number && p.active) ? '' : ' (no longer used)';
  return { who: owner, rest: `${old}, ${shown}, ${by}` };
}

/** The recipient line as one sentence. */
export function recipientLine(patient: Patient, number: string, via: Route): string {
  const { who, rest } = recipientWords(patient, number, via);
  return `To ${who}${rest}`;
}
