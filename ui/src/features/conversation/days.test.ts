// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { threadItem } from '../../test/fixtures';
import { dayLabel, daysAgo, listTime } from './days';
import { buildThreadRows } from './threadRows';

const now = new Date(2024, 2, 7, 15, 0); // Thursday 7 March 2024, local time
const weekdayName = (d: Date) => new Intl.DateTimeFormat(undefined, { weekday: 'long' }).format(d);

describe('day labels', () => {
  it('says Today, Yesterday, the weekday within a week, else the date', () => {
    expect(dayLabel(new Date(2024, 2, 7, 0, 1), now)).toBe('Today');
    expect(dayLabel(new Date(2024, 2, 6, 23, 59), now)).toBe('Yesterday');
    const monday = new Date(2024, 2, 4, 9, 0);
    expect(dayLabel(monday, now)).toBe(weekdayName(monday));
    const older = dayLabel(new Date(2024, 1, 20, 9, 0), now);
    expect(older).toMatch(/20/);
    expect(older).not.toMatch(/2024/);
    expect(dayLabel(new Date(2023, 11, 31, 9, 0), now)).toMatch(/2023/);
  });

  it('counts calendar days, not 24-hour periods', () => {
    expect(daysAgo(new Date(2024, 2, 6, 23, 59), new Date(2024, 2, 7, 0, 1))).toBe(1);
    expect(daysAgo(new Date(2024, 2, 7, 0, 1), new Date(2024, 2, 7, 23, 59))).toBe(0);
  });

  it('shortens list times', () => {
    expect(listTime(new Date(2024, 2, 7, 9, 5), now)).toMatch(/9.05/);
    expect(listTime(new Date(2024, 2, 6, 9, 5), now)).toBe('Yesterday');
    expect(listTime(new Date(2023, 0, 2, 9, 5), now)).toMatch(/23/);
  });
});

describe('thread rows', () => {
  const at = (d: Date) => d.toISOString();

  /** The rows read top to bottom: day labels and item keys. */
  function read(items: ReturnType<typeof threadItem>[]): string[] {
    const { firstDay, rows } = buildThreadRows(items, now);
    return [...(firstDay ? [firstDay] : []), ...rows.flatMap((r) => (r.nextDay ? [r.key, r.nextDay] : [r.key]))];
  }

  it('puts a separator before each new day and keeps items in order', () => {
    const items = [
      threadItem({ id: 1, at: at(new Date(2024, 2, 1, 9, 0)) }),
      threadItem({ id: 2, at: at(new Date(2024, 2, 1, 18, 0)) }),
      threadItem({ id: 3, at: at(new Date(2024, 2, 6, 8, 0)) }),
      threadItem({ id: 4, kind: 'call', at: at(new Date(2024, 2, 7, 8, 0)) }),
      threadItem({ id: 5, at: at(new Date(2024, 2, 7, 9, 0)) }),
    ];
    expect(read(items)).toEqual([
      dayLabel(new Date(2024, 2, 1), now),
      'sms-1',
      'sms-2',
      'Yesterday',
      'sms-3',
      'Today',
      'call-4',
      'sms-5',
    ]);
  });

  it('keeps an item with an unreadable time under the day before it, and drops repeats', () => {
    const items = [
      threadItem({ id: 1, at: 'garbage' }),
      threadItem({ id: 2, at: at(new Date(2024, 2, 7, 9, 0)) }),
      threadItem({ id: 3, at: 'also garbage' }),
      threadItem({ id: 2, at: at(new Date(2024, 2, 7, 9, 0)) }),
    ];
    expect(read(items)).toEqual(['Unknown date', 'sms-1', 'Today', 'sms-2', 'sms-3']);
  });

  it('has no rows and no first day for an empty thread', () => {
    expect(buildThreadRows([], now)).toEqual({ firstDay: null, rows: [] });
  });
});
