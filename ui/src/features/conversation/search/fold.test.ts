import { describe, expect, it } from 'vitest';
import { findMatches, fold, highlightRuns } from './fold';

describe('thread search folding', () => {
  // The same examples as thread_search.rs pins for the backend's fold.
  it.each([
    ['Hello', 'hello'],
    ['Šimkutė', 'simkute'],
    ['e\u0301', 'e'],
    ['ﬁ', 'fi'],
    ['İstanbul', 'istanbul'],
    ['ΣΟΦΙΑ', 'σοφια'],
    ['😀 ok', '😀 ok'],
  ])('folds %j to %j like the backend', (text, folded) => {
    expect(fold(text)).toBe(folded);
  });

  it('finds every match, case and accents aside, as ranges of the text shown', () => {
    const text = 'Café? CAFE! cafe\u0301 😀 café';
    const ranges = findMatches(text, 'cafe');
    expect(ranges.map(([s, e]) => text.slice(s, e))).toEqual(['Café', 'CAFE', 'cafe\u0301', 'café']);
    expect(findMatches(text, 'CAFÉ')).toEqual(ranges);
  });

  it('maps a match through characters that fold longer or shorter', () => {
    const text = 'the ﬁle for İlknur';
    expect(findMatches(text, 'file').map(([s, e]) => text.slice(s, e))).toEqual(['ﬁle']);
    expect(findMatches(text, 'ilk').map(([s, e]) => text.slice(s, e))).toEqual(['İlk']);
  });

  it('finds nothing for a blank search or no match', () => {
    expect(findMatches('see you soon', '')).toEqual([]);
    expect(findMatches('see you soon', '   ')).toEqual([]);
    expect(findMatches('see you soon', 'zebra')).toEqual([]);
  });

  it('cuts a text into plain and matched runs that join back into the text', () => {
    const runs = highlightRuns('Blue form, blue pen', 'blue');
    expect(runs).toEqual([
      { text: 'Blue', hit: true },
      { text: ' form, ', hit: false },
      { text: 'blue', hit: true },
      { text: ' pen', hit: false },
    ]);
    expect(highlightRuns('<b>x</b>', 'zzz')).toEqual([{ text: '<b>x</b>', hit: false }]);
    expect(highlightRuns('', 'a')).toEqual([{ text: '', hit: false }]);
  });
});
