import type { ThreadItem } from '../../platform';
import { FailedActions, failureKind } from './FailedActions';
import { MessageMarks } from './MessageMarks';
import { MessageNote } from './MessageNote';
import { MessageText } from './MessageText';
import type { NumberLabeler } from './recipients';
import { useSearchHighlight } from './search/highlight';
import { SentBy } from '../team/SentBy';
import { useTeamContext } from '../team/teamContext';
import { itemKey } from './threadRows';
import { StateLabel } from './StateLabel';
import { routeLabel, smsStateWords } from './states';
import { Timestamp } from './Timestamp';
import { FhirMarkLabel } from './FhirMarkLabel';
import { HeldBar } from './HeldBar';
import { UndoBar } from './UndoBar';
import './outbound.css';

interface Props {
  item: ThreadItem;
  labelFor: NumberLabeler;
}

/** One text: outbound on the right, inbound on the left, saying which number it went to or came from. */
export function MessageBubble({ item, labelFor }: Props) {
  const outbound = item.direction === 'outbound';
  // An override send went to the override number but belongs to the intended one.
  const party = labelFor(outbound ? (item.intended_to ?? item.to) : item.from);
  // Why a text not sent yet waits; only outbound texts have one.
  const note = outbound ? item.note : null;
  const search = useSearchHighlight();
  // Team mode: who sent it ("Ana R."), on every desk. A desk alone shows what it always did.
  const team = useTeamContext();
  const searchCurrent = search.currentKey === itemKey(item);
  const classes = [
    'message',
    `message--${item.direction}`,
    item.flagged ? 'message--flagged' : '',
    note && item.paused ? 'message--waiting' : '',
    failureKind(item) ? `message--${failureKind(item)}` : '',
    searchCurrent ? 'message--search-current' : '',
  ].filter(Boolean);
  return (
    <div
      className={classes.join(' ')}
      data-testid="message"
      data-direction={item.direction}
      data-search-current={searchCurrent || undefined}
    >
      <MessageText className="message__text" text={item.text} highlight={search.query} />
      <p className="message__meta">
        <Timestamp at={item.at} />
        {team && outbound ? <SentBy name={item.sent_by} /> : null}
        <span data-testid="message-party">{outbound ? `To ${party}` : `From ${party}`}</span>
        <span>{routeLabel(item.route)}</span>
        <StateLabel words={smsStateWords(item.state, item.error)} />
        <FhirMarkLabel mark={item.fhir} />
      </p>
      {note ? <MessageNote note={note} paused={item.paused} /> : null}
      {outbound && item.hold_until ? (
        item.hold_reason === 'scheduled' || item.hold_reason === 'quiet_hours' ? (
          <HeldBar item={item} />
        ) : (
          <UndoBar item={item} />
        )
      ) : null}
      <FailedActions item={item} />
      <MessageMarks item={item} labelFor={labelFor} />
    </div>
  );
}
