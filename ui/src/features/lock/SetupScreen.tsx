import { useId, useState, type FormEvent } from 'react';
import { errorMessage, setUnlockPassphrase, type LockView } from '../../platform';
import { PasswordField } from '../../shared/PasswordField';
import './lock.css';

/** Matches the backend's `unlock::MIN_LENGTH`. */
export const MIN_PASSPHRASE_LENGTH = 8;

interface Props {
  onDone: (view: LockView) => void;
}

/** First start: the coordinator chooses the passphrase that unlocks CareDesk. */
export function SetupScreen({ onDone }: Props) {
  const id = useId();
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
      setError(`The unlock passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`);
      return;
    }
    if (passphrase !== repeat) {
      setError('The two passphrases are not the same.');
      return;
    }
    setBusy(true);
    try {
      onDone(await setUnlockPassphrase(passphrase));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="lock" data-testid="setup-screen">
      <form className="lock__panel" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} className="lock__title">
          Choose an unlock passphrase
        </h1>
        <p className="lock__hint">
          CareDesk locks itself after a few minutes without input, and when you choose Lock or press Ctrl+L. This
          passphrase unlocks it. It is stored only as a hash in the OS keyring; at least {MIN_PASSPHRASE_LENGTH}{' '}
          characters.
        </p>
        <PasswordField
          id={`${id}-new`}
          label="Unlock passphrase"
          className="input lock__input"
          autoComplete="new-password"
          autoFocus
          value={passphrase}
          onChange={setPassphrase}
          testId="setup-passphrase"
        />
        <PasswordField
          id={`${id}-repeat`}
          label="The same again"
          className="input lock__input"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          testId="setup-repeat"
        />
        {error ? (
          <p className="error-message" role="alert">
            {error}
          </p>
        ) : null}
        <div className="lock__actions">
          <button type="submit" className="button button--primary" disabled={busy} data-testid="setup-submit">
            Set passphrase
          </button>
        </div>
      </form>
    </main>
  );
}
