// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { formatPhone, hasOptedOut, primaryPhone } from './phones';
import { patients } from '../../test/fixtures';

describe('formatPhone', () => {
  it('formats North American numbers', () => {
    expect(formatPhone('+15551234567')).toBe('+1 (555) 123-4567');
  });

  it('groups other E.164 numbers without losing digits', () => {
    const out = formatPhone('+447911123456');
    expect(out.replace(/\D/g, '')).toBe('447911123456');
    expect(out.startsWith('+44 ')).toBe(true);
  });

  it('leaves odd input alone', () => {
    expect(formatPhone('12345')).toBe('12345');
  });
});

describe('phone helpers', () => {
  it("prefers the patient's own number as primary", () => {
    const p = { ...patients[0]!, phones: [...patients[0]!.phones].reverse() };
    expect(primaryPhone(p)?.number).toBe('+15551234567');
  });

  it('reports any opted-out phone', () => {
    expect(hasOptedOut(patients[1]!)).toBe(true);
    expect(hasOptedOut(patients[0]!)).toBe(false);
  });
});
