import type { Patient, Route } from '../../platform';
import { recipientWords } from './recipients';

interface Props {
  patient: Patient;
  /** null: the patient has no number. */
  number: string | null;
  via: Route;
  className?: string;
  testId?: string;
}

/** "To Ben Carter's mobile, +1 (805) 555-0102, by the hospital SMS server", the name in bold. */
export function RecipientLine({ patient, number, via, className, testId = 'recipient-line' }: Props) {
  const classes = ['recipient-line', className].filter(Boolean).join(' ');
  if (number === null) {
    return (
      <p className={classes} data-testid={testId}>
        No number on file for {patient.name}
      </p>
    );
  }
  const { who, rest } = recipientWords(patient, number, via);
  return (
    <p className={classes} data-testid={testId}>
      To{' '}
      <strong className="recipient-line__who" dir="auto">
        {who}
      </strong>
      {rest}
    </p>
  );
}
