import type { StateWords } from './states';

/** A text's or call's state in words, colored by how it reads. */
export function StateLabel({ words }: { words: StateWords }) {
  return (
    <span className={`state state--${words.tone}`} data-testid="message-state">
      {words.text}
    </span>
  );
}
