import { splitInvisibles } from './invisibles';

/**
 * A message body, only ever as React text. dir="auto" and the isolating CSS keep
 * right-to-left text from reordering what is around it; invisible format characters
 * (bidi overrides, zero-width spaces) show as visible escapes like ⟨U+202E⟩.
 */
export function MessageText({ text, className }: { text: string; className: string }) {
  return (
    <p className={className} dir="auto">
      {splitInvisibles(text).map((part, i) =>
        part.kind === 'text' ? (
          part.text
        ) : (
          <span key={i} className="invisible-char" title={`Hidden character: ${part.name}`}>
            {part.escape}
          </span>
        ),
      )}
    </p>
  );
}
