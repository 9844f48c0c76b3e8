// @vitest-environment jsdom
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppInfo, RoutePause, SyncView, UnreadableMessage } from '../platform';
import { installMockBackend, type CommandHandler } from '../platform/mockBackend';
import { Providers } from './Providers';
import { createQueryClient } from './queryClient';
import { StatusBar } from './StatusBar';

const info: AppInfo = {
  version: '0.3.0',
  data_dir: '/tmp/caredesk',
  mode: 'real',
  user_name: 'Dana Coordinator',
  patient_count: 12,
  sandbox_behaviours: [],
};

// Local times, so the expected clock text does not depend on the machine's time zone.
const NOW = new Date(2024, 2, 1, 12, 5, 0);
const at = (h: number, m: number, s: number) => new Date(2024, 2, 1, h, m, s).toISOString();

function view(fields: Partial<SyncView> = {}): SyncView {
  return {
    mode: 'real',
    test_mode: false,
    override_number: null,
    syncing: false,
    last_sync: at(12, 4, 31),
    next_sync: at(12, 5, 8),
    last_error: null,
    interval_secs: 10,
    paused: [],
    unreadable: [],
    ...fields,
  };
}

function renderBar(handlers: Record<string, CommandHandler>, onOpenSettings?: () => void) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  const backend = installMockBackend({ sync_now: () => null, ...handlers });
  const user = userEvent.setup();
  render(
    <Providers client={createQueryClient()}>
      <StatusBar info={info} onOpenSettings={onOpenSettings} />
    </Providers>,
  );
  return { backend, user, bar: screen.getByTestId('status-bar') };
}

const HIS_REASON =
  'the hospital SMS server refused the token his-token (HTTP 401); replace it with `caredesk credentials set his-token`';

const hisPause: RoutePause = {
  route: 'his',
  code: 'his_unauthorized',
  reason: HIS_REASON,
  since: at(11, 58, 2),
  next_probe: at(12, 8, 2),
};

const unreadable: UnreadableMessage[] = [
  {
    kind: 'Incoming',
    his_id: '531978',
    reason: 'it has no sender (From is empty)',
    first_seen: at(11, 50, 0),
    last_seen: at(12, 4, 31),
    seen: 42,
  },
  {
    kind: 'Outgoing',
    his_id: 'raw:9f2c',
    reason: 'it has no Id',
    first_seen: at(12, 0, 0),
    last_seen: at(12, 4, 31),
    seen: 3,
  },
];

afterEach(() => {
  vi.useRealTimers();
});

describe('status bar', () => {
  it('shows the last sync as a local clock time with how long ago, and the next one', async () => {
    const { bar } = renderBar({ sync_status: () => view() });
    const last = await within(bar).findByTestId('last-sync');
    expect(last).toHaveTextContent('Last sync 12:04:31 · 29 s ago');
    expect(within(bar).getByTestId('next-sync')).toHaveTextContent('Next sync 12:05:08 · in 8 s');
    expect(within(bar).queryByTestId('sync-error')).toBeNull();
    expect(within(bar).queryByTestId('syncing')).toBeNull();
    expect(bar).toHaveTextContent('Real servers');
    expect(bar).toHaveTextContent('12 patients');
  });

  it('says when a sync is running, and hides the next one meanwhile', async () => {
    const { bar } = renderBar({ sync_status: () => view({ syncing: true }) });
    expect(await within(bar).findByTestId('syncing')).toHaveTextContent('Syncing now…');
    expect(within(bar).queryByTestId('next-sync')).toBeNull();
    expect(within(bar).getByRole('button', { name: 'Sync now' })).toBeDisabled();
  });

  it('shows the last error in words, and "Not synced yet" before the first cycle', async () => {
    const { bar } = renderBar({
      sync_status: () =>
        view({ last_sync: null, last_error: 'The hospital SMS server did not answer within 30 s.' }),
    });
    expect(await within(bar).findByTestId('sync-error')).toHaveTextContent(
      'Sync problem: The hospital SMS server did not answer within 30 s.',
    );
    expect(within(bar).getByTestId('last-sync')).toHaveTextContent('Not synced yet');
  });

  it('says so when the sync status cannot be read', async () => {
    const { bar } = renderBar({
      sync_status: () => {
        throw { code: 'unavailable', message: 'The engine is not running.' };
      },
    });
    expect(await within(bar).findByTestId('sync-error')).toHaveTextContent(
      'Sync status unavailable: The engine is not running.',
    );
    // The mode still comes from app_info.
    expect(bar).toHaveTextContent('Real servers');
  });

  it('takes sandbox or real servers from the sync status', async () => {
    const { bar } = renderBar({ sync_status: () => view({ mode: 'sandbox' }) });
    expect(await within(bar).findByText('Sandbox')).toBeInTheDocument();
    expect(bar).not.toHaveTextContent('Real servers');
  });

  it('has no test-mode warning while test mode is off and no override is set', async () => {
    const { bar } = renderBar({ sync_status: () => view() });
    await within(bar).findByTestId('last-sync');
    expect(screen.queryByTestId('test-mode-warning')).toBeNull();
    expect(bar).not.toHaveTextContent(/TEST MODE/);
  });

  it('warns in a strip when test mode is on', async () => {
    const { bar } = renderBar({ sync_status: () => view({ test_mode: true }) });
    const strip = await within(bar).findByTestId('test-mode-warning');
    expect(strip).toHaveTextContent('TEST MODE — texts go to the sandbox, not patients.');
    expect(strip).toHaveClass('test-mode-strip');
    expect(within(strip).queryByTestId('override-number')).toBeNull();
  });

  it('shows the override number, readable, with or without test mode', async () => {
    const { bar } = renderBar({ sync_status: () => view({ test_mode: true, override_number: '+18055550100' }) });
    const strip = await within(bar).findByTestId('test-mode-warning');
    expect(within(strip).getByTestId('override-number')).toHaveTextContent(
      'Override: every text goes to +1 (805) 555-0100.',
    );
  });

  it('warns about an override number even when test mode is off', async () => {
    const { bar } = renderBar({ sync_status: () => view({ override_number: '+18055550100' }) });
    const strip = await within(bar).findByTestId('test-mode-warning');
    expect(strip).not.toHaveTextContent('TEST MODE');
    expect(strip).toHaveTextContent('every text goes to +1 (805) 555-0100');
  });

  it('Sync now calls sync_now and reads the status again', async () => {
    let syncing = false;
    const { bar, backend, user } = renderBar({
      sync_status: () => view({ syncing }),
      sync_now: () => {
        syncing = true;
        return null;
      },
    });
    await within(bar).findByTestId('last-sync');
    const before = backend.callsTo('sync_status').length;
    await user.click(within(bar).getByRole('button', { name: 'Sync now' }));
    expect(backend.callsTo('sync_now')).toHaveLength(1);
    await waitFor(() => expect(backend.callsTo('sync_status').length).toBeGreaterThan(before));
    expect(await within(bar).findByTestId('syncing')).toBeInTheDocument();
  });

  it('shows a failed Sync now in words', async () => {
    const { bar, user } = renderBar({
      sync_status: () => view(),
      sync_now: () => {
        throw { code: 'unavailable', message: 'The engine is shutting down.' };
      },
    });
    await within(bar).findByTestId('last-sync');
    await user.click(within(bar).getByRole('button', { name: 'Sync now' }));
    expect(await within(bar).findByRole('alert')).toHaveTextContent('Sync now failed: The engine is shutting down.');
  });

  it('has no warning lines while nothing is paused or skipped', async () => {
    const { bar } = renderBar({ sync_status: () => view() });
    await within(bar).findByTestId('last-sync');
    expect(within(bar).queryByTestId('sync-warnings')).toBeNull();
    expect(bar).not.toHaveTextContent('Sending paused');
  });

  it('says a paused hospital route is paused, why, and offers Settings', async () => {
    const openSettings = vi.fn();
    const { bar, user } = renderBar(
      {
        sync_status: () =>
          view({
            paused: [hisPause],
            last_error: 'The hospital SMS server refused the token (401).',
          }),
      },
      openSettings,
    );
    const paused = await within(bar).findByTestId('route-paused');
    expect(paused.textContent).toMatch(
      /^Sending paused: the hospital SMS server refused CareDesk's credentials\. Texts wait in the outbox; replace the secret in Settings to resume\./,
    );
    // The reason comes after the headline, as a sentence of text (its backticks stay backticks).
    const reason =
      'The hospital SMS server refused the token his-token (HTTP 401); replace it with `caredesk credentials set his-token`.';
    expect(within(paused).getByTestId('route-paused-reason').textContent).toBe(reason);
    expect(paused.textContent!.indexOf('to resume.')).toBeLessThan(paused.textContent!.indexOf(reason));
    expect(paused).toHaveTextContent('Paused since 11:58:02; one waiting text is tried again every 5 minutes.');
    expect(paused.querySelector('code')).toBeNull();
    // The last error keeps its own line.
    expect(within(bar).getByTestId('sync-error')).toHaveTextContent(
      'Sync problem: The hospital SMS server refused the token (401).',
    );

    await user.click(within(paused).getByRole('button', { name: 'Open Settings' }));
    expect(openSettings).toHaveBeenCalledTimes(1);
  });

  it('names the ECM Communications API for a paused ECM route, and has no button without Settings', async () => {
    const ecmPause: RoutePause = {
      ...hisPause,
      route: 'ecm',
      code: 'ecm_unauthorized',
      reason: 'the ECM Communications API refused the token ecm-token (HTTP 403)',
    };
    const { bar } = renderBar({
      sync_status: () => view({ paused: [hisPause, ecmPause] }),
    });
    const lines = await within(bar).findAllByTestId('route-paused');
    expect(lines.map((l) => l.getAttribute('data-route'))).toEqual(['his', 'ecm']);
    expect(lines[1]).toHaveTextContent(
      "Sending paused: the ECM Communications API refused CareDesk's credentials. Texts wait in the outbox; replace the secret in Settings to resume. The ECM Communications API refused the token ecm-token (HTTP 403).",
    );
    expect(within(bar).queryByRole('button', { name: 'Open Settings' })).toBeNull();
  });

  it('counts unreadable messages on one line, with their ids and reasons under it', async () => {
    const { bar } = renderBar({
      sync_status: () => view({ unreadable }),
    });
    const block = await within(bar).findByTestId('unreadable-messages');
    expect(block.querySelector('p')).toHaveTextContent(
      /^2 messages from the hospital SMS server could not be read and were skipped$/,
    );
    const details = block.querySelector('details')!;
    expect(details).not.toBeNull();
    expect(details).not.toHaveAttribute('open');
    expect(within(details).getByText('Which messages, and why').tagName).toBe('SUMMARY');
    const items = within(details).getAllByTestId('unreadable-message').map((li) => li.textContent);
    expect(items).toEqual([
      '531978 (reply): it has no sender (From is empty)',
      'raw:9f2c (sent message): it has no Id',
    ]);
    // How often it was seen changes every poll; the live region does not read it out.
    expect(block).not.toHaveTextContent('42');
  });

  it('says "1 message … was skipped" for one', async () => {
    const one = unreadable.slice(0, 1);
    const { bar } = renderBar({ sync_status: () => view({ unreadable: one }) });
    const block = await within(bar).findByTestId('unreadable-messages');
    expect(block).toHaveTextContent('1 message from the hospital SMS server could not be read and was skipped');
    expect(block).toHaveTextContent('531978 (reply): it has no sender (From is empty)');
  });
});
