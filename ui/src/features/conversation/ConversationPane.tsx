import type { Patient } from '../../platform';
import { Conversation } from './Conversation';
import type { DraftStore } from './draftStore';
import type { UnconfiguredRoutes } from './unconfiguredRoutes';
import './conversation.css';

interface Props {
  patient: Patient | null;
  /** Owned by the shell, so drafts outlive switching patients and visiting the Unmatched inbox. */
  drafts: DraftStore;
  unconfigured: UnconfiguredRoutes;
}

/** Main area: the selected patient's conversation, or a welcome note. */
export function ConversationPane({ patient, drafts, unconfigured }: Props) {
  return (
    <main className="conversation" data-testid="conversation" aria-label="Conversation">
      {patient ? (
        <Conversation key={patient.id} patient={patient} drafts={drafts} unconfigured={unconfigured} />
      ) : (
        <div className="conversation__empty">
          <h1>Welcome to CareDesk</h1>
          <p className="muted">Choose a patient on the left to see their numbers and messages.</p>
          <p className="muted">
            Tip: press <kbd>Ctrl</kbd>+<kbd>K</kbd> to search, <kbd>↓</kbd> to move through the list and <kbd>Enter</kbd>{' '}
            to open a conversation.
          </p>
        </div>
      )}
    </main>
  );
}
