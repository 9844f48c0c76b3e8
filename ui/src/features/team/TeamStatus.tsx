import type { TeamSyncStatus } from '../../platform';
import { plural } from '../../shared/plural';
import './team.css';

/**
 * Which desk polls the hospital SMS server's inbox, in words, when the team sync's status
 * says (the poller election adds `poller` to TeamSyncStatus: a name, or who holds the lock
 * with `this_desk`); null while it does not.
 */
export function pollerOf(team: TeamSyncStatus): string | null {
  const poller: unknown = 'poller' in team ? (team as { poller?: unknown }).poller : null;
  if (typeof poller === 'string') return poller.trim() === '' ? null : poller;
  if (poller === null || typeof poller !== 'object') return null;
  const p = poller as { name?: unknown; role?: unknown; this_desk?: unknown };
  if (p.this_desk === true) return 'this desk';
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
