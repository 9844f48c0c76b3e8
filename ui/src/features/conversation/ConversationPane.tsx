import { useState } from 'react';
import type { Patient } from '../../platform';
import { Conversation } from './Conversation';
import { createDraftStore } from './draftStore';
import './conversation.css';

/** Main area: the selected patient's conversation, or a welcome note. */
export function ConversationPane({ patient }: { patient: Patient | null }) {
  // Drafts outlive switching patients: the pane stays mounted, each Conversation does not.
  const [drafts] = useState(createDraftStore);
  return (
    <main className="conversation" data-testid="conversation" aria-label="Conversation">
      {patient ? (
        <Conversation key={patient.id} patient={patient} drafts={drafts} />
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
