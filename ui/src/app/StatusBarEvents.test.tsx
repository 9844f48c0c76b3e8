// @vitest-environment jsdom
import { render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { SyncEvent } from '../platform';
import { installMockBackend } from '../platform/mockBackend';
import { Providers } from './Providers';
import { createQueryClient } from './queryClient';
import { StatusBar } from './StatusBar';

const listeners = vi.hoisted(() => ({ sync: [] as ((event: SyncEvent) => void)[], stopped: 0 }));

// The engine's events arrive through platform/events; capture the subscription here.
vi.mock('../platform/events', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../platform/events')>()),
  onSyncEvent: (handler: (event: SyncEvent) => void) => {
    listeners.sync.push(handler);
    return Promise.resolve(() => {
      listeners.stopped += 1;
    });
  },
}));

describe('status bar and sync events', () => {
  it('reads the sync status again when the engine reports a cycle, and unsubscribes on unmount', async () => {
    let syncing = false;
    const backend = installMockBackend({
      sync_status: () => ({
        mode: 'sandbox',
        test_mode: false,
        override_number: null,
        syncing,
        last_sync: null,
        next_sync: null,
        last_error: null,
        interval_secs: 10,
        paused: [],
        unreadable: [],
      }),
    });
    const { unmount } = render(
      <Providers client={createQueryClient()}>
        <StatusBar info={{ version: '1', data_dir: '/d', mode: 'sandbox', user_name: 'D', patient_count: 0, sandbox_behaviours: [] }} />
      </Providers>,
    );
    const bar = screen.getByTestId('status-bar');
    await within(bar).findByTestId('last-sync');
    await waitFor(() => expect(listeners.sync).toHaveLength(1));
    expect(within(bar).queryByTestId('syncing')).toBeNull();

    syncing = true;
    listeners.sync[0]!({ kind: 'cycle_started' });
    expect(await within(bar).findByTestId('syncing')).toBeInTheDocument();
    expect(backend.callsTo('sync_status').length).toBeGreaterThanOrEqual(2);

    unmount();
    expect(listeners.stopped).toBe(1);
  });
});
