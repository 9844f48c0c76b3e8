import type { ThreadItem } from '../../platform';
import { PhoneIcon } from '../../shared/icons';
import type { NumberLabeler } from './recipients';
import { SentBy } from '../team/SentBy';
import { useTeamContext } from '../team/teamContext';
import { FhirMarkLabel } from './FhirMarkLabel';
import { StateLabel } from './StateLabel';
import { callStateWords, placedCallWords } from './states';
import { Timestamp } from './Timestamp';

interface Props {
  item: ThreadItem;
  labelFor: NumberLabeler;
}

/** A call, inline in the thread: "Call to Patient · +1 (805) 555-0100 · Call placed: ECM call 7, queued". */
export function CallRow({ item, labelFor }: Props) {
  const outbound = item.direction === 'outbound';
  const party = labelFor(outbound ? item.to : item.from);
  const team = useTeamContext();
  return (
    <div className={`call-row call-row--${item.direction}`} data-testid="call-row" data-direction={item.direction}>
      <PhoneIcon />
      <span className="call-row__summary">
        {outbound ? `Call to ${party}` : `Call from ${party}`}
        {' · '}
        <StateLabel
          words={outbound ? placedCallWords(item.state, item.error, item.server_id) : callStateWords(item.state, item.error)}
        />
      </span>
      <span className="call-row__meta">
        {team && outbound ? <SentBy name={item.sent_by} /> : null}
        <Timestamp at={item.at} />
        <FhirMarkLabel mark={item.fhir} />
      </span>
    </div>
  );
}
