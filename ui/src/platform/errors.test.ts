// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { appInfo, AppError, listThreads } from './index';
import { toAppError } from './errors';
import { installMockBackend } from './mockBackend';

describe('toAppError', () => {
  it('keeps code and message of a backend error object', () => {
    const e = toAppError({ code: 'not_found', message: 'No such patient.' });
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('not_found');
    expect(e.message).toBe('No such patient.');
  });

  it('turns strings, Errors and junk into readable AppErrors', () => {
    expect(toAppError('boom').message).toBe('boom');
    expect(toAppError(new TypeError('bad')).code).toBe('internal');
    expect(toAppError(42).message).toMatch(/went wrong/);
    expect(toAppError({ code: 1 }).message).toMatch(/went wrong/);
  });
});

describe('commands over mocked IPC', () => {
  it('invokes with the contract arguments and returns the result', async () => {
    const listing = { patients: [], has_more: false, unmatched: { threads: 0, unread: 0 }, unread_total: 0 };
    const backend = installMockBackend({ list_threads: () => listing });
    await expect(listThreads('ali', 200)).resolves.toEqual(listing);
    expect(backend.calls).toEqual([{ cmd: 'list_threads', args: { query: 'ali', limit: 200 } }]);
  });

  it('gives a readable error when there is no Tauri backend at all', async () => {
    const error = await appInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'no_backend' });
    expect((error as AppError).message).toMatch(/backend is not available/);
  });

  it('rejects with an AppError carrying the backend code and message', async () => {
    installMockBackend({
      app_info: () => {
        throw { code: 'db_open', message: 'Could not open the database.' };
      },
    });
    const error = await appInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'db_open', message: 'Could not open the database.' });
  });
});
