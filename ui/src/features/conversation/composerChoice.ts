import type { Patient, Route } from '../../platform';
import { effectiveValue, useSetting } from '../settings/queries';
import type { Draft } from './draftStore';
import { chooseRecipient, recipientsOf, type Recipient } from './recipients';

/** Where a text (and a call) of one conversation goes, and whether that is the patient's default. */
export interface ComposerChoice {
  recipients: Recipient[];
  /** Where a text goes: the number chosen in this thread if it is still the patient's, else the default. */
  recipient: Recipient | null;
  /** The patient's default: their first current number (their own before contacts). */
  defaultRecipient: Recipient | null;
  via: Route;
  /** The route default (setting sms.via), or the hospital SMS server for a patient without an ECM id. */
  defaultVia: Route;
  /** Changed in this thread: shown as "changed", with Reset. */
  toChanged: boolean;
  viaChanged: boolean;
  /** Where a call goes: the text's number when it is current, else the default. */
  callTo: Recipient | null;
}

/**
 * The thread's To and Via: the patient's defaults unless the coordinator chose otherwise in
 * this thread (the draft holds only what they chose). A choice equal to the default is no change.
 */
export function composerChoice(patient: Patient, draft: Pick<Draft, 'to' | 'via'>, routeDefault: Route): ComposerChoice {
  const recipients = recipientsOf(patient);
  const recipient = chooseRecipient(recipients, draft.to);
  const defaultRecipient = chooseRecipient(recipients, null);
  const ecmAvailable = patient.ecm_patient_id !== null;
  const defaultVia: Route = ecmAvailable ? routeDefault : 'his';
  const via: Route = ecmAvailable ? (draft.via ?? defaultVia) : 'his';
  return {
    recipients,
    recipient,
    defaultRecipient,
    via,
    defaultVia,
    toChanged: recipient !== null && recipient.number !== defaultRecipient?.number,
    viaChanged: via !== defaultVia,
    // Calls never go to a number the patient no longer uses: the default instead.
    callTo: recipient?.active ? recipient : defaultRecipient,
  };
}

/** The route texts take unless one is chosen: the setting sms.via (the hospital SMS server until it loads). */
export function useRouteDefault(): Route {
  return effectiveValue(useSetting('sms.via')) === 'ecm' ? 'ecm' : 'his';
}
