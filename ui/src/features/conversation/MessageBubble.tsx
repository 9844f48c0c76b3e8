import type { Patient, ThreadItem } from '../../platform';
import { describeNumber, threadPartyLabel } from './recipients';
import { StateLabel } from './StateLabel';
import { routeLabel, smsStateWords } from './states';
import { Timestamp } from './Timestamp';

interface Props {
  item: ThreadItem;
  patient: Patient;
}

/** One text: outbound on the right, inbound on the left. The text is only ever React text. */
export function MessageBubble({ item, patient }: Props) {
  const outbound = item.direction === 'outbound';
  const party = threadPartyLabel(patient, outbound ? item.to : item.from);
  return (
    <div className={`message message--${item.direction}`} data-testid="message" data-direction={item.direction}>
      <p className="message__text">{item.text}</p>
      <p className="message__meta">
        <Timestamp at={item.at} />
        {party ? <span>{outbound ? `To ${party}` : `From ${party}`}</span> : null}
        <span>{routeLabel(item.route)}</span>
        <StateLabel words={smsStateWords(item.state, item.error)} />
      </p>
      {item.test ? <TestNote patient={patient} intendedTo={item.intended_to} /> : null}
    </div>
  );
}

function TestNote({ patient, intendedTo }: { patient: Patient; intendedTo: string | null }) {
  const intended = intendedTo ? describeNumber(patient, intendedTo) : null;
  return (
    <p className="message__test">
      <span className="badge badge--warning">Test</span>
      {intended ? ` Sent to the test number instead of ${intended}.` : ' Sent to the test number.'}
    </p>
  );
}
