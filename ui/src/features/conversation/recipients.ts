import type { Patient, PhoneKind } from '../../platform';
import { formatPhone, phoneOwnerLabel } from '../patients/phones';

/** A number the desk can text or call for a patient. */
export interface Recipient {
  /** E.164 */
  number: string;
  kind: PhoneKind;
  /** "Alice Moreno (patient)", "Luis Lopez (son)" */
  who: string;
  optedOut: boolean;
}

/** The patient's distinct numbers, own numbers first (a shared number counts as opted out if any entry is). */
export function recipientsOf(patient: Patient): Recipient[] {
  const ordered = [
    ...patient.phones.filter((p) => p.kind === 'patient'),
    ...patient.phones.filter((p) => p.kind !== 'patient'),
  ];
  const byNumber = new Map<string, Recipient>();
  for (const phone of ordered) {
    const known = byNumber.get(phone.number);
    if (known) {
      known.optedOut ||= phone.opted_out;
      continue;
    }
    const who = phone.kind === 'patient' ? `${patient.name} (patient)` : phoneOwnerLabel(phone);
    byNumber.set(phone.number, { number: phone.number, kind: phone.kind, who, optedOut: phone.opted_out });
  }
  return [...byNumber.values()];
}

/** The chosen recipient if it is still one of the patient's numbers, else the first (the patient's own). */
export function chooseRecipient(recipients: Recipient[], chosen: string | null): Recipient | null {
  return recipients.find((r) => r.number === chosen) ?? recipients[0] ?? null;
}

/** The select option text: "Luis Lopez (son) · +1 (805) 555-0100 — opted out". */
export function recipientOptionLabel(recipient: Recipient): string {
  const label = `${recipient.who} · ${formatPhone(recipient.number)}`;
  return recipient.optedOut ? `${label} — opted out` : label;
}

export function optedOutReason(recipient: Recipient): string {
  return `${formatPhone(recipient.number)} opted out of SMS (replied STOP). They can text START to opt back in.`;
}

/**
 * Whose number a thread item went to or came from ("Alice Moreno", "Luis Lopez (son)"),
 * or null when it needs no mention: the patient has a single number and it is that one.
 */
export function threadPartyLabel(patient: Patient, number: string | null): string | null {
  if (number === null) return 'Unknown number';
  const recipients = recipientsOf(patient);
  const match = recipients.find((r) => r.number === number);
  if (!match) return formatPhone(number);
  if (recipients.length < 2) return null;
  return match.kind === 'patient' ? patient.name : match.who;
}

/** A number with its owner when known: "Luis Lopez (son), +1 (805) 555-0100". */
export function describeNumber(patient: Patient, number: string): string {
  const match = recipientsOf(patient).find((r) => r.number === number);
  if (!match) return formatPhone(number);
  const owner = match.kind === 'patient' ? patient.name : match.who;
  return `${owner}, ${formatPhone(number)}`;
}
