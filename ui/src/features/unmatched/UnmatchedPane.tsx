import type { PatientThread } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { UnmatchedConversation } from './UnmatchedConversation';
import { UnmatchedNumberList } from './UnmatchedNumberList';
import { useUnmatchedList } from './queries';
import '../conversation/conversation.css';
import './unmatched.css';

interface Props {
  /** The number whose messages are open. */
  number: string | null;
  onOpenNumber: (number: string) => void;
  /** After linking: open the patient's thread. */
  onLinked: (patient: PatientThread) => void;
}

/** Main area for replies from unknown numbers: the numbers, one number's messages, linking. */
export function UnmatchedPane({ number, onOpenNumber, onLinked }: Props) {
  const list = useUnmatchedList();
  const threads = list.data ?? [];
  return (
    <main className="conversation unmatched" data-testid="unmatched-inbox" aria-label="Unmatched replies">
      <header className="conversation__header">
        <h1 className="conversation__name">Unmatched replies</h1>
        <p className="muted unmatched__intro">
          Texts from numbers that belong to no patient. Link a number to a patient to move its texts into their thread.
        </p>
      </header>
      <div className="unmatched__body">
        <div className="unmatched__numbers">
          <ErrorMessage error={list.error} context="Could not load the Unmatched inbox" />
          {list.isPending ? <p className="unmatched__note muted">Loading…</p> : null}
          {list.isSuccess && threads.length === 0 ? (
            <p className="unmatched__note muted">No replies from unknown numbers.</p>
          ) : null}
          <UnmatchedNumberList threads={threads} selected={number} onOpen={onOpenNumber} />
        </div>
        {number !== null ? (
          <UnmatchedConversation
            key={number}
            number={number}
            summary={threads.find((t) => t.number === number)}
            onLinked={onLinked}
          />
        ) : (
          <p className="unmatched__choose muted">Choose a number to read its texts.</p>
        )}
      </div>
    </main>
  );
}
