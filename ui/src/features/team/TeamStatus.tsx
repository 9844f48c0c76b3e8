import type { TeamSyncStatus } from '../../platform';
import { plural } from '../../shared/plural';
import './team.css';

/**
 * Which desk polls the hospital SMS server's inbox for the team, in words ("this desk",
 * "Ben Ortiz's desk"), as the team sync last read it; null while no desk does or it is unknown.
 */
export function pollerOf(team: TeamSyncStatus): string | null {
  const p = team.poller;
  if (!p) return null;
  if (p.this_desk) return 'this desk';
  const who = [p.name, p.role].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  return who ? `${who}'s desk` : null;
}

/**
 * The status bar's team part: "Team connected" or "Team offline · 3 changes waiting", and
 * which desk polls the inbox. Nothing on a desk alone (`team` null).
 */
export function TeamStatus({ team }: { team: TeamSyncStatus | null | undefined }) {
  if (!team || team.link === 'off') return null;
  const waiting = team.waiting > 0 ? ` · ${plural(team.waiting, 'change')} waiting` : '';
  const poller = pollerOf(team);
  const connected = team.link === 'connected';
  return (
    <span
      className={connected ? 'team-status' : 'team-status team-status--offline'}
      data-testid="team-status"
      title={connected ? undefined : (team.last_error ?? 'The team database cannot be reached')}
    >
      {connected ? 'Team connected' : 'Team offline'}
      {waiting}
      {poller ? <span data-testid="team-poller">{` · inbox polled by ${poller}`}</span> : null}
    </span>
  );
}
