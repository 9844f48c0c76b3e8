import { ErrorMessage } from '../../shared/ErrorMessage';

/** Paging backwards through a long thread. */
export interface OlderPages {
  hasMore: boolean;
  loading: boolean;
  error: unknown;
  load: () => void;
}

/** The top of a paged thread: a button for older messages (also loaded by scrolling up), or where it starts. */
export function OlderPagesRow({ older }: { older: OlderPages }) {
  if (!older.hasMore) return <p className="thread__start muted">Start of the conversation</p>;
  return (
    <div className="thread__older">
      <ErrorMessage error={older.error} context="Could not load older messages" />
      <button type="button" className="button button--ghost" disabled={older.loading} onClick={older.load}>
        {older.loading ? 'Loading older messages…' : 'Load older messages'}
      </button>
    </div>
  );
}
