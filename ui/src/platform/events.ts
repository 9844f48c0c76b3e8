import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { LockChanged, OpenThreadRequest, PresenceChanged, SyncEvent } from './types';

/** The background engine started or finished a cycle (texts, states or replies may have changed). */
export const SYNC_EVENT = 'sync://event';
/** A desktop notification was clicked. */
export const OPEN_THREAD_EVENT = 'notification://open';

/** The backend locked (or unlocked) the desk by itself. */
export const LOCK_EVENT = 'lock://changed';

/** Team mode: who else is in which thread changed. */
export const PRESENCE_EVENT = 'team://presence';

function backendPresent(): boolean {
  const internals = (window as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === 'function';
}

/** Subscribes to a backend event; resolves to the unsubscribe function (a no-op without a backend). */
async function subscribe<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  if (!backendPresent()) return () => {};
  try {
    return await listen<T>(event, (e) => handler(e.payload));
  } catch {
    return () => {};
  }
}

export function onSyncEvent(handler: (event: SyncEvent) => void): Promise<UnlistenFn> {
  return subscribe<SyncEvent>(SYNC_EVENT, handler);
}

export function onOpenThread(handler: (request: OpenThreadRequest) => void): Promise<UnlistenFn> {
  return subscribe<OpenThreadRequest>(OPEN_THREAD_EVENT, handler);
}

export function onLockChanged(handler: (event: LockChanged) => void): Promise<UnlistenFn> {
  return subscribe<LockChanged>(LOCK_EVENT, handler);
}

export function onPresence(handler: (event: PresenceChanged) => void): Promise<UnlistenFn> {
  return subscribe<PresenceChanged>(PRESENCE_EVENT, handler);
}
