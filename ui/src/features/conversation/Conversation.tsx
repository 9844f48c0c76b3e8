import type { Patient } from '../../platform';
import { Composer } from './Composer';
import { ComposerFillContext } from './composerFill';
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
  // Calls never go to a number the patient no longer uses: the first current one instead.
  const callTo = recipient?.active ? recipient : chooseRecipient(recipients, null);
  return (
    <>
      <ConversationHeader patient={patient} callTo={callTo?.number ?? null} />
      <ComposerFillContext.Provider
        value={{
          patientId: patient.id,
          fill: (patch) => drafts.update(patient.id, patch),
          current: () => drafts.get(patient.id).text,
        }}
      >
        <Thread patient={patient} />
      </ComposerFillContext.Provider>
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
