import { useEffect, useRef } from 'react';
import type { ThreadItem } from '../../platform';
import { itemKey } from './threadRows';

function newestInboundKey(items: ThreadItem[]): string | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.direction === 'inbound') return itemKey(item);
  }
  return null;
}

/** Not loaded yet: the mark made on opening covers what the first load shows. */
const OPENING = Symbol('opening');

/**
 * Marks a thread read when it opens, and again when a reply arrives while the
 * coordinator is looking at it (the window has focus) or once they come back to the window.
 * `thread` names the thread (a patient id, a number); `items` is undefined until loaded.
 */
export function useMarkReadWhileOpen(thread: string | number, items: ThreadItem[] | undefined, markRead: () => void) {
  const newestInbound = items ? newestInboundKey(items) : OPENING;
  const marked = useRef<string | null | typeof OPENING>(OPENING);
  const markReadRef = useRef(markRead);
  markReadRef.current = markRead;

  useEffect(() => {
    marked.current = OPENING;
    markReadRef.current();
  }, [thread]);

  useEffect(() => {
    function markIfNew() {
      if (newestInbound === OPENING || marked.current === newestInbound) return;
      const first = marked.current === OPENING;
      marked.current = newestInbound;
      if (!first) markReadRef.current();
    }
    if (marked.current === OPENING || document.hasFocus()) markIfNew();
    window.addEventListener('focus', markIfNew);
    return () => window.removeEventListener('focus', markIfNew);
  }, [thread, newestInbound]);
}
