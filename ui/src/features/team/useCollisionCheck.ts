import { useState } from 'react';
import { colleagueSends, type ColleagueSend } from '../../platform';

export interface CollisionCheck {
  /** What colleagues sent that waits for an answer (null: nothing to ask). */
  pending: ColleagueSend[] | null;
  /**
   * Before a send: resolves true when it may go now, false when the coordinator is asked
   * first (a colleague sent to this patient after `startedAt`). A check that fails lets the
   * send go: it is a courtesy, never a lock.
   */
  check: (patientId: number, startedAt: string | null) => Promise<boolean>;
  /** The coordinator answered. */
  dismiss: () => void;
}

/** The send-time collision check (team mode): asks the backend what colleagues sent since writing started. */
export function useCollisionCheck(enabled: boolean): CollisionCheck {
  const [pending, setPending] = useState<ColleagueSend[] | null>(null);
  async function check(patientId: number, startedAt: string | null): Promise<boolean> {
    if (!enabled || startedAt === null) return true;
    let sends: ColleagueSend[];
    try {
      sends = await colleagueSends(patientId, startedAt);
    } catch {
      return true;
    }
    if (sends.length === 0) return true;
    setPending(sends);
    return false;
  }
  return { pending, check, dismiss: () => setPending(null) };
}
