import type { Patient } from '../../platform';
import { Composer } from './Composer';
import { ConversationHeader } from './ConversationHeader';
import { useDraft, type DraftStore } from './draftStore';
import { chooseRecipient, recipientsOf } from './recipients';
import { Thread } from './Thread';
import type { UnconfiguredRoutes } from './unconfiguredRoutes';

interface Props {
  patient: Patient;
  drafts: DraftStore;
  unconfigured: UnconfiguredRoutes;
}

/** One patient's conversation: header with the call button, thread, composer. */
export function Conversation({ patient, drafts, unconfigured }: Props) {
  const [draft] = useDraft(drafts, patient.id);
  const recipients = recipientsOf(patient);
  const recipient = chooseRecipient(recipients, draft.to);
  return (
    <>
      <ConversationHeader patient={patient} callTo={recipient?.number ?? null} />
      <Thread patient={patient} />
      <Composer
        patient={patient}
        recipients={recipients}
        recipient={recipient}
        draft={draft}
        drafts={drafts}
        unconfigured={unconfigured}
      />
    </>
  );
}
