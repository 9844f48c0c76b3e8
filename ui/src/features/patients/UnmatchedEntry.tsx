import type { UnmatchedSummary } from '../../platform';
import { plural } from '../../shared/plural';
import { UnreadBadge } from './UnreadBadge';

interface Props {
  summary: UnmatchedSummary | undefined;
  open: boolean;
  onOpen: () => void;
}

/** The way into the Unmatched inbox: replies from numbers that belong to no patient. */
export function UnmatchedEntry({ summary, open, onOpen }: Props) {
  const threads = summary?.threads ?? 0;
  const unread = summary?.unread ?? 0;
  const detail = threads === 0 ? 'No replies from unknown numbers' : `Replies from ${plural(threads, 'unknown number')}`;
  return (
    <button
      type="button"
      className={open ? 'unmatched-entry unmatched-entry--open' : 'unmatched-entry'}
      data-testid="unmatched-entry"
      aria-pressed={open}
      aria-label={unread > 0 ? `Unmatched: ${detail}, ${unread} unread` : `Unmatched: ${detail}`}
      onClick={onOpen}
    >
      <span className="unmatched-entry__text">
        <span className="unmatched-entry__title">Unmatched</span>
        <span className="unmatched-entry__detail">{detail}</span>
      </span>
      <UnreadBadge count={unread} />
    </button>
  );
}
