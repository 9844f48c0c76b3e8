import type { TeamSyncStatus } from '../../platform';
import { plural } from '../../shared/plural';
import './team.css';

/**
 * Which desk polls the hospital SMS server's inbox, when the team sync's status says (the
 * poller election adds `poller` to TeamSyncStatus; until then nothing shows).
 */
export function pollerOf(team: TeamSyncStatus): string | null {
  const poller = 'poller' in team ? (team as { poller?: unknown }).poller : null;
  return typeof poller === 'string' && poller.trim() !== '' ? poller : null;
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
