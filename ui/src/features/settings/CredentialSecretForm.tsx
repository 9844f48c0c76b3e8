import { useId, useState, type FormEvent } from 'react';
import type { CredentialName } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useSaveCredential } from './queries';

interface Props {
  name: CredentialName;
  onDone?: () => void;
  onCancel?: () => void;
}

/** Write-only entry of a new secret; the typed value is dropped as soon as it is saved. */
export function CredentialSecretForm({ name, onDone, onCancel }: Props) {
  const inputId = useId();
  const [secret, setSecret] = useState('');
  const save = useSaveCredential();

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (secret === '') return;
    save.mutate(
      { name, secret },
      {
        onSuccess: () => {
          setSecret('');
          onDone?.();
        },
      },
    );
  }

  return (
    <form className="credential__form" onSubmit={onSubmit}>
      <label className="visually-hidden" htmlFor={inputId}>
        New secret for {name}
      </label>
      <input
        id={inputId}
        className="input"
        type="password"
        autoComplete="new-password"
        spellCheck={false}
        placeholder="Paste the new secret"
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
      />
      <button
        type="submit"
        className="button button--primary"
        aria-label={`Save ${name}`}
        disabled={secret === '' || save.isPending}
      >
        Save
      </button>
      {onCancel ? (
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      ) : null}
      <ErrorMessage error={save.error} context={`Could not store ${name}`} />
    </form>
  );
}
