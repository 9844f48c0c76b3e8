import type { Patient } from '../../platform';
import { Composer } from './Composer';
import { composerChoice, useRouteDefault } from './composerChoice';
import { ComposerFillContext } from './composerFill';
import { ConversationHeader } from './ConversationHeader';
import { useDraft, type DraftStore } from './draftStore';
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
  // The patient's defaults unless changed in this thread (the draft keeps only what was chosen).
  const choice = composerChoice(patient, draft, useRouteDefault());
  return (
    <>
      <ConversationHeader patient={patient} choice={choice} />
      <ComposerFillContext.Provider
        value={{
          patientId: patient.id,
          fill: (patch) => drafts.update(patient.id, patch),
          current: () => drafts.get(patient.id).text,
        }}
      >
        <Thread patient={patient} />
      </ComposerFillContext.Provider>
      <Composer patient={patient} choice={choice} draft={draft} drafts={drafts} unconfigured={unconfigured} />
    </>
  );
}
