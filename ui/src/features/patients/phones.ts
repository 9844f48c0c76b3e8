import type { Patient, Phone } from '../../platform';

/** Formats an E.164 number for reading: NANP as "+1 (555) 123-4567", others grouped. */
export function formatPhone(e164: string): string {
  const digits = e164.replace(/[^\d]/g, '');
  if (e164.startsWith('+1') && digits.length === 11) {
    return `+1 (${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7)}`;
  }
  if (!e164.startsWith('+') || digits.length < 8) return e164;
  // Unknown country layout: keep the country code apart, group the rest in threes/fours.
  const rest = digits.slice(2);
  const groups = rest.match(/.{1,4}$|.{1,3}/g) ?? [rest];
  return `+${digits.slice(0, 2)} ${groups.join(' ')}`;
}

/** The patient's own first current number, else the first current number of any kind. */
export function primaryPhone(patient: Patient): Phone | undefined {
  const current = patient.phones.filter((p) => p.active);
  return current.find((p) => p.kind === 'patient') ?? current[0];
}

export function hasOptedOut(patient: Patient): boolean {
  return patient.phones.some((p) => p.opted_out);
}

/** Who a number belongs to: "Patient", or the contact's name with relationship. */
export function phoneOwnerLabel(phone: Phone): string {
  if (phone.kind === 'patient') return 'Patient';
  const name = phone.name ?? 'Contact';
  return phone.relationship ? `${name} (${phone.relationship})` : name;
}
