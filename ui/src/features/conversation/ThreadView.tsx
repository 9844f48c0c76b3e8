import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { Note, ThreadItem } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import type { OlderPages } from './OlderPagesRow';
import type { NumberLabeler } from './recipients';
import { buildThreadRows } from './threadRows';
import { estimateRowSize, ThreadRowView } from './ThreadRowView';
import { THREAD_TOP_PX, ThreadTop } from './ThreadTop';
import { AT_END_PX, useThreadScroll } from './useThreadScroll';
import './thread.css';

interface Props {
  /** Oldest first. */
  items: ThreadItem[];
  labelFor: NumberLabeler;
  pending: boolean;
  error: unknown;
  /** Absent when the whole thread is loaded at once. */
  older?: OlderPages;
  /** An item to bring into view (a search hit) once it is loaded, by its key. */
  focusKey?: string | null;
  /** Team mode: internal notes, placed among the items by time. */
  notes?: Note[];
}

const NO_NOTES: Note[] = [];

/** Space between rows, in pixels. */
const ROW_GAP = 12;

/**
 * A thread of any length, virtualized: only the rows near the view are in the DOM, and
 * the virtualizer sets their positions through the CSSOM (no style attributes, for the CSP).
 * Opens at the newest item; older pages load when scrolled near the top, keeping the view still.
 */
export function ThreadView({ items, labelFor, pending, error, older, focusKey = null, notes = NO_NOTES }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { firstDay, rows } = useMemo(() => buildThreadRows(items, new Date(), notes), [items, notes]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => estimateRowSize(rows[index]),
    getItemKey: (index) => rows[index]?.key ?? index,
    gap: ROW_GAP,
    paddingStart: THREAD_TOP_PX,
    paddingEnd: 16,
    overscan: 6,
    // Chat-style: rows added above keep the view where it is, rows added below follow when at the end.
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: AT_END_PX,
    directDomUpdates: true,
  });

  const last = items[items.length - 1];
  const scroll = useThreadScroll({ scrollRef, virtualizer, newest: last ?? null, older });

  // A search hit: into the middle of the view once its page is loaded (then left alone).
  const focusIndex = focusKey === null ? -1 : rows.findIndex((row) => row.key === focusKey);
  const focused = useRef<string | null>(null);
  useLayoutEffect(() => {
    if (focusKey === null) focused.current = null;
    if (focusKey === null || focusIndex < 0 || focused.current === focusKey) return;
    focused.current = focusKey;
    virtualizer.scrollToIndex(focusIndex, { align: 'center' });
  }, [focusKey, focusIndex]);

  return (
    <div className="thread-pane">
      {rows.length > 0 ? <ErrorMessage error={error} context="Could not load messages" /> : null}
      <div
        ref={scrollRef}
        className="thread"
        data-testid="thread"
        role="log"
        aria-live="polite"
        aria-label="Messages"
        aria-busy={(older?.loading ?? false) || virtualizer.isScrolling}
        tabIndex={0}
        onScroll={scroll.onScroll}
      >
        {rows.length === 0 ? (
          <>
            <ErrorMessage error={error} context="Could not load messages" />
            {pending ? <p className="thread__note muted">Loading messages…</p> : null}
            {!pending && !error ? <p className="thread__note muted">No messages yet</p> : null}
          </>
        ) : (
          <div ref={virtualizer.containerRef} className="thread__sizer">
            <ThreadTop older={older} firstDay={firstDay} />
            {virtualizer.getVirtualItems().map((virtual) => {
              const row = rows[virtual.index];
              if (!row) return null;
              return (
                <div key={virtual.key} ref={virtualizer.measureElement} data-index={virtual.index} className="thread__row">
                  <ThreadRowView row={row} labelFor={labelFor} />
                </div>
              );
            })}
          </div>
        )}
      </div>
      {scroll.unseen ? (
        <button type="button" className="button thread__jump" onClick={scroll.jumpToNewest}>
          New messages ↓
        </button>
      ) : null}
    </div>
  );
}
