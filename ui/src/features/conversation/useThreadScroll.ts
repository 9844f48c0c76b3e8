import type { Virtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { ThreadItem } from '../../platform';
import type { OlderPages } from './OlderPagesRow';
import { itemKey } from './threadRows';

/** Within this many pixels of the bottom counts as reading the newest. */
export const AT_END_PX = 48;
/** Older pages load once the view is this close to the top. */
export const LOAD_OLDER_PX = 600;

interface Options {
  scrollRef: RefObject<HTMLDivElement | null>;
  virtualizer: Virtualizer<HTMLDivElement, Element>;
  newest: ThreadItem | null;
  older: OlderPages | undefined;
}

/**
 * Where the thread view should be: at the newest item when it opens; following new
 * items while at the end (the virtualizer does that) or when we sent them; otherwise
 * offering a "New messages" jump instead of pulling the reader away. Loads older
 * pages near the top.
 */
export function useThreadScroll({ scrollRef, virtualizer, newest, older }: Options) {
  const [unseen, setUnseen] = useState(false);
  const atEnd = useRef(true);
  const opened = useRef(false);
  const lastNewest = useRef<string | null>(null);
  const olderRef = useRef(older);
  olderRef.current = older;

  function loadOlderIfNear() {
    const el = scrollRef.current;
    const pages = olderRef.current;
    if (!el || !opened.current || !pages || !pages.hasMore || pages.loading || pages.error) return;
    const scrollable = el.scrollHeight - el.clientHeight;
    if (el.scrollTop < LOAD_OLDER_PX || scrollable < LOAD_OLDER_PX) pages.load();
  }

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_PX;
    if (atEnd.current) setUnseen(false);
    loadOlderIfNear();
  }

  const newestKey = newest ? itemKey(newest) : null;
  useLayoutEffect(() => {
    if (newestKey === null) return;
    const previous = lastNewest.current;
    lastNewest.current = newestKey;
    if (previous === newestKey) return;
    if (previous === null || newest?.direction === 'outbound') {
      // Opening the thread, or a text we just sent: show the newest.
      virtualizer.scrollToEnd();
      atEnd.current = true;
      opened.current = true;
      setUnseen(false);
    } else if (!atEnd.current) {
      setUnseen(true);
    }
  }, [newestKey]);

  // A short first page may not fill the view, so no scroll would ever ask for more.
  useLayoutEffect(loadOlderIfNear, [older?.hasMore, older?.loading, virtualizer.getTotalSize()]);

  function jumpToNewest() {
    virtualizer.scrollToEnd();
    atEnd.current = true;
    setUnseen(false);
    scrollRef.current?.focus();
  }

  return { unseen, onScroll, jumpToNewest };
}
