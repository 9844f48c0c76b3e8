import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import type { PatientThread, UnmatchedThread } from '../../platform';
import { ComposerFillContext, type ComposerFill } from '../conversation/composerFill';
import { plainNumberLabeler } from '../conversation/recipients';
import { ThreadView } from '../conversation/ThreadView';
import { useMarkReadWhileOpen } from '../conversation/useMarkReadWhileOpen';
import { formatPhone } from '../patients/phones';
import { LinkNumberDialog } from './LinkNumberDialog';
import { unmatchedKeys, useMarkUnmatchedRead, useUnmatchedThread } from './queries';
import { UnmatchedReply } from './UnmatchedReply';

interface Props {
  number: string;
  /** The inbox row for the number, when listed (for its display form). */
  summary: UnmatchedThread | undefined;
  onLinked: (patient: PatientThread) => void;
}

/** What one unknown number wrote and the replies sent to it, a reply box, and the way to link it to a patient. */
export function UnmatchedConversation({ number, summary, onLinked }: Props) {
  const queryClient = useQueryClient();
  const thread = useUnmatchedThread(number);
  const { mutate: markRead } = useMarkUnmatchedRead();
  const [linking, setLinking] = useState(false);
  const [reply, setReply] = useState('');
  const replyRef = useRef(reply);
  replyRef.current = reply;
  // Undo and Edit and resend under a reply put its text back into the reply box.
  const fill = useMemo<ComposerFill>(
    () => ({
      patientId: 0,
      fill: (patch) => {
        if (patch.text !== undefined) setReply(patch.text);
        void queryClient.invalidateQueries({ queryKey: unmatchedKeys.thread(number) });
      },
      current: () => replyRef.current,
    }),
    [number, queryClient],
  );
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
      <ComposerFillContext.Provider value={fill}>
        <ThreadView
          items={thread.data ?? []}
          labelFor={plainNumberLabeler}
          pending={thread.isPending}
          error={thread.error}
        />
      </ComposerFillContext.Provider>
      <UnmatchedReply number={number} display={display} text={reply} onText={setReply} />
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
