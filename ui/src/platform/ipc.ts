import { Channel, invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { AppError, toAppError } from './errors';

/** True inside the Tauri webview (or when tests installed IPC mocks). */
function backendPresent(): boolean {
  const internals = (window as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === 'function';
}

/** Invokes a backend command; every rejection becomes an AppError here and only here. */
export async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  if (!backendPresent()) {
    throw new AppError('no_backend', 'The CareDesk backend is not available. Start the app with the desktop shell.');
  }
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toAppError(error);
  }
}

/** A channel the backend streams messages into while a command runs. */
export function makeChannel<T>(onMessage: (message: T) => void): Channel<T> {
  return new Channel<T>(onMessage);
}
