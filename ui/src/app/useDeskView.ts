import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { findPatient } from '../features/patients/queries';
import { onOpenThread, type OpenThreadRequest, type Patient } from '../platform';
import { useBackendEvent } from './useBackendEvent';

/** What the main area shows: nothing yet, a patient's conversation, or the Unmatched inbox (maybe at a number). */
export type DeskView =
  | { kind: 'welcome' }
  | { kind: 'patient'; patient: Patient }
  | { kind: 'unmatched'; number: string | null };

/**
 * The open thread and the ways to change it, including a click on a desktop notification
 * (onOpenThread), which opens that patient's thread or the unknown number in the Unmatched inbox.
 */
export function useDeskView() {
  const queryClient = useQueryClient();
  const [view, setView] = useState<DeskView>({ kind: 'welcome' });

  const openPatient = useCallback((patient: Patient) => setView({ kind: 'patient', patient }), []);
  const openUnmatched = useCallback((number: string | null = null) => setView({ kind: 'unmatched', number }), []);
  /** A fresher record of the open patient (after a reload of the list). */
  const refreshPatient = useCallback(
    (patient: Patient) =>
      setView((current) => (current.kind === 'patient' && current.patient.id === patient.id ? { kind: 'patient', patient } : current)),
    [],
  );

  useBackendEvent(onOpenThread, (request: OpenThreadRequest) => {
    if (request.patient_id === null) {
      openUnmatched(request.number);
      return;
    }
    void findPatient(queryClient, request.patient_id).then(
      (patient) => patient && openPatient(patient),
      () => {},
    );
  });

  return { view, openPatient, openUnmatched, refreshPatient };
}
