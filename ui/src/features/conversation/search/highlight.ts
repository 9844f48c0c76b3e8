import { createContext, useContext } from 'react';

/** What the thread highlights: every match of the search, and the hit shown. */
export interface SearchHighlight {
  /** The search; '' when there is none. */
  query: string;
  /** The item key (threadRows' itemKey) of the hit shown. */
  currentKey: string | null;
}

export const SearchHighlightContext = createContext<SearchHighlight>({ query: '', currentKey: null });

export function useSearchHighlight(): SearchHighlight {
  return useContext(SearchHighlightContext);
}
