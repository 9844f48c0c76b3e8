import type { Patient } from '../../platform';
import { ConversationHeader } from './ConversationHeader';
import './conversation.css';

/** Main area. The message thread and composer will replace the placeholder body. */
export function ConversationPane({ patient }: { patient: Patient | null }) {
  return (
    <main className="conversation" data-testid="conversation" aria-label="Conversation">
      {patient ? (
        <>
          <ConversationHeader patient={patient} />
          <section className="conversation__body" aria-label="Messages">
            <p className="conversation__placeholder muted">No messages yet</p>
          </section>
        </>
      ) : (
        <div className="conversation__empty">
          <h1>Welcome to CareDesk</h1>
          <p className="muted">Choose a patient on the left to see their numbers and messages.</p>
          <p className="muted">
            Tip: press <kbd>Ctrl</kbd>+<kbd>K</kbd> to search, then <kbd>↓</kbd> to move through the list.
          </p>
        </div>
      )}
    </main>
  );
}
