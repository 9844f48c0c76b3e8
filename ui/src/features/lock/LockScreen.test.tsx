// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { installMockBackend } from '../../platform/mockBackend';
import { LockScreen } from './LockScreen';

const UNLOCKED = { state: 'unlocked', retry_after_ms: 0, idle_lock_secs: 600 };

describe('lock screen', { timeout: 20_000 }, () => {
  it('unlocks with the passphrase', async () => {
    const backend = installMockBackend({ unlock: () => UNLOCKED });
    const onUnlocked = vi.fn();
    render(<LockScreen retryAfterMs={0} onUnlocked={onUnlocked} />);
    expect(screen.getByRole('heading', { name: 'CareDesk is locked' })).toBeInTheDocument();
    const submit = screen.getByRole('button', { name: 'Unlock' });
    expect(submit).toBeDisabled();
    await userEvent.type(screen.getByLabelText('Unlock passphrase'), 'correct horse{Enter}');
    await waitFor(() => expect(onUnlocked).toHaveBeenCalledWith(UNLOCKED));
    expect(backend.callsTo('unlock')).toEqual([{ passphrase: 'correct horse' }]);
  });

  it('shows the wait after a wrong passphrase and keeps Unlock off until it passes', async () => {
    installMockBackend({
      unlock: () => {
        throw { code: 'wrong_passphrase', message: 'That is not the unlock passphrase. Try again in 2 s.' };
      },
    });
    const onUnlocked = vi.fn();
    render(<LockScreen retryAfterMs={0} onUnlocked={onUnlocked} />);
    const input = screen.getByLabelText('Unlock passphrase');
    await userEvent.type(input, 'wrong one{Enter}');
    expect(await screen.findByTestId('unlock-error')).toHaveTextContent('That is not the unlock passphrase');
    expect(screen.getByTestId('unlock-wait')).toHaveTextContent(/You can try again in [12] s\./);
    expect(input).toHaveValue('');
    await userEvent.type(input, 'again');
    expect(screen.getByRole('button', { name: 'Unlock' })).toBeDisabled();
    await waitFor(() => expect(screen.queryByTestId('unlock-wait')).toBeNull(), { timeout: 3_000 });
    expect(screen.getByRole('button', { name: 'Unlock' })).toBeEnabled();
    expect(onUnlocked).not.toHaveBeenCalled();
  });

  it('starts with the wait the backend still runs', () => {
    installMockBackend({});
    render(<LockScreen retryAfterMs={4_000} onUnlocked={() => {}} />);
    expect(screen.getByTestId('unlock-wait')).toHaveTextContent('You can try again in 4 s.');
  });
});
