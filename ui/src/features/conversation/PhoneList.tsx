import type { Phone } from '../../platform';
import { formatPhone, phoneOwnerLabel } from '../patients/phones';

/** The patient's own numbers and their contacts' numbers, with opted-out marks; numbers no longer used greyed. */
export function PhoneList({ phones }: { phones: Phone[] }) {
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
          {phone.opted_out ? <span className="badge badge--warning">Opted out</span> : null}
        </li>
      ))}
    </ul>
  );
}
