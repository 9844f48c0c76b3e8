import type { ThreadTeam } from '../../platform';
import { shortName } from './shortName';
import './team.css';

/** On a patient row in team mode: whose the thread is ("Ana R."), and "Closed". */
export function AssigneeMark({ team }: { team: ThreadTeam | undefined }) {
  if (!team) return null;
  const name = team.assigned_to_name ?? team.assigned_to;
  return (
    <>
      {name ? (
        <span className="assignee" data-testid="assignee" title={`Assigned to ${name}`} dir="auto">
          {shortName(name)}
        </span>
      ) : null}
      {team.status === 'closed' ? <span className="badge badge--neutral">Closed</span> : null}
    </>
  );
}
