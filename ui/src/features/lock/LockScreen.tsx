import { useId, useState, type FormEvent } from 'react';
import { toAppError, unlock, type LockView } from '../../platform';
import { useRetryCountdown } from './useRetryCountdown';
import { PasswordField } from '../../shared/PasswordField';
import './lock.css';

interface Props {
  /** From lock_status: a wait still running from earlier wrong passphrases. */
  retryAfterMs: number;
  onUnlocked: (view: LockView) => void;
}

/**
 * The whole window while locked. It shows nothing of the desk: the app tree below it is
 * unmounted and the query cache cleared, so no name, number or text is left in the page.
 */
export function LockScreen({ retryAfterMs, onUnlocked }: Props) {
  const inputId = useId();
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [retryAt, setRetryAt] = useState(() => Date.now() + retryAfterMs);
  const wait = useRetryCountdown(retryAt);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || wait > 0 || passphrase === '') return;
    setBusy(true);
    try {
      const view = await unlock(passphrase);
      setPassphrase('');
      onUnlocked(view);
    } catch (e) {
      const err = toAppError(e);
      setError(err.message);
      setPassphrase('');
      if (err.code === 'wrong_passphrase' || err.code === 'unlock_wait') {
        const seconds = Number(/(\d+) s\b/.exec(err.message)?.[1] ?? '1');
        setRetryAt(Date.now() + seconds * 1000);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="lock" data-testid="lock-screen">
      <form className="lock__panel" onSubmit={(e) => void submit(e)} aria-labelledby={`${inputId}-title`}>
        <h1 id={`${inputId}-title`} className="lock__title">
          CareDesk is locked
        </h1>
        <p className="lock__hint">Enter the unlock passphrase to go back to the desk.</p>
        <PasswordField
          id={inputId}
          label="Unlock passphrase"
          className="input lock__input"
          autoComplete="current-password"
          autoFocus
          value={passphrase}
          onChange={setPassphrase}
          testId="unlock-passphrase"
        />
        {error ? (
          <p className="error-message" role="alert" data-testid="unlock-error">
            {error}
          </p>
        ) : null}
        {wait > 0 ? (
          <p className="lock__wait" data-testid="unlock-wait">
            You can try again in {wait} s.
          </p>
        ) : null}
        <div className="lock__actions">
          <button
            type="submit"
            className="button button--primary"
            disabled={busy || wait > 0 || passphrase === ''}
            data-testid="unlock-submit"
          >
            Unlock
          </button>
        </div>
        <p className="lock__note">Sending, syncing and the outbox keep running while CareDesk is locked.</p>
      </form>
    </main>
  );
}
