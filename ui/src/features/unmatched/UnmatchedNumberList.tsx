import { useEffect, useId } from 'react';
import type { UnmatchedThread } from '../../platform';
import { listTime } from '../conversation/days';
import { revealInvisibles } from '../conversation/invisibles';
import { parseTimestamp } from '../conversation/time';
import { UnreadBadge } from '../patients/UnreadBadge';
import { useListboxCursor } from '../patients/useListboxCursor';

interface Props {
  threads: UnmatchedThread[];
  selected: string | null;
  onOpen: (number: string) => void;
}

function LastTime({ at }: { at: string }) {
  const date = parseTimestamp(at);
  return date ? <time dateTime={date.toISOString()}>{listTime(date)}</time> : null;
}

/** The unknown numbers as a listbox: arrows move, Enter or a click opens. */
export function UnmatchedNumberList({ threads, selected, onOpen }: Props) {
  const baseId = useId();
  const cursor = useListboxCursor(threads, (t) => t.number, (t) => onOpen(t.number));
  const activeIndex = threads.findIndex((t) => t.number === cursor.activeKey);
  const optionId = (index: number) => `${baseId}-number-${index}`;
  const activeOption = activeIndex >= 0 ? optionId(activeIndex) : undefined;

  useEffect(() => {
    if (activeOption) document.getElementById(activeOption)?.scrollIntoView?.({ block: 'nearest' });
  }, [activeOption]);

  return (
    <ul
      className="unmatched-list"
      role="listbox"
      aria-label="Unknown numbers"
      data-testid="unmatched-list"
      tabIndex={0}
      aria-activedescendant={activeOption}
      onKeyDown={cursor.onKeyDown}
      onFocus={() => cursor.enter(selected)}
    >
      {threads.map((thread, index) => {
        const classes = ['unmatched-row'];
        if (thread.number === selected) classes.push('unmatched-row--selected');
        if (index === activeIndex) classes.push('unmatched-row--active');
        return (
          <li
            key={thread.number}
            id={optionId(index)}
            role="option"
            aria-selected={thread.number === selected}
            className={classes.join(' ')}
            data-testid="unmatched-row"
            onClick={() => {
              cursor.setActiveKey(thread.number);
              onOpen(thread.number);
            }}
          >
            <div className="unmatched-row__top">
              <span className="unmatched-row__number">{thread.display}</span>
              <LastTime at={thread.last.at} />
            </div>
            <div className="unmatched-row__preview">
              <span dir="auto">{revealInvisibles(thread.last.preview)}</span>
              <UnreadBadge count={thread.unread} />
            </div>
          </li>
        );
      })}
    </ul>
  );
}
