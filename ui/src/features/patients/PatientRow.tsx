import { memo } from 'react';
import type { LastItem, PatientThread } from '../../platform';
import { listTime } from '../conversation/days';
import { revealInvisibles } from '../conversation/invisibles';
import { parseTimestamp } from '../conversation/time';
import { AssigneeMark } from '../team/AssigneeMark';
import { shortName } from '../team/shortName';
import { formatPhone, primaryPhone } from './phones';
import { UnreadBadge } from './UnreadBadge';

interface Props {
  patient: PatientThread;
  /** The row's place in the list, for the virtualizer (data-index). */
  index: number;
  /** The virtualizer's measureElement. */
  measureRef: (element: HTMLLIElement | null) => void;
  selected: boolean;
  active: boolean;
  optionId: string;
  onOpen: (patient: PatientThread) => void;
  /** Team mode: this desk's member (a colleague's text reads "Ben O.:", not "You:"). */
  me?: string | null;
}

function previewText(last: LastItem | null, me: string | null): string {
  if (!last) return 'No messages yet';
  const preview = revealInvisibles(last.preview);
  if (last.direction !== 'outbound' || last.kind !== 'sms') return preview;
  const colleague = me !== null && last.sent_by_role && last.sent_by_role !== me ? last.sent_by : null;
  return colleague ? `${revealInvisibles(shortName(colleague))}: ${preview}` : `You: ${preview}`;
}

function LastTime({ last }: { last: LastItem | null }) {
  const date = last ? parseTimestamp(last.at) : null;
  if (!date) return null;
  return (
    <time className="patient-row__time" dateTime={date.toISOString()}>
      {listTime(date)}
    </time>
  );
}

/** One thread in the patient column: name, newest message, time, unread count, opted-out mark. */
export const PatientRow = memo(function PatientRow({
  patient,
  index,
  measureRef,
  selected,
  active,
  optionId,
  onOpen,
  me = null,
}: Props) {
  const phone = primaryPhone(patient);
  const classes = ['patient-row', selected && 'patient-row--selected', active && 'patient-row--active'];
  if (patient.unread > 0) classes.push('patient-row--unread');
  return (
    <li
      ref={measureRef}
      data-index={index}
      id={optionId}
      role="option"
      aria-selected={selected}
      data-testid="patient-row"
      className={classes.filter(Boolean).join(' ')}
      onClick={() => onOpen(patient)}
    >
      <div className="patient-row__top">
        <span className="patient-row__name" title={patient.name} dir="auto">
          {patient.name}
        </span>
        {patient.opted_out ? <span className="badge badge--warning">Opted out</span> : null}
        <span className="patient-row__spacer" />
        <AssigneeMark team={patient.team} />
        <LastTime last={patient.last} />
      </div>
      <div className="patient-row__preview">
        <span className="patient-row__preview-text" dir="auto" data-testid="patient-preview">
          {previewText(patient.last, me)}
        </span>
        <UnreadBadge count={patient.unread} />
      </div>
      <div className="patient-row__meta">
        <span>{phone ? formatPhone(phone.number) : 'No phone'}</span>
        {patient.ecm_patient_id !== null ? <span>ECM {patient.ecm_patient_id}</span> : null}
      </div>
    </li>
  );
});
