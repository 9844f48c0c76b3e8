// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { installMockBackend } from '../../platform/mockBackend';
import { SetupScreen } from './SetupScreen';

const UNLOCKED = { state: 'unlocked', retry_after_ms: 0, idle_lock_secs: 600 };

async function fill(passphrase: string, repeat: string) {
  await userEvent.type(screen.getByLabelText('Unlock passphrase'), passphrase);
  await userEvent.type(screen.getByLabelText('The same again'), repeat);
  await userEvent.click(screen.getByRole('button', { name: 'Set passphrase' }));
}

describe('first-start setup', { timeout: 20_000 }, () => {
  it('sets the passphrase and hands on the unlocked view', async () => {
    const backend = installMockBackend({ set_unlock_passphrase: () => UNLOCKED });
    const onDone = vi.fn();
    render(<SetupScreen onDone={onDone} />);
    await fill('correct horse', 'correct horse');
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(UNLOCKED));
    expect(backend.callsTo('set_unlock_passphrase')).toEqual([{ passphrase: 'correct horse' }]);
  });

  it('refuses a short passphrase or two that differ, without calling the backend', async () => {
    const backend = installMockBackend({ set_unlock_passphrase: () => UNLOCKED });
    const onDone = vi.fn();
    render(<SetupScreen onDone={onDone} />);
    await fill('short', 'short');
    expect(screen.getByRole('alert')).toHaveTextContent('at least 8 characters');
    await userEvent.clear(screen.getByLabelText('Unlock passphrase'));
    await userEvent.clear(screen.getByLabelText('The same again'));
    await fill('correct horse', 'correct house');
    expect(screen.getByRole('alert')).toHaveTextContent('not the same');
    expect(backend.callsTo('set_unlock_passphrase')).toEqual([]);
    expect(onDone).not.toHaveBeenCalled();
  });

  it('shows what the backend refused', async () => {
    installMockBackend({
      set_unlock_passphrase: () => {
        throw { code: 'passphrase', message: 'an unlock passphrase is already set' };
      },
    });
    render(<SetupScreen onDone={() => {}} />);
    await fill('correct horse', 'correct horse');
    expect(await screen.findByRole('alert')).toHaveTextContent('already set');
  });
});
