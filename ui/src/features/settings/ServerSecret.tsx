import type { CredentialName } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { CredentialRow } from './CredentialRow';
import { useCredentials } from './queries';

/** One keyring secret, shown next to the server that uses it. The secret itself never comes back. */
export function ServerSecret({ name }: { name: CredentialName }) {
  const credentials = useCredentials();
  const credential = credentials.data?.find((c) => c.name === name);
  return (
    <div className="server-secret">
      <ErrorMessage error={credentials.error} context={`Could not read whether ${name} is stored`} />
      {credentials.isPending ? <p className="muted">Checking the keyring…</p> : null}
      {credential ? (
        <ul className="credential-list">
          <CredentialRow credential={credential} />
        </ul>
      ) : null}
    </div>
  );
}
