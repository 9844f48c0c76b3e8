import { useState } from 'react';
import type { CredentialStatus } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { CredentialSecretForm } from './CredentialSecretForm';
import { useRemoveCredential } from './queries';

type Mode = 'idle' | 'replacing' | 'confirm-remove';

/** A stored secret is never shown: only "Stored", with Replace and Remove. */
export function CredentialRow({ credential }: { credential: CredentialStatus }) {
  const { name, stored, description } = credential;
  const [mode, setMode] = useState<Mode>('idle');
  const remove = useRemoveCredential();

  return (
    <li className="credential" data-testid="credential-row">
      <div className="credential__head">
        <span className="credential__name mono">{name}</span>
        {stored ? (
          <span className="badge badge--ok">Stored</span>
        ) : (
          <span className="badge badge--neutral">Not stored</span>
        )}
      </div>
      <p className="field__help">{description}</p>

      {!stored ? <CredentialSecretForm name={name} /> : null}

      {stored && mode === 'replacing' ? (
        <CredentialSecretForm name={name} onDone={() => setMode('idle')} onCancel={() => setMode('idle')} />
      ) : null}

      {stored && mode === 'idle' ? (
        <div className="credential__actions">
          <button type="button" className="button" aria-label={`Replace ${name}`} onClick={() => setMode('replacing')}>
            Replace
          </button>
          <button
            type="button"
            className="button button--danger"
            aria-label={`Remove ${name}`}
            onClick={() => setMode('confirm-remove')}
          >
            Remove
          </button>
        </div>
      ) : null}

      {stored && mode === 'confirm-remove' ? (
        <div className="credential__actions">
          <span>Remove the stored {name}?</span>
          <button
            type="button"
            className="button button--danger"
            aria-label={`Confirm remove ${name}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate(name, { onSuccess: () => setMode('idle') })}
          >
            Remove
          </button>
          <button type="button" className="button" onClick={() => setMode('idle')}>
            Cancel
          </button>
        </div>
      ) : null}

      <ErrorMessage error={remove.error} context={`Could not remove ${name}`} />
    </li>
  );
}
