import { errorMessage, type SyncView } from '../platform';
import { formatAgo, formatClock, formatIn, parseInstant } from '../features/sync/time';
import { useSyncNow, useSyncStatus } from '../features/sync/queries';
import { useNow } from '../shared/useNow';

/** "Last sync 12:04:31 · 5 s ago": the ticking part is hidden from screen readers (the bar is a live region). */
function LastSync({ view, now }: { view: SyncView; now: Date }) {
  const last = parseInstant(view.last_sync);
  if (!last) return <span data-testid="last-sync">Not synced yet</span>;
  return (
    <span data-testid="last-sync">
      Last sync {formatClock(last)}
      <span aria-hidden="true" className="status-bar__relative">
        {' '}
        · {formatAgo(last, now)}
      </span>
    </span>
  );
}

function NextSync({ view, now }: { view: SyncView; now: Date }) {
  const next = parseInstant(view.next_sync);
  if (view.syncing || !next) return null;
  return (
    <span data-testid="next-sync">
      Next sync {formatClock(next)}
      <span aria-hidden="true" className="status-bar__relative">
        {' '}
        · {formatIn(next, now)}
      </span>
    </span>
  );
}

/** The background sync: running or when it last ran, when it runs next, and Sync now. */
export function StatusBarSync() {
  const status = useSyncStatus();
  const syncNow = useSyncNow();
  const now = useNow(1_000);
  const view = status.data;

  return (
    <>
      {view?.syncing ? (
        <span className="status-bar__syncing" data-testid="syncing">
          Syncing now…
        </span>
      ) : null}
      {view ? <LastSync view={view} now={now} /> : null}
      {view ? <NextSync view={view} now={now} /> : null}
      <button
        type="button"
        className="button status-bar__button"
        disabled={syncNow.isPending || view?.syncing === true}
        onClick={() => syncNow.mutate()}
      >
        {syncNow.isPending ? 'Asking…' : 'Sync now'}
      </button>
      {syncNow.error ? (
        <span className="status-bar__error" role="alert">
          Sync now failed: {errorMessage(syncNow.error)}
        </span>
      ) : null}
    </>
  );
}

/** What went wrong with the last sync (or reading its status), in words, on its own line. */
export function StatusBarSyncProblem() {
  const status = useSyncStatus();
  const view = status.data;
  const problem = view
    ? view.last_error && `Sync problem: ${view.last_error}`
    : status.error && `Sync status unavailable: ${errorMessage(status.error)}`;
  if (!problem) return null;
  return (
    <p className="status-bar__problem" data-testid="sync-error">
      {problem}
    </p>
  );
}
