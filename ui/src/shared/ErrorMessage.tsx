import { errorMessage } from '../platform';

interface Props {
  error: unknown;
  /** Short context shown before the message, e.g. "Could not load patients". */
  context?: string;
}

/** Shows a backend or UI error as readable text (never as HTML). */
export function ErrorMessage({ error, context }: Props) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error-message" role="alert">
      {context ? <strong>{context}: </strong> : null}
      {errorMessage(error)}
    </p>
  );
}
