import { useState, type KeyboardEvent } from 'react';

type Key = string | number;

/**
 * The keyboard cursor of a listbox that opens items on Enter (selection does not follow
 * focus, so moving through the list does not open, or mark read, every thread on the way).
 * Up/Down/Home/End move the cursor; Enter or Space opens the item under it.
 */
export function useListboxCursor<T>(items: T[], keyOf: (item: T) => Key, onOpen: (item: T) => void) {
  const [activeKey, setActiveKey] = useState<Key | null>(null);
  const activeIndex = items.findIndex((item) => keyOf(item) === activeKey);

  /** Puts the cursor on `preferred` (e.g. the open thread) or the first item, unless it is already on one. */
  function enter(preferred: Key | null = null) {
    if (activeIndex >= 0) return;
    const start = items.find((item) => keyOf(item) === preferred) ?? items[0];
    if (start !== undefined) setActiveKey(keyOf(start));
  }

  function onKeyDown(event: KeyboardEvent<HTMLElement>) {
    const last = items.length - 1;
    if (last < 0) return;
    let next: number;
    switch (event.key) {
      case 'ArrowDown':
        next = activeIndex < 0 ? 0 : Math.min(activeIndex + 1, last);
        break;
      case 'ArrowUp':
        next = activeIndex < 0 ? last : Math.max(activeIndex - 1, 0);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = last;
        break;
      case 'Enter':
      case ' ': {
        event.preventDefault();
        const item = items[activeIndex];
        if (item !== undefined) onOpen(item);
        return;
      }
      default:
        return;
    }
    event.preventDefault();
    setActiveKey(keyOf(items[next]!));
  }

  return { activeKey: activeIndex >= 0 ? activeKey : null, setActiveKey, enter, onKeyDown };
}
