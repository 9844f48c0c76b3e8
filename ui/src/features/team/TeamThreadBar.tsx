import { errorMessage, type TeamView } from '../../platform';
import { AssignSelect } from './AssignSelect';
import { PresenceLine } from './PresenceLine';
import { useAssignThread, useCloseThread, useTeamThread } from './queries';
import './team.css';

interface Props {
  patientId: number;
  team: TeamView;
}

/** The thread header's team line: who owns the thread, Close / Reopen, and who else is here. */
export function TeamThreadBar({ patientId, team }: Props) {
  const thread = useTeamThread(patientId, true).data?.thread;
  const assign = useAssignThread(patientId);
  const close = useCloseThread(patientId);
  const closed = thread?.status === 'closed';
  const busy = assign.isPending || close.isPending;
  const problem = assign.error ?? close.error;
  return (
    <div className="team-bar" data-testid="team-bar">
      <AssignSelect team={team} thread={thread} disabled={busy} onAssign={(to) => assign.mutate(to)} />
      {closed ? (
        <span className="badge badge--neutral" data-testid="thread-closed">
          Closed
        </span>
      ) : null}
      <button
        type="button"
        className="button"
        data-testid="close-thread"
        disabled={busy || thread === undefined}
        title={closed ? 'Open the thread again' : 'Done for now: the thread leaves the open views until a new reply'}
        onClick={() => close.mutate(!closed)}
      >
        {closed ? 'Reopen' : 'Close'}
      </button>
      {thread?.pending ? (
        <span className="team-bar__pending muted" title="This desk's change waits for the team database">
          Saving…
        </span>
      ) : null}
      <span className="team-bar__spacer" />
      <PresenceLine patientId={patientId} />
      {problem ? (
        <p className="error-message team-bar__problem" role="alert">
          {errorMessage(problem)}
        </p>
      ) : null}
    </div>
  );
}
