import type { Patient, ThreadItem } from '../../platform';
import { PhoneIcon } from '../../shared/icons';
import { formatPhone } from '../patients/phones';
import { threadPartyLabel } from './recipients';
import { StateLabel } from './StateLabel';
import { callStateWords } from './states';
import { Timestamp } from './Timestamp';

interface Props {
  item: ThreadItem;
  patient: Patient;
}

/** A call, inline in the thread: "Call to +1 (805) 555-0100 · Ringing". */
export function CallRow({ item, patient }: Props) {
  const outbound = item.direction === 'outbound';
  const number = outbound ? item.to : item.from;
  const party = threadPartyLabel(patient, number);
  const shown = number === null ? 'an unknown number' : formatPhone(number);
  return (
    <div className={`call-row call-row--${item.direction}`} data-testid="call-row" data-direction={item.direction}>
      <PhoneIcon />
      <span className="call-row__summary">
        {outbound ? `Call to ${shown}` : `Call from ${shown}`}
        {' · '}
        <StateLabel words={callStateWords(item.state, item.error)} />
      </span>
      <span className="call-row__meta">
        {party && number !== null && party !== formatPhone(number) ? <span>{party}</span> : null}
        <Timestamp at={item.at} />
      </span>
    </div>
  );
}
