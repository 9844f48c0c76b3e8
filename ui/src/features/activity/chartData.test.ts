// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { chartDays, chartSummary, dayLabel, MAX_FILLED_DAYS } from './chartData';
import { addDays, defaultFilter, filterProblem } from './filter';

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

  it('keeps the given days when the span is too long to draw every day', () => {
    const far = addDays('2024-01-01', MAX_FILLED_DAYS + 10);
    expect(
      chartDays([
        { day: far, sms: 1, calls: 0 },
        { day: '2024-01-01', sms: 1, calls: 0 },
      ]).map((d) => d.day),
    ).toEqual(['2024-01-01', far]);
  });

  it('is empty without data', () => {
    expect(chartDays([])).toEqual([]);
  });

  it('spans the filter range when it has both ends', () => {
    const days = chartDays([{ day: '2026-11-20', sms: 2, calls: 1 }], { from: '2026-11-18', to: '2026-11-21' });
    expect(days.map((d) => d.day)).toEqual(['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21']);
    expect(days[2]).toEqual({ day: '2026-11-20', sms: 2, calls: 1 });
    expect(days[3]).toEqual({ day: '2026-11-21', sms: 0, calls: 0 });
    // An open end falls back to the days with activity.
    expect(chartDays([{ day: '2026-11-20', sms: 2, calls: 1 }], { from: null, to: '2026-11-21' })).toHaveLength(2);
    expect(chartSummary([])).toBe('No texts or calls in this period.');
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

describe('activity filter', () => {
  it('opens on the last 30 UTC days', () => {
    expect(defaultFilter(new Date('2024-03-10T23:30:00Z'))).toEqual({
      from: '2024-02-10',
      to: '2024-03-10',
      activity_type: null,
      patient_id: null,
    });
  });

  it('refuses a range that ends before it starts', () => {
    const ok = { from: '2024-03-01', to: '2024-03-01', activity_type: null, patient_id: null };
    expect(filterProblem(ok)).toBeNull();
    expect(filterProblem({ ...ok, from: '2024-03-02' })).toMatch(/after/);
    expect(filterProblem({ ...ok, from: null })).toBeNull();
  });
});
