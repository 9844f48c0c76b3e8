import type { NumberConsent, Phone } from '../../platform';
import { ConsentMark } from '../consent/ConsentMark';
import { formatPhone, phoneOwnerLabel } from '../patients/phones';

interface Props {
  phones: Phone[];
  /** With the patient's id and each number's consent, a number in use shows it and offers Invite. */
  consent?: { patientId: number; numbers: NumberConsent[] } | undefined;
}

/**
 * The patient's own numbers and their contacts' numbers, with opted-out marks (and, when
 * known, each number's consent); numbers no longer used greyed.
 */
export function PhoneList({ phones, consent }: Props) {
  if (phones.length === 0) return <p className="muted">No phone numbers on file.</p>;
  return (
    <ul className="phone-list" aria-label="Phone numbers">
      {phones.map((phone) => (
        <li
          key={`${phone.kind}-${phone.number}-${phone.name ?? ''}`}
          className={phone.active ? 'phone-list__item' : 'phone-list__item phone-list__item--inactive'}
        >
          <span className="phone-list__number">{formatPhone(phone.number)}</span>
          <span className="phone-list__who">{phoneOwnerLabel(phone)}</span>
          {phone.active ? null : <span className="phone-list__inactive">(no longer used)</span>}
          {phone.opted_out && !consent ? <span className="badge badge--warning">Opted out</span> : null}
          {phone.active && consent
            ? consent.numbers
                .filter((c) => c.number === phone.number)
                .map((c) => <ConsentMark key={c.number} patientId={consent.patientId} consent={c} />)
            : null}
        </li>
      ))}
    </ul>
  );
}
