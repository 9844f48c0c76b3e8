import { formatPhone } from '../features/patients/phones';

interface Props {
  testMode: boolean;
  overrideNumber: string | null;
}

/** A strip no one can miss while texts do not reach patients (test mode, override number). */
export function StatusBarTestMode({ testMode, overrideNumber }: Props) {
  if (!testMode && !overrideNumber) return null;
  return (
    <div className="test-mode-strip" data-testid="test-mode-warning">
      <span className="test-mode-strip__icon" aria-hidden="true">
        ⚠
      </span>
      {testMode ? (
        <span>
          <strong>TEST MODE</strong> — texts go to the sandbox, not patients.
        </span>
      ) : null}
      {overrideNumber ? (
        <span data-testid="override-number">
          <strong>Override:</strong> every text goes to {formatPhone(overrideNumber)}.
        </span>
      ) : null}
    </div>
  );
}
