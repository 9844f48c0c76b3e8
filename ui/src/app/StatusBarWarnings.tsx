import type { Route, RoutePause, UnreadableMessage } from '../platform';
import { useSyncStatus } from '../features/sync/queries';
import { formatClock, parseInstant } from '../features/sync/time';
import { plural } from '../shared/plural';
import { asSentence } from '../shared/sentence';

const SERVERS: Record<Route, string> = {
  his: 'the hospital SMS server',
  ecm: 'the ECM Communications API',
};

/** "12:04:31" today, with the date before it on another day; the text as it came when it is not a time. */
function moment(iso: string, now: Date): string {
  const at = parseInstant(iso);
  if (!at) return iso;
  return at.toDateString() === now.toDateString() ? formatClock(at) : `${at.toLocaleDateString()} ${formatClock(at)}`;
}

/**
 * A route whose server refused CareDesk's credentials: nothing goes by it until the secret is
 * replaced. Only stable words here (the bar is a live region): no countdown to the next try.
 */
function PausedRoute({ pause, onOpenSettings }: { pause: RoutePause; onOpenSettings: (() => void) | undefined }) {
  return (
    <div className="status-bar__paused" data-testid="route-paused" data-route={pause.route}>
      <p className="status-bar__paused-text">
        <strong>Sending paused:</strong> {SERVERS[pause.route]} refused CareDesk&apos;s credentials. Texts wait in the
        outbox; replace the secret in Settings to resume.{' '}
        <span className="status-bar__paused-reason" data-testid="route-paused-reason">
          {asSentence(pause.reason)}
        </span>{' '}
        <span className="status-bar__paused-since">
          Paused since {moment(pause.since, new Date())}; one waiting text is tried again every 5 minutes.
        </span>
      </p>
      {onOpenSettings ? (
        <button type="button" className="button status-bar__button" onClick={onOpenSettings}>
          Open Settings
        </button>
      ) : null}
    </div>
  );
}

const KINDS: Record<UnreadableMessage['kind'], string> = {
  Incoming: 'reply',
  Outgoing: 'sent message',
};

/** Messages the hospital SMS server listed that could not be read; which ones, on demand. */
function UnreadableMessages({ messages }: { messages: UnreadableMessage[] }) {
  const n = messages.length;
  return (
    <div className="status-bar__unreadable" data-testid="unreadable-messages">
      <p className="status-bar__warning">
        {plural(n, 'message')} from the hospital SMS server could not be read and {n === 1 ? 'was' : 'were'} skipped
      </p>
      <details className="status-bar__details">
        <summary>Which messages, and why</summary>
        <ul className="status-bar__unreadable-list">
          {messages.map((m) => (
            <li key={`${m.kind}:${m.his_id}`} data-testid="unreadable-message">
              <span className="mono">{m.his_id}</span> ({KINDS[m.kind] ?? m.kind}): {m.reason}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

/** What needs a person's attention besides the last error: paused routes and unreadable messages. */
export function StatusBarWarnings({ onOpenSettings }: { onOpenSettings?: (() => void) | undefined }) {
  const view = useSyncStatus().data;
  if (!view) return null;
  if (view.paused.length === 0 && view.unreadable.length === 0) return null;
  return (
    <div className="status-bar__warnings" data-testid="sync-warnings">
      {view.paused.map((pause) => (
        <PausedRoute key={pause.route} pause={pause} onOpenSettings={onOpenSettings} />
      ))}
      {view.unreadable.length > 0 ? <UnreadableMessages messages={view.unreadable} /> : null}
    </div>
  );
}
