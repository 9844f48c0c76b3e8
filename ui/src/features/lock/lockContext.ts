import { createContext, useContext } from 'react';

/** Locks the desk now (the Lock button, Ctrl+L); a no-op outside the DeskLock. */
export const LockNowContext = createContext<() => void>(() => {});

export function useLockNow(): () => void {
  return useContext(LockNowContext);
}
