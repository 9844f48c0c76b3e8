// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ActivityChart } from './ActivityChart';
import { dayLabel } from './chartData';

function bars(group: HTMLElement, kind: 'sms' | 'calls') {
  const bar = group.querySelector(`.chart__bar--${kind}`);
  if (!bar) throw new Error(`no ${kind} bar`);
  return { height: Number(bar.getAttribute('height')), y: Number(bar.getAttribute('y')), bar };
}

describe('activity chart', () => {
  const perDay = [
    { day: '2024-03-01', sms: 4, calls: 1 },
    { day: '2024-03-02', sms: 2, calls: 0 },
    { day: '2024-03-04', sms: 0, calls: 2 },
  ];

  it('draws one group of bars per day, quiet days included, heights in proportion', () => {
    render(<ActivityChart perDay={perDay} />);
    const days = screen.getAllByTestId('chart-day');
    expect(days.map((d) => d.getAttribute('data-day'))).toEqual([
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
      '2024-03-04',
    ]);
    const [first, second, quiet, fourth] = days as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    const tallest = bars(first, 'sms').height;
    expect(tallest).toBeGreaterThan(100);
    expect(bars(second, 'sms').height).toBeCloseTo(tallest / 2, 1);
    expect(bars(first, 'calls').height).toBeCloseTo(tallest / 4, 1);
    expect(bars(quiet, 'sms').height).toBe(0);
    expect(bars(quiet, 'calls').height).toBe(0);
    expect(bars(fourth, 'calls').height).toBeCloseTo(tallest / 2, 1);
    // Bars stand on one baseline.
    expect(bars(first, 'sms').y + tallest).toBeCloseTo(bars(second, 'sms').y + bars(second, 'sms').height, 1);
    // Geometry is in attributes, never in style (the CSP refuses style attributes).
    expect(bars(first, 'sms').bar.getAttribute('style')).toBeNull();
    expect(within(first).getByText(`${dayLabel('2024-03-01')}: 4 texts`, { selector: 'title' })).toBeInTheDocument();
  });

  it('is an image with a summary, and has a table for screen readers', () => {
    render(<ActivityChart perDay={perDay} />);
    const chart = screen.getByRole('img');
    expect(chart).toHaveAccessibleName(/6 texts and 3 calls in all/);
    expect(chart).toHaveAccessibleName(new RegExp(`Busiest day ${dayLabel('2024-03-01')} with 5 activities`));
    const table = screen.getByRole('table', { name: 'Texts and calls per day' });
    expect(table).toHaveClass('visually-hidden');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell').map((c) => c.textContent))).toEqual([
      ['4', '1'],
      ['2', '0'],
      ['0', '0'],
      ['0', '2'],
    ]);
  });

  it('draws nothing without data', () => {
    const { container } = render(<ActivityChart perDay={[]} />);
    expect(container).toBeEmptyDOMElement();
  });
});
