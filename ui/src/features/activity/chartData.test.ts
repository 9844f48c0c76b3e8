// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { chartDays, chartSummary, dayLabel, isWeekly } from './chartData';
import { clinicDay, defaultFilter, filterProblem } from './filter';

describe('chart days', () => {
  it('fills quiet days between active ones with zeros, oldest first', () => {
    expect(
      chartDays([
        { day: '2024-03-04', sms: 1, calls: 0 },
        { day: '2024-02-28', sms: 2, calls: 1 },
      ]),
    ).toEqual([
      { day: '2024-02-28', sms: 2, calls: 1 },
      { day: '2024-02-29', sms: 0, calls: 0 },
      { day: '2024-03-01', sms: 0, calls: 0 },
      { day: '2024-03-02', sms: 0, calls: 0 },
      { day: '2024-03-03', sms: 0, calls: 0 },
      { day: '2024-03-04', sms: 1, calls: 0 },
    ]);
  });

  it('is empty without data', () => {
    expect(chartDays([])).toEqual([]);
  });

  it('fits the data: one busy day is one bar, with no padding out to the filter range', () => {
    expect(chartDays([{ day: '2026-11-20', sms: 2, calls: 1 }])).toEqual([{ day: '2026-11-20', sms: 2, calls: 1 }]);
    expect(chartSummary([])).toBe('No texts or calls in this period.');
  });

  it('draws a year of data as weeks, Monday first, quiet weeks as zeros', () => {
    const days = [
      { day: '2025-01-01', sms: 1, calls: 0 },
      { day: '2025-01-05', sms: 2, calls: 1 },
      { day: '2025-12-31', sms: 3, calls: 0 },
    ];
    const bars = chartDays(days);
    expect(isWeekly(bars)).toBe(true);
    expect(bars[0]).toEqual({ day: '2024-12-30', sms: 3, calls: 1 });
    expect(bars[1]).toEqual({ day: '2025-01-06', sms: 0, calls: 0 });
    expect(bars[bars.length - 1]).toEqual({ day: '2025-12-29', sms: 3, calls: 0 });
    expect(bars).toHaveLength(53);
    expect(bars.reduce((n, b) => n + b.sms + b.calls, 0)).toBe(7);
    expect(isWeekly(chartDays([{ day: '2025-01-01', sms: 1, calls: 0 }]))).toBe(false);
  });

  it('summarises totals and the busiest day in a sentence', () => {
    const summary = chartSummary([
      { day: '2024-03-01', sms: 1, calls: 0 },
      { day: '2024-03-02', sms: 3, calls: 2 },
      { day: '2024-03-03', sms: 0, calls: 1 },
    ]);
    expect(summary).toBe(
      `Texts and calls per day, ${dayLabel('2024-03-01')} to ${dayLabel('2024-03-03')}: 4 texts and 3 calls in all. ` +
        `Busiest day ${dayLabel('2024-03-02')} with 5 activities.`,
    );
  });
});

describe('clinic days in another time zone', () => {
  const la = 'America/Los_Angeles';

  it('puts 23:30 and 00:30 local on their own days', () => {
    expect(clinicDay(new Date('2026-11-21T07:30:00Z'), la)).toBe('2026-11-20');
    expect(clinicDay(new Date('2026-11-21T08:30:00Z'), la)).toBe('2026-11-21');
  });

  it('does not split an afternoon at UTC midnight', () => {
    expect(clinicDay(new Date('2026-11-20T23:30:00Z'), la)).toBe('2026-11-20');
    expect(clinicDay(new Date('2026-11-21T00:30:00Z'), la)).toBe('2026-11-20');
    expect(clinicDay(new Date('2026-11-21T00:30:00Z'), 'UTC')).toBe('2026-11-21');
  });

  it('follows summer time', () => {
    // PDT (UTC-7) in July: 06:59 UTC is still the day before, 07:00 the day itself.
    expect(clinicDay(new Date('2026-07-02T06:59:00Z'), la)).toBe('2026-07-01');
    expect(clinicDay(new Date('2026-07-02T07:00:00Z'), la)).toBe('2026-07-02');
  });
});

describe('activity filter', () => {
  it('opens on the last 30 clinic days', () => {
    expect(defaultFilter(new Date('2024-03-10T23:30:00Z'), 'UTC')).toEqual({
      from: '2024-02-10',
      to: '2024-03-10',
      activity_type: null,
      patient_id: null,
    });
  });

  it('takes today from the clinic zone, not UTC', () => {
    // 06:30 UTC on the 20th is 23:30 on the 19th in Los Angeles (PDT, UTC-7).
    expect(defaultFilter(new Date('2024-03-20T06:30:00Z'), 'America/Los_Angeles').to).toBe('2024-03-19');
    expect(defaultFilter(new Date('2024-03-20T06:30:00Z'), 'UTC').to).toBe('2024-03-20');
  });

  it('refuses a range that ends before it starts', () => {
    const ok = { from: '2024-03-01', to: '2024-03-01', activity_type: null, patient_id: null };
    expect(filterProblem(ok)).toBeNull();
    expect(filterProblem({ ...ok, from: '2024-03-02' })).toMatch(/after/);
    expect(filterProblem({ ...ok, from: null })).toBeNull();
  });
});
