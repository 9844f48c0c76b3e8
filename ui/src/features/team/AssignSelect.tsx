import type { AssignTo, TeamThread, TeamView } from '../../platform';

interface Props {
  team: TeamView;
  thread: TeamThread | undefined;
  disabled: boolean;
  onAssign: (to: AssignTo) => void;
}

const NOBODY = '';

/** "Assigned to: Unassigned / Me (Ana Ruiz) / Ben Ortiz …": the thread's owner, from the team's members. */
export function AssignSelect({ team, thread, disabled, onAssign }: Props) {
  const me = team.me;
  const current = thread?.assigned_to ?? NOBODY;
  const others = team.members.filter((m) => m.role !== me?.role);
  // An assignee the members list does not have (yet): still shown as it is.
  const unknown = current !== NOBODY && current !== me?.role && !others.some((m) => m.role === current);

  function choose(value: string) {
    if (value === NOBODY) onAssign({ to: 'nobody' });
    else if (value === me?.role) onAssign({ to: 'me' });
    else onAssign({ to: 'member', role: value });
  }

  return (
    <label className="team-bar__assign">
      <span>Assigned to</span>
      <select
        className="input"
        aria-label="Assigned to"
        data-testid="assign-select"
        value={current}
        disabled={disabled || thread === undefined}
        onChange={(e) => choose(e.target.value)}
      >
        <option value={NOBODY}>Unassigned</option>
        {me ? <option value={me.role}>{`Me (${me.name})`}</option> : null}
        {others.map((m) => (
          <option key={m.role} value={m.role}>
            {m.name}
          </option>
        ))}
        {unknown ? <option value={current}>{thread?.assigned_to_name ?? current}</option> : null}
      </select>
    </label>
  );
}
