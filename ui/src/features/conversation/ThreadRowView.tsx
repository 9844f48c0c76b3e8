import { NoteRow } from '../team/NoteRow';
import { CallRow } from './CallRow';
import { MessageBubble } from './MessageBubble';
import type { NumberLabeler } from './recipients';
import type { ThreadRow } from './threadRows';

/** "Today", between two days. */
export function DaySeparator({ label }: { label: string }) {
  return (
    <h2 className="thread__day" data-testid="day-separator">
      <span>{label}</span>
    </h2>
  );
}

/** A text, call or internal note, with the separator of the day that starts after it. */
export function ThreadRowView({ row, labelFor }: { row: ThreadRow; labelFor: NumberLabeler }) {
  return (
    <>
      {row.note ? (
        <div className="thread__item thread__item--note">
          <NoteRow note={row.note} />
        </div>
      ) : (
        <div className={`thread__item thread__item--${row.item.direction}`}>
          {row.item.kind === 'call' ? (
            <CallRow item={row.item} labelFor={labelFor} />
          ) : (
            <MessageBubble item={row.item} labelFor={labelFor} />
          )}
        </div>
      )}
      {row.nextDay ? <DaySeparator label={row.nextDay} /> : null}
    </>
  );
}

/** Starting sizes before a row is measured. */
export function estimateRowSize(row: ThreadRow | undefined): number {
  if (!row) return 80;
  const base = row.note ? 96 : row.item.kind === 'call' ? 40 : 84;
  return row.nextDay ? base + 48 : base;
}
