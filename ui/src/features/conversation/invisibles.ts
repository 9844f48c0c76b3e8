// Invisible format characters can hide text or reorder it on screen (a right-to-left
// override turns "exe.txt" into "txt.exe"). In a message they are shown as visible
// escapes instead, so what staff read is what was sent.

/** Names of the format characters we make visible. */
const NAMES: Record<number, string> = {
  0x200b: 'zero width space',
  0x200c: 'zero width non-joiner',
  0x200d: 'zero width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero width no-break space',
};

/**
 * The characters above, except a zero width joiner inside an emoji sequence
 * (👩‍👧 is two emoji joined by U+200D; showing it would break a harmless picture).
 */
const INVISIBLE =
  /(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|\u200D(?!\p{Extended_Pictographic})|[\u200B\u200C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;

export type TextPart = { kind: 'text'; text: string } | { kind: 'invisible'; escape: string; name: string };

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Splits text into plain runs and invisible characters, each shown as "⟨U+202E⟩". */
export function splitInvisibles(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let from = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    const at = match.index;
    if (at > from) parts.push({ kind: 'text', text: text.slice(from, at) });
    const char = match[0];
    parts.push({ kind: 'invisible', escape: `⟨${codePoint(char)}⟩`, name: NAMES[char.codePointAt(0)!] ?? 'format character' });
    from = at + char.length;
  }
  if (from < text.length) parts.push({ kind: 'text', text: text.slice(from) });
  return parts;
}

/** The text with every invisible character replaced by its visible escape (for one-line previews). */
export function revealInvisibles(text: string): string {
  return splitInvisibles(text)
    .map((part) => (part.kind === 'text' ? part.text : part.escape))
    .join('');
}
