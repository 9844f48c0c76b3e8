// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { revealInvisibles, splitInvisibles } from './invisibles';

describe('invisible characters', () => {
  it.each([
    ['bidi override', 'invoice\u202Etxt.exe', 'invoice⟨U+202E⟩txt.exe'],
    ['embedding and pop', '\u202Aab\u202C', '⟨U+202A⟩ab⟨U+202C⟩'],
    ['isolates', '\u2066x\u2067y\u2068z\u2069', '⟨U+2066⟩x⟨U+2067⟩y⟨U+2068⟩z⟨U+2069⟩'],
    ['zero width space and marks', 'a\u200Bb\u200Ec\u200Fd\u200Ce', 'a⟨U+200B⟩b⟨U+200E⟩c⟨U+200F⟩d⟨U+200C⟩e'],
    ['byte order mark', '\uFEFFhello', '⟨U+FEFF⟩hello'],
    ['a joiner between letters', 'pay\u200Dpal', 'pay⟨U+200D⟩pal'],
    ['plain text', 'See you at 9 — thanks!', 'See you at 9 — thanks!'],
    ['an emoji sequence keeps its joiner', 'Family 👩\u200D👧 ok', 'Family 👩\u200D👧 ok'],
    ['an emoji with presentation selector keeps its joiner', '❤\uFE0F\u200D🔥', '❤\uFE0F\u200D🔥'],
    ['a joiner after an emoji but before a letter is shown', '👩\u200Da', '👩⟨U+200D⟩a'],
  ])('%s', (_name, input, shown) => {
    expect(revealInvisibles(input)).toBe(shown);
  });

  it('names each hidden character and keeps the text around it', () => {
    expect(splitInvisibles('ab\u202Ecd')).toEqual([
      { kind: 'text', text: 'ab' },
      { kind: 'invisible', escape: '⟨U+202E⟩', name: 'right-to-left override' },
      { kind: 'text', text: 'cd' },
    ]);
    expect(splitInvisibles('')).toEqual([]);
  });

  it('leaves no invisible character in what it returns', () => {
    const hostile = '\u202E\u2066\u200B\uFEFF\u200F\u202D';
    expect(revealInvisibles(hostile)).not.toMatch(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/);
  });
});
