import { recipientOptionLabel, type Recipient } from './recipients';

interface Props {
  id: string;
  recipients: Recipient[];
  value: string | null;
  onChange: (number: string) => void;
}

/** The patient's numbers, own first; opted-out ones are marked but still selectable. */
export function RecipientSelect({ id, recipients, value, onChange }: Props) {
  return (
    <select
      id={id}
      className="input composer__select"
      aria-label="Send to"
      value={value ?? ''}
      disabled={recipients.length === 0}
      onChange={(e) => onChange(e.target.value)}
    >
      {recipients.length === 0 ? <option value="">No phone number on file</option> : null}
      {recipients.map((r) => (
        <option key={r.number} value={r.number}>
          {recipientOptionLabel(r)}
        </option>
      ))}
    </select>
  );
}
