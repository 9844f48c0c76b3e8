// A thread search matches case and accents aside. The backend decides which texts match
// (src-tauri/core/src/store/thread_search.rs, `fold`); this folds the same way, character by
// character, so the window can find the match inside the text it shows and highlight it.

const MARK = /\p{M}/u;

/** One character (code point) folded: decomposed (NFKD), marks dropped, lower case. */
function foldChar(char: string): string {
  if (char.length === 1 && char.charCodeAt(0) < 0x80) return char.toLowerCase();
  let out = '';
  for (const part of char.normalize('NFKD')) {
    if (MARK.test(part)) continue;
    for (const lower of part.toLowerCase()) {
      if (!MARK.test(lower)) out += lower;
    }
  }
  return out;
}

interface Folded {
  folded: string;
  /** For each UTF-16 unit of `folded`, where the character it came from starts in the text. */
  from: number[];
  /** For each such unit, where that character ends in the text. */
  to: number[];
}

function foldWithMap(text: string): Folded {
  let folded = '';
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < text.length; ) {
    const char = String.fromCodePoint(text.codePointAt(i)!);
    const out = foldChar(char);
    for (let k = 0; k < out.length; k++) {
      from.push(i);
      to.push(i + char.length);
    }
    folded += out;
    i += char.length;
  }
  return { folded, from, to };
}

/** The text as a thread search compares it. */
export function fold(text: string): string {
  return foldWithMap(text).folded;
}

/** Whether a search would find nothing at all (empty, or only spaces). */
export function isBlankSearch(query: string): boolean {
  return fold(query).trim() === '';
}

/** Where `query` occurs in `text`, case and accents aside: [start, end) ranges of `text`, in order. */
export function findMatches(text: string, query: string): [number, number][] {
  if (isBlankSearch(query)) return [];
  const needle = fold(query);
  const { folded, from, to } = foldWithMap(text);
  const found: [number, number][] = [];
  for (let at = folded.indexOf(needle); at >= 0; at = folded.indexOf(needle, at + needle.length)) {
    let end = to[at + needle.length - 1]!;
    // The accents on the last letter belong to the match (they fold to nothing).
    while (end < text.length && MARK.test(String.fromCodePoint(text.codePointAt(end)!))) {
      end += String.fromCodePoint(text.codePointAt(end)!).length;
    }
    found.push([from[at]!, end]);
  }
  return found;
}

/** A text cut into runs, `hit` where the search matched. */
export function highlightRuns(text: string, query: string): { text: string; hit: boolean }[] {
  const runs: { text: string; hit: boolean }[] = [];
  let last = 0;
  for (const [start, end] of findMatches(text, query)) {
    if (start < last) continue;
    if (start > last) runs.push({ text: text.slice(last, start), hit: false });
    runs.push({ text: text.slice(start, end), hit: true });
    last = end;
  }
  if (last < text.length || runs.length === 0) runs.push({ text: text.slice(last), hit: false });
  return runs;
}
