import { useId, useState, type FormEvent } from 'react';
import { changeUnlockPassphrase, errorMessage } from '../../platform';
import { PasswordField } from '../../shared/PasswordField';
import { MIN_PASSPHRASE_LENGTH } from '../lock/SetupScreen';

/** A new unlock passphrase, with the current one. */
export function ChangePassphrase() {
  const id = useId();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if ([...next].length < MIN_PASSPHRASE_LENGTH) {
      setMessage({ ok: false, text: `The new passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.` });
      return;
    }
    setBusy(true);
    try {
      await changeUnlockPassphrase(current, next);
      setMessage({ ok: true, text: 'The unlock passphrase was changed.' });
      setCurrent('');
      setNext('');
    } catch (e) {
      setMessage({ ok: false, text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="setting" onSubmit={(e) => void submit(e)} aria-label="Change the unlock passphrase">
      <PasswordField
        id={`${id}-current`}
        label="Current unlock passphrase"
        autoComplete="current-password"
        value={current}
        onChange={setCurrent}
      />
      <PasswordField
        id={`${id}-new`}
        label="New unlock passphrase"
        autoComplete="new-password"
        value={next}
        onChange={setNext}
      />
      <div>
        <button type="submit" className="button" disabled={busy || current === '' || next === ''}>
          Change passphrase
        </button>
      </div>
      {message ? (
        <p className={message.ok ? 'field__help' : 'error-message'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
    </form>
  );
}
