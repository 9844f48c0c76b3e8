import { splitInvisibles } from './invisibles';
import { highlightRuns } from './search/fold';

interface Props {
  text: string;
  className: string;
  /** A thread search: its matches are marked (as elements, the text stays text). */
  highlight?: string;
}

/**
 * A message body, only ever as React text. dir="auto" and the isolating CSS keep
 * right-to-left text from reordering what is around it; invisible format characters
 * (bidi overrides, zero-width spaces) show as visible escapes like ⟨U+202E⟩. Matches of a
 * thread search are cut out of the text and wrapped in <mark>, never built from markup.
 */
export function MessageText({ text, className, highlight = '' }: Props) {
  return (
    <p className={className} dir="auto">
      {splitInvisibles(text).map((part, i) =>
        part.kind === 'text' ? (
          highlight === '' ? (
            part.text
          ) : (
            highlightRuns(part.text, highlight).map((run, j) =>
              run.hit ? (
                <mark key={`${i}-${j}`} className="search-hit" data-testid="search-hit">
                  {run.text}
                </mark>
              ) : (
                run.text
              ),
            )
          )
        ) : (
          <span key={i} className="invisible-char" title={`Hidden character: ${part.name}`}>
            {part.escape}
          </span>
        ),
      )}
    </p>
  );
}
