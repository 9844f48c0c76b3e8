import { PhoneIcon } from '../../shared/icons';
import { formatPhone } from '../patients/phones';

interface Props {
  /** The number it will call; null when the patient has none. */
  to: string | null;
  /** Whose number that is ("Ben Carter's mobile"), for the tooltip. */
  toWords?: string | null;
  ecmAvailable: boolean;
  calling: boolean;
  onCall: (to: string) => void;
}

/** "Call +1 (555) 123-4567": calls go through ECM, so patients without an ECM id cannot be called. */
export function CallButton({ to, toWords = null, ecmAvailable, calling, onCall }: Props) {
  const reason = !ecmAvailable
    ? 'Calls go through ECM, and this patient has no ECM id.'
    : to === null
      ? 'There is no phone number on file to call.'
      : null;
  return (
    <button
      type="button"
      className="button call-button"
      aria-label="Call"
      title={reason ?? (to ? `Call ${toWords ? `${toWords}, ` : ''}${formatPhone(to)} through ECM` : undefined)}
      disabled={reason !== null || calling}
      onClick={() => to && onCall(to)}
    >
      <PhoneIcon />
      {calling ? 'Calling…' : 'Call'}
      {to ? <span className="call-button__number">{formatPhone(to)}</span> : null}
    </button>
  );
}
