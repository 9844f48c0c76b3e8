import type { Patient } from '../../platform';
import { ComposerModes } from '../team/ComposerModes';
import { NoteComposer } from '../team/NoteComposer';
import { useTeam } from '../team/queries';
import { TeamContext } from '../team/teamContext';
import { usePresenceAnnouncer } from '../team/usePresenceAnnouncer';
import { useWriting } from '../team/useWriting';
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

/**
 * One patient's conversation: header with the call button, thread, composer. In team mode
 * also the thread's owner, Close, who else is here, internal notes, and "who sent it".
 */
export function Conversation({ patient, drafts, unconfigured }: Props) {
  const [draft] = useDraft(drafts, patient.id);
  // The patient's defaults unless changed in this thread (the draft keeps only what was chosen).
  const choice = composerChoice(patient, draft, useRouteDefault());
  const team = useTeam();
  usePresenceAnnouncer(patient.id, useWriting(draft.text), team !== null);
  const composer = (
    <Composer patient={patient} choice={choice} draft={draft} drafts={drafts} unconfigured={unconfigured} />
  );
  return (
    <TeamContext.Provider value={team}>
      <ConversationHeader patient={patient} choice={choice} team={team} />
      <ComposerFillContext.Provider
        value={{
          patientId: patient.id,
          fill: (patch) => drafts.update(patient.id, patch),
          current: () => drafts.get(patient.id).text,
        }}
      >
        <Thread patient={patient} />
      </ComposerFillContext.Provider>
      {team ? <ComposerModes text={composer} note={<NoteComposer patientId={patient.id} />} /> : composer}
    </TeamContext.Provider>
  );
}
