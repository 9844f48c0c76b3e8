import { useId } from 'react';
import { toAppError } from '../platform';
import './startup.css';

/** Short headings for the startup failures the backend reports by code. */
const GENERIC_HEADING = 'CareDesk cannot start';

const HEADINGS: Record<string, string> = {
  keyring_unavailable: 'No OS keyring available',
  store: 'The local database cannot be opened',
};

export function startupHeading(code: string): string {
  return HEADINGS[code] ?? GENERIC_HEADING;
}

interface ErrorProps {
  error: unknown;
  /** True while a retry of app_info is in flight. */
  retrying: boolean;
  onRetry: () => void;
}

/**
 * Replaces the whole window when the backend could not open its store: nothing of the
 * shell is usable then, so nothing of it is shown. The backend's message is plain text.
 */
export function StartupError({ error, retrying, onRetry }: ErrorProps) {
  const headingId = useId();
  const { code, message } = toAppError(error);
  const heading = startupHeading(code);
  return (
    <main className="startup">
      <section className="startup__panel" role="alert" aria-labelledby={headingId} data-testid="startup-error">
        {heading === GENERIC_HEADING ? null : <p className="startup__eyebrow">{GENERIC_HEADING}</p>}
        <h1 id={headingId} className="startup__title">
          {heading}
        </h1>
        <p className="startup__message">{message.trim()}</p>
        <p className="startup__hint">
          Once the problem is fixed, choose Try again or restart CareDesk. If you need help, pass this
          screen on to your clinic IT.
        </p>
        <div className="startup__actions">
          <button type="button" className="button button--primary" onClick={onRetry} disabled={retrying}>
            Try again
          </button>
          <span className="startup__code">
            Error code: <span className="mono">{code}</span>
          </span>
        </div>
      </section>
    </main>
  );
}

/** Shown until app_info answers (normally a few milliseconds; the text fades in late to avoid a flash). */
export function StartupPending() {
  return (
    <main className="startup" aria-busy="true" data-testid="startup-pending">
      <p className="startup__pending">Starting CareDesk…</p>
    </main>
  );
}
