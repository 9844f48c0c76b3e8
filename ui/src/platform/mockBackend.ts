// Test-only: a fake Tauri backend built on @tauri-apps/api/mocks, so tests go through
// the real invoke/Channel wiring in platform/. Never imported by application code.
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';

interface TauriInternals {
  runCallback(id: number, data: unknown): void;
}

export type CommandArgs = Record<string, unknown>;
export type CommandHandler = (args: CommandArgs) => unknown;

export interface MockBackend {
  /** Every invoke, in order. */
  calls: { cmd: string; args: CommandArgs }[];
  callsTo(cmd: string): CommandArgs[];
}

/** Installs handlers by command name. A handler may return a value/promise or throw {code,message}. */
export function installMockBackend(handlers: Record<string, CommandHandler>): MockBackend {
  const calls: MockBackend['calls'] = [];
  mockWindows('main');
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as CommandArgs;
    calls.push({ cmd, args });
    const handler = handlers[cmd];
    if (!handler) return Promise.reject({ code: 'unknown_command', message: `No mock for ${cmd}` });
    try {
      return Promise.resolve(handler(args));
    } catch (error) {
      return Promise.reject(error);
    }
  });
  return {
    calls,
    callsTo: (cmd) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}

export function resetMockBackend(): void {
  clearMocks();
}

/**
 * Returns a function that sends messages into a Channel passed as a command argument,
 * the way the Rust side does (indexed messages through the IPC callback table).
 */
export function channelSender<T>(channelArg: unknown): (message: T) => void {
  const id = (channelArg as { id?: unknown }).id;
  if (typeof id !== 'number') throw new Error('argument is not a Channel');
  const internals = (window as unknown as { __TAURI_INTERNALS__: TauriInternals }).__TAURI_INTERNALS__;
  let index = 0;
  return (message: T) => internals.runCallback(id, { index: index++, message });
}
