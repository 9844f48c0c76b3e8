import { useId } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { CredentialRow } from './CredentialRow';
import { useCredentials } from './queries';

export function CredentialsSection() {
  const credentials = useCredentials();
  const titleId = useId();
  return (
    <section className="settings-section" aria-labelledby={titleId}>
      <h3 id={titleId} className="settings-section__title">
        Credentials
      </h3>
      <p className="field__help">Kept in the system keyring. Stored secrets are never shown again.</p>
      <ErrorMessage error={credentials.error} context="Could not load credentials" />
      {credentials.isPending ? <p className="muted">Loading credentials…</p> : null}
      <ul className="credential-list">
        {credentials.data?.map((credential) => (
          <CredentialRow key={credential.name} credential={credential} />
        ))}
      </ul>
    </section>
  );
}
