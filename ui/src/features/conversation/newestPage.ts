import type { InfiniteData } from '@tanstack/react-query';
import type { ThreadPage } from '../../platform';
import { itemKey } from './threadRows';

export type ThreadPages = InfiniteData<ThreadPage, string | null>;

/**
 * Folds a fresh copy of the newest page into the loaded pages, so polling a long thread
 * reads one page instead of all of them. The fresh page is right about its window (new
 * texts, changed states, texts gone); the loaded texts older than that window stay, and so
 * does the cursor for the page before them. When the fresh page does not reach back to
 * anything loaded (many texts arrived at once), the thread starts over from the fresh page.
 */
export function mergeNewestPage(data: ThreadPages | undefined, fresh: ThreadPage): ThreadPages | undefined {
  const first = data?.pages[0];
  if (!data || !first) return data;
  const freshKeys = new Set(fresh.items.map(itemKey));
  const overlap = first.items.findIndex((item) => freshKeys.has(itemKey(item)));
  if (overlap < 0) {
    if (first.items.length > 0 && fresh.older !== null) return { pages: [fresh], pageParams: [null] };
    // Nothing loaded yet, or the fresh page is the whole thread.
    return { pages: [fresh, ...data.pages.slice(1)], pageParams: data.pageParams };
  }
  const merged: ThreadPage = { items: [...first.items.slice(0, overlap), ...fresh.items], older: first.older };
  return { pages: [merged, ...data.pages.slice(1)], pageParams: data.pageParams };
}
