import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { Patient, Phone } from '../../platform';

/**
 * Formats an E.164 number for reading, the one format CareDesk shows everywhere
 * (the core's `phone::display` follows the same rule): North American numbers as
 * "+1 (805) 555-0102", others in their country's international format
 * ("+44 7700 900123"). Anything that is not a number (a sender name) is shown as is.
 */
export function formatPhone(e164: string): string {
  if (!e164.startsWith('+')) return e164;
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return e164;
  return parsed.countryCallingCode === '1' ? `+1 ${parsed.formatNational()}` : parsed.formatInternational();
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
