import type { Service } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useCheckConnection } from './queries';

const SERVICE_NAMES: Record<Service, string> = {
  his: 'the hospital SMS server',
  ecm: 'ECM',
};

/** Tries one server with the saved settings and secrets, and says what came back. */
export function CheckConnection({ service }: { service: Service }) {
  const check = useCheckConnection(service);
  const result = check.data;
  return (
    <div className="check-connection">
      <button
        type="button"
        className="button"
        aria-label={`Check connection to ${SERVICE_NAMES[service]}`}
        disabled={check.isPending}
        onClick={() => check.mutate()}
      >
        {check.isPending ? 'Checking…' : 'Check connection'}
      </button>
      <div aria-live="polite" className="check-connection__result">
        {result && !check.isPending ? (
          <p
            className={result.ok ? 'check-result check-result--ok' : 'check-result check-result--failed'}
            data-testid={`check-${service}`}
          >
            <strong>{result.ok ? 'Connection OK' : 'Connection failed'}:</strong> {result.message}
            <span className="muted"> ({result.elapsed_ms} ms)</span>
          </p>
        ) : null}
      </div>
      <ErrorMessage error={check.error} context="Could not check the connection" />
    </div>
  );
}
