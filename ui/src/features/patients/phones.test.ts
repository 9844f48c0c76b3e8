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

  it('matches the core format (phone::display) for the numbers the desk shows', () => {
    expect(formatPhone('+18055550103')).toBe('+1 (805) 555-0103');
    expect(formatPhone('+15005550001')).toBe('+1 (500) 555-0001');
    expect(formatPhone('+447700900123')).toBe('+44 7700 900123');
    expect(formatPhone('+37061234567')).toBe('+370 612 34567');
  });

  it('shows a sender name as it is', () => {
    expect(formatPhone('CAREDESK')).toBe('CAREDESK');
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
