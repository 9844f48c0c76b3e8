import { useLayoutEffect, useRef } from 'react';
import type { Patient } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { CallRow } from './CallRow';
import { MessageBubble } from './MessageBubble';
import { useThread } from './queries';

/** The patient's texts and calls, oldest at the top; kept scrolled to the newest. */
export function Thread({ patient }: { patient: Patient }) {
  const thread = useThread(patient.id);
  const items = thread.data ?? [];
  const logRef = useRef<HTMLDivElement>(null);
  const last = items[items.length - 1];
  const newest = last ? `${last.kind}-${last.id}` : null;

  // On open (first data) and whenever a new item arrives; state changes do not move the view.
  useLayoutEffect(() => {
    const log = logRef.current;
    if (log && newest !== null) log.scrollTop = log.scrollHeight;
  }, [newest]);

  return (
    <div
      ref={logRef}
      className="thread"
      data-testid="thread"
      role="log"
      aria-live="polite"
      aria-label="Messages"
      tabIndex={0}
    >
      <ErrorMessage error={thread.error} context="Could not load messages" />
      {thread.isPending ? <p className="thread__note muted">Loading messages…</p> : null}
      {thread.isSuccess && items.length === 0 ? <p className="thread__note muted">No messages yet</p> : null}
      {items.length > 0 ? (
        <ol className="thread__items">
          {items.map((item) => (
            <li key={`${item.kind}-${item.id}`} className={`thread__item thread__item--${item.direction}`}>
              {item.kind === 'call' ? (
                <CallRow item={item} patient={patient} />
              ) : (
                <MessageBubble item={item} patient={patient} />
              )}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}
