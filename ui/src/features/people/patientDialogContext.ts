import { createContext, useContext } from 'react';
import type { Patient } from '../../platform';

/** Opens the patient dialog on a patient (provided by the shell, which owns the dialogs). */
export const EditPatientContext = createContext<((patient: Patient) => void) | null>(null);

/** The way to edit a patient, or null where the shell does not offer it. */
export function useEditPatient(): ((patient: Patient) => void) | null {
  return useContext(EditPatientContext);
}
