import { useEffect } from 'react';
import { announcePresence, leavePresence } from '../../platform';

/**
 * Tells the team this member is in the patient's thread, reading or writing, and that they
 * left when the thread closes. Only in team mode. Failures are not shown: presence is a
 * courtesy, and the backend repeats what it was told.
 */
export function usePresenceAnnouncer(patientId: number, writing: boolean, enabled: boolean) {
  useEffect(() => {
    if (!enabled) return;
    announcePresence(patientId, writing).catch(() => {});
  }, [patientId, writing, enabled]);
  useEffect(() => {
    if (!enabled) return;
    return () => {
      leavePresence().catch(() => {});
    };
  }, [patientId, enabled]);
}
