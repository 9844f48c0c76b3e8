// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { measureSms } from './segments';

describe('measureSms', () => {
  it.each([
    ['empty', '', 0, 0, 'GSM-7'],
    ['plain GSM-7', 'Hello Alice', 11, 1, 'GSM-7'],
    ['160 GSM-7 characters fit one text', 'a'.repeat(160), 160, 1, 'GSM-7'],
    ['161 split into 153-character segments', 'a'.repeat(161), 161, 2, 'GSM-7'],
    ['306 = two full segments', 'a'.repeat(306), 306, 2, 'GSM-7'],
    ['307 needs a third', 'a'.repeat(307), 307, 3, 'GSM-7'],
    ['extension characters count 2 each', '{€}', 6, 1, 'GSM-7'],
    ['all the extension characters', '€[]{}^~|\\', 18, 1, 'GSM-7'],
    ['80 euro signs fill one text', '€'.repeat(80), 160, 1, 'GSM-7'],
    ['81 euro signs do not', '€'.repeat(81), 162, 2, 'GSM-7'],
    ['accented GSM-7 letters stay GSM-7', 'Cita mañana à 9', 15, 1, 'GSM-7'],
    ['an emoji switches to UCS-2 and counts 2', 'Hi 😀', 5, 1, 'UCS-2'],
    ['70 UCS-2 characters fit one text', 'ç'.repeat(70), 70, 1, 'UCS-2'],
    ['71 split into 67-character segments', 'ç'.repeat(71), 71, 2, 'UCS-2'],
    ['134 = two full UCS-2 segments', 'ç'.repeat(134), 134, 2, 'UCS-2'],
    ['135 needs a third', 'ç'.repeat(135), 135, 3, 'UCS-2'],
  ])('%s', (_name, text, units, segments, encoding) => {
    const size = measureSms(text);
    expect({ units: size.units, segments: size.segments, encoding: size.encoding }).toEqual({ units, segments, encoding });
  });

  it('gives the limits for the encoding', () => {
    expect(measureSms('abc')).toMatchObject({ singleLimit: 160, perSegment: 153 });
    expect(measureSms('abc 😀')).toMatchObject({ singleLimit: 70, perSegment: 67 });
  });

  it('names the characters that count double and the ones that force UCS-2', () => {
    expect(measureSms('{€} {€}').wide).toEqual(['{', '€', '}']);
    expect(measureSms('{€} {€}').unicode).toEqual([]);
    const emoji = measureSms('Thanks 😀 ç');
    expect(emoji.unicode).toEqual(['😀', 'ç']);
    expect(emoji.wide).toEqual(['😀']);
  });
});
