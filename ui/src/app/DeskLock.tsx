import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { lockNow, lockStatus, onLockChanged, toAppError, type LockView } from '../platform';
import { appInfoKeys } from '../features/app-info/queries';
import { LockNowContext } from '../features/lock/lockContext';
import { LockScreen } from '../features/lock/LockScreen';
import { SetupScreen } from '../features/lock/SetupScreen';
import { useIdleReport } from '../features/lock/useIdleReport';
import { prefetchFirstPatientPage } from '../features/patients/queries';
import { StartupError, StartupPending } from './StartupScreen';
import { useBackendEvent } from './useBackendEvent';

/** Forgets every query and mutation but app_info (no PHI): nothing of the desk stays in memory. */
export function forgetDesk(client: QueryClient) {
  client.removeQueries({ predicate: (q) => q.queryKey[0] !== appInfoKeys.all[0] });
  client.getMutationCache().clear();
}

/**
 * Shows the desk (`children`) only while the backend says it is unlocked; otherwise the
 * first-start setup or the lock screen replace it, and the desk is unmounted, not hidden.
 */
export function DeskLock({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [view, setViewState] = useState<LockView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const shown = useRef<LockView['state'] | null>(null);

  // Coming back to the desk starts it fresh, before any of it mounts.
  const setView = useCallback(
    (next: LockView) => {
      if (next.state === 'unlocked' && shown.current !== 'unlocked') {
        forgetDesk(client);
        void prefetchFirstPatientPage(client);
      }
      shown.current = next.state;
      setViewState(next);
    },
    [client],
  );

  const refresh = useCallback(() => {
    lockStatus()
      .then((v) => {
        setError(null);
        setView(v);
      })
      .catch((e: unknown) => setError(e));
  }, [setView]);

  const lock = useCallback(() => {
    if (view) setView({ ...view, state: 'locked' });
    void lockNow()
      .catch(() => {})
      .finally(refresh);
  }, [view, setView, refresh]);

  useEffect(refresh, [refresh]);

  const unlocked = view?.state === 'unlocked';
  // Leaving the desk: once it is unmounted, forget what it showed.
  useEffect(() => {
    if (!unlocked) forgetDesk(client);
  }, [client, unlocked]);

  // The backend locked by itself, or a command was refused as locked.
  useBackendEvent(onLockChanged, refresh);
  useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        if (event.type === 'updated' && toAppError(event.query.state.error ?? {}).code === 'locked') refresh();
      }),
    [client, refresh],
  );

  if (error && !view) {
    return <StartupError error={error} retrying={false} onRetry={refresh} />;
  }
  if (!view) return <StartupPending />;
  if (view.state === 'setup') return <SetupScreen onDone={setView} />;
  if (view.state === 'locked') return <LockScreen retryAfterMs={view.retry_after_ms} onUnlocked={setView} />;
  return (
    <Unlocked idleLockSecs={view.idle_lock_secs} onLock={lock} onLocked={refresh}>
      {children}
    </Unlocked>
  );
}

function Unlocked({
  idleLockSecs,
  onLock,
  onLocked,
  children,
}: {
  idleLockSecs: number;
  onLock: () => void;
  onLocked: () => void;
  children: ReactNode;
}) {
  useIdleReport(idleLockSecs, onLocked);
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      if (event.key.toLowerCase() !== 'l') return;
      event.preventDefault();
      onLock();
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onLock]);
  return <LockNowContext.Provider value={onLock}>{children}</LockNowContext.Provider>;
}
