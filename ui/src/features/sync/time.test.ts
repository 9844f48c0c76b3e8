// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { formatAgo, formatClock, formatIn, parseInstant } from './time';

const now = new Date(2024, 2, 1, 12, 5, 0);
const secondsFromNow = (s: number) => new Date(now.getTime() + s * 1000);

describe('sync times', () => {
  it('shows local clock time with seconds, 24-hour', () => {
    expect(formatClock(new Date(2024, 2, 1, 9, 4, 3))).toBe('09:04:03');
    expect(formatClock(new Date(2024, 2, 1, 23, 59, 59))).toBe('23:59:59');
  });

  it.each([
    [0, 'just now'],
    [-4, 'just now'],
    [-29, '29 s ago'],
    [-61, '1 min ago'],
    [-3 * 3600, '3 h ago'],
    [-3 * 86400, '3 days ago'],
    // A clock a little ahead of ours is not "in the future" for a past sync.
    [10, 'just now'],
  ])('ago %i s → %s', (offset, text) => {
    expect(formatAgo(secondsFromNow(offset), now)).toBe(text);
  });

  it.each([
    [8, 'in 8 s'],
    [125, 'in 2 min'],
    [0, 'due now'],
    [-3, 'due now'],
  ])('in %i s → %s', (offset, text) => {
    expect(formatIn(secondsFromNow(offset), now)).toBe(text);
  });

  it('parses RFC 3339 and refuses nonsense', () => {
    expect(parseInstant('2024-03-01T12:04:31Z')?.toISOString()).toBe('2024-03-01T12:04:31.000Z');
    expect(parseInstant('yesterday')).toBeNull();
    expect(parseInstant(null)).toBeNull();
  });
});
