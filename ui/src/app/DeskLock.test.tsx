// @vitest-environment jsdom
import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LOCK_EVENT } from '../platform/events';
import { selectPatient } from '../test/conversation';
import { emitEvent, renderApp, renderShell } from '../test/renderApp';

type Lock = { state: string; retry_after_ms: number; idle_lock_secs: number };

/** A backend whose lock the test moves. */
function lockable(initial: Lock['state']) {
  const lock: Lock = { state: initial, retry_after_ms: 0, idle_lock_secs: 600 };
  return {
    lock,
    handlers: {
      lock_status: () => ({ ...lock }),
      lock_now: () => {
        lock.state = 'locked';
        return null;
      },
      unlock: () => {
        lock.state = 'unlocked';
        return { ...lock };
      },
      set_unlock_passphrase: () => {
        lock.state = 'unlocked';
        return { ...lock };
      },
    },
  };
}

const PHI = ['Alice Moreno', 'Bob Tran', 'Carla Singh', '5551234567', '+1 555'];

function expectNoPhi() {
  const html = document.documentElement.outerHTML;
  for (const s of PHI) expect(html).not.toContain(s);
}

describe('desk lock', { timeout: 30_000 }, () => {
  it('shows the setup screen at first start and nothing of the desk', async () => {
    const { handlers } = lockable('setup');
    const { backend } = renderApp(handlers);
    expect(await screen.findByTestId('setup-screen')).toBeInTheDocument();
    expect(backend.callsTo('list_threads')).toEqual([]);
    expectNoPhi();
  });

  it('Ctrl+L unmounts the desk and forgets it; unlocking brings it back', async () => {
    const { handlers } = lockable('unlocked');
    const { user, backend } = await renderShell(handlers);
    await selectPatient(user, 0);
    await user.keyboard('{Control>}l{/Control}');
    expect(await screen.findByTestId('lock-screen')).toBeInTheDocument();
    expect(screen.queryByTestId('status-bar')).toBeNull();
    expect(backend.callsTo('lock_now')).toHaveLength(1);
    expectNoPhi();
    const before = backend.callsTo('list_threads').length;
    await user.type(screen.getByLabelText('Unlock passphrase'), 'correct horse{Enter}');
    expect(await screen.findByTestId('status-bar')).toBeInTheDocument();
    expect(await screen.findAllByText('Alice Moreno')).not.toHaveLength(0);
    expect(backend.callsTo('list_threads').length).toBeGreaterThan(before);
  });

  it('the Lock button locks, and so does the backend locking by itself', async () => {
    const { lock, handlers } = lockable('unlocked');
    const { user } = await renderShell(handlers);
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    expect(await screen.findByTestId('lock-screen')).toBeInTheDocument();
    lock.state = 'unlocked';
    await user.type(screen.getByLabelText('Unlock passphrase'), 'correct horse{Enter}');
    await screen.findByTestId('status-bar');
    lock.state = 'locked';
    emitEvent(LOCK_EVENT, { locked: true });
    await waitFor(() => expect(screen.getByTestId('lock-screen')).toBeInTheDocument());
    expectNoPhi();
  });
});
