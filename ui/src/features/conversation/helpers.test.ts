// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { createDraftStore, EMPTY_DRAFT } from './draftStore';
import { chooseRecipient, patientNumberLabeler, plainNumberLabeler, recipientsOf } from './recipients';
import { callStateWords, smsOutcomeProblem, smsStateWords } from './states';
import { formatShortTime, parseTimestamp } from './time';
import { patients, smsOutcome } from '../../test/fixtures';

describe('parseTimestamp', () => {
  it('reads server local time with 7 fractional digits as local time', () => {
    const d = parseTimestamp('2019-11-12T11:01:51.2143795')!;
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()]).toEqual([
      2019, 10, 12, 11, 1, 51,
    ]);
    expect(d.getMilliseconds()).toBe(214);
  });

  it('reads RFC 3339 with Z or an offset', () => {
    expect(parseTimestamp('2024-03-01T09:30:00Z')!.toISOString()).toBe('2024-03-01T09:30:00.000Z');
    expect(parseTimestamp('2024-03-01T09:30:00.5+02:00')!.toISOString()).toBe('2024-03-01T07:30:00.500Z');
    expect(parseTimestamp('2024-03-01T09:30:00-0530')!.toISOString()).toBe('2024-03-01T15:00:00.000Z');
  });

  it('refuses junk and impossible dates', () => {
    expect(parseTimestamp('yesterday')).toBeNull();
    expect(parseTimestamp('2024-02-31T10:00:00')).toBeNull();
    expect(parseTimestamp('2024-13-01T10:00:00Z')).toBeNull();
  });

  it('shortens to the time today and adds the day otherwise', () => {
    const now = new Date(2024, 2, 1, 15, 0);
    const today = formatShortTime(new Date(2024, 2, 1, 9, 5), now);
    const earlier = formatShortTime(new Date(2024, 1, 20, 9, 5), now);
    const lastYear = formatShortTime(new Date(2023, 1, 20, 9, 5), now);
    expect(today).toMatch(/9.05|09.05/);
    expect(today).not.toMatch(/20/);
    expect(earlier).toMatch(/20/);
    expect(earlier).not.toMatch(/2024/);
    expect(lastYear).toMatch(/2023/);
  });
});

describe('states in words', () => {
  it('names SMS states, with the error where there is a problem', () => {
    expect(smsStateWords('sending', null).text).toBe('Sending…');
    expect(smsStateWords('sent', null).text).toBe('Sent');
    expect(smsStateWords('queued', null).text).toBe('Queued');
    expect(callStateWords('queued', null)).toEqual({ text: 'Placed through ECM (queued at Twilio)', tone: 'ok' });
    expect(smsStateWords('delivered', null).text).toBe('Delivered');
    expect(smsStateWords('undelivered', null).text).toBe('Not delivered');
    expect(smsStateWords('failed', 'Blocked').text).toBe('Failed: Blocked');
    expect(smsStateWords('uncertain', 'Timeout').text).toBe('May have been sent: Timeout');
    expect(smsStateWords('received', null).text).toBe('Received');
    expect(smsStateWords('partially_delivered', null).text).toBe('Partially delivered');
  });

  it('names call statuses', () => {
    expect(callStateWords('in-progress', null).text).toBe('In progress');
    expect(callStateWords('no-answer', null).text).toBe('No answer');
    expect(callStateWords('failed', 'Refused').text).toBe('Failed: Refused');
    expect(callStateWords('ringing', null).text).toBe('Ringing');
  });

  it('treats only failed and uncertain outcomes as problems', () => {
    expect(smsOutcomeProblem(smsOutcome({ state: 'queued' }))).toBeNull();
    expect(smsOutcomeProblem(smsOutcome({ state: 'failed', error: 'No.' }))).toBe('Not sent: No.');
    expect(smsOutcomeProblem(smsOutcome({ state: 'uncertain', error: null }))).toMatch(/may have been sent/);
  });
});

describe('recipients', () => {
  it('puts own numbers first and merges a repeated number', () => {
    const alice = patients[0]!;
    const p = {
      ...alice,
      phones: [alice.phones[1]!, alice.phones[0]!, { ...alice.phones[1]!, name: 'Rosa M', opted_out: true }],
    };
    const r = recipientsOf(p);
    expect(r.map((x) => x.number)).toEqual(['+15551234567', '+15559876543']);
    expect(r[1]!.optedOut).toBe(true);
    expect(chooseRecipient(r, '+19999999999')!.number).toBe('+15551234567');
    expect(chooseRecipient([], null)).toBeNull();
  });

  it('labels every number in a thread by owner and number', () => {
    const alice = patientNumberLabeler(patients[0]!);
    expect(alice('+15551234567')).toBe('Patient · +1 (555) 123-4567');
    expect(alice('+15559876543')).toBe('Rosa Moreno (daughter) · +1 (555) 987-6543');
    expect(alice('+15550000000')).toBe('+1 (555) 000-0000');
    expect(alice(null)).toBe('Unknown number');
    // A patient with a single number still says which one.
    expect(patientNumberLabeler(patients[2]!)('+15552223333')).toBe('Patient · +1 (555) 222-3333');
    expect(plainNumberLabeler('+18055550100')).toBe('+1 (805) 555-0100');
  });

  it('names a number shared by the patient and a contact as the patient', () => {
    const alice = patients[0]!;
    const shared = { ...alice, phones: [{ ...alice.phones[1]!, number: '+15551234567' }, alice.phones[0]!] };
    expect(patientNumberLabeler(shared)('+15551234567')).toBe('Patient · +1 (555) 123-4567');
  });
});

describe('draft store', () => {
  it('keeps drafts per patient and notifies subscribers', () => {
    const store = createDraftStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    store.update(1, { text: 'a' });
    store.update(2, { to: '+1555' });
    expect(store.get(1)).toEqual({ ...EMPTY_DRAFT, text: 'a', startedAt: expect.any(String) });
    expect(store.get(2).to).toBe('+1555');
    expect(store.get(3)).toBe(EMPTY_DRAFT);
    expect(store.get(1)).toBe(store.get(1));
    expect(listener).toHaveBeenCalledTimes(2);
    unsubscribe();
    store.update(1, { text: '' });
    expect(listener).toHaveBeenCalledTimes(2);
    expect(store.get(1)).toBe(EMPTY_DRAFT);
  });

  it('remembers when the text was started, until it is emptied', () => {
    let now = new Date('2026-03-01T10:00:00Z');
    const store = createDraftStore(() => now);
    store.update(1, { to: '+1555' });
    expect(store.get(1).startedAt).toBeUndefined();
    store.update(1, { text: 'Y' });
    now = new Date('2026-03-01T10:00:09Z');
    store.update(1, { text: 'Yes' });
    store.update(1, { via: 'ecm' });
    expect(store.get(1).startedAt).toBe('2026-03-01T10:00:00.000Z');
    store.update(1, { text: '  ' });
    expect(store.get(1).startedAt).toBeUndefined();
    store.update(1, { text: 'Again' });
    expect(store.get(1).startedAt).toBe('2026-03-01T10:00:09.000Z');
  });
});
