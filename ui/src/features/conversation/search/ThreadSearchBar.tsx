import { useEffect, useRef, type KeyboardEvent } from 'react';
import { errorMessage } from '../../../platform';
import type { ThreadSearchState } from './useThreadSearch';
import './search.css';

interface Props {
  search: ThreadSearchState;
  /** Ctrl+F again: back to the box, its text selected. */
  focusSignal: number;
  onClose: () => void;
}

/** "3 of 12", "No matches", "Searching…", or nothing before anything is typed. */
export function searchCount(search: ThreadSearchState): string {
  if (search.text.trim() === '') return '';
  if (search.pending && search.hits.length === 0) return 'Searching…';
  if (search.error) return `Search failed: ${errorMessage(search.error)}`;
  if (search.hits.length === 0) return 'No matches';
  return `${search.index + 1} of ${search.hits.length}${search.more ? '+' : ''}`;
}

/**
 * The search bar over a thread (Ctrl+F): Enter or ↑ goes to the older match, Shift+Enter
 * or ↓ to the newer one, Esc closes. Matches are counted over the whole thread.
 */
export function ThreadSearchBar({ search, focusSignal, onClose }: Props) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [focusSignal]);

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    switch (event.key) {
      case 'Enter':
        if (event.shiftKey) search.previous();
        else search.next();
        break;
      case 'ArrowUp':
        search.next();
        break;
      case 'ArrowDown':
        search.previous();
        break;
      case 'Escape':
        onClose();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  const none = search.hits.length === 0;
  return (
    <div className="thread-search" role="search" aria-label="Search this conversation" data-testid="thread-search">
      <input
        ref={input}
        type="search"
        className="input thread-search__input"
        aria-label="Search this conversation"
        placeholder="Search this conversation"
        value={search.text}
        onChange={(e) => search.setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <span className="thread-search__count" aria-live="polite" data-testid="thread-search-count">
        {searchCount(search)}
      </span>
      <button
        type="button"
        className="button button--ghost thread-search__step"
        aria-label="Older match"
        title="Older match (Enter, ↑)"
        disabled={none}
        onClick={search.next}
      >
        ↑
      </button>
      <button
        type="button"
        className="button button--ghost thread-search__step"
        aria-label="Newer match"
        title="Newer match (Shift+Enter, ↓)"
        disabled={none}
        onClick={search.previous}
      >
        ↓
      </button>
      <button
        type="button"
        className="button button--ghost thread-search__step"
        aria-label="Close search"
        title="Close (Esc)"
        onClick={onClose}
      >
        ✕
      </button>
    </div>
  );
}
