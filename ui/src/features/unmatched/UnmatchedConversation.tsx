import { useState } from 'react';
import type { PatientThread, UnmatchedThread } from '../../platform';
import { plainNumberLabeler } from '../conversation/recipients';
import { ThreadView } from '../conversation/ThreadView';
import { useMarkReadWhileOpen } from '../conversation/useMarkReadWhileOpen';
import { formatPhone } from '../patients/phones';
import { LinkNumberDialog } from './LinkNumberDialog';
import { useMarkUnmatchedRead, useUnmatchedThread } from './queries';

interface Props {
  number: string;
  /** The inbox row for the number, when listed (for its display form). */
  summary: UnmatchedThread | undefined;
  onLinked: (patient: PatientThread) => void;
}

/** What one unknown number wrote, with the way to link it to a patient. */
export function UnmatchedConversation({ number, summary, onLinked }: Props) {
  const thread = useUnmatchedThread(number);
  const { mutate: markRead } = useMarkUnmatchedRead();
  const [linking, setLinking] = useState(false);
  useMarkReadWhileOpen(number, thread.data, () => markRead(number));
  const display = summary?.display ?? formatPhone(number);

  return (
    <section className="unmatched-conversation" aria-label={`Messages from ${display}`}>
      <header className="unmatched-conversation__header">
        <h2 className="unmatched-conversation__number">{display}</h2>
        <span className="conversation__spacer" />
        <button type="button" className="button button--primary" onClick={() => setLinking(true)}>
          Link to patient…
        </button>
      </header>
      <ThreadView
        items={thread.data ?? []}
        labelFor={plainNumberLabeler}
        pending={thread.isPending}
        error={thread.error}
      />
      {linking ? (
        <LinkNumberDialog
          number={number}
          display={display}
          onClose={() => setLinking(false)}
          onLinked={(patient) => {
            setLinking(false);
            onLinked(patient);
          }}
        />
      ) : null}
    </section>
  );
}
