import type { DayCount } from '../../platform';
import { chartDays, chartSummary, dayLabel, isWeekly } from './chartData';

// Geometry in viewBox units; the SVG scales to the dialog's width. Sizes are SVG attributes,
// not styles, so the CSP (style-src 'self') has nothing to refuse.
const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 32, right: 8, top: 10, bottom: 24 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
const MAX_BAR_W = 22;
const MAX_X_LABELS = 8;

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function barHeight(value: number, max: number): number {
  return round((value / max) * PLOT_H);
}

interface BarProps {
  kind: 'sms' | 'calls';
  x: number;
  width: number;
  value: number;
  max: number;
  title: string;
}

function Bar({ kind, x, width, value, max, title }: BarProps) {
  const height = barHeight(value, max);
  return (
    <rect
      className={`chart__bar chart__bar--${kind}`}
      data-value={value}
      x={round(x)}
      y={round(PAD.top + PLOT_H - height)}
      width={round(width)}
      height={height}
    >
      <title>{title}</title>
    </rect>
  );
}

/** Texts and calls per day as grouped bars, with a sentence and a table for screen readers. */
export function ActivityChart({ perDay }: { perDay: DayCount[] }) {
  const days = chartDays(perDay);
  const weekly = isWeekly(days);
  if (days.length === 0) return null;
  const max = Math.max(1, ...days.map((d) => Math.max(d.sms, d.calls)));
  const slot = PLOT_W / days.length;
  const barW = Math.min(MAX_BAR_W, (slot * 0.8) / 2);
  const labelEvery = Math.ceil(days.length / MAX_X_LABELS);
  const baseline = PAD.top + PLOT_H;

  return (
    <figure className="activity-chart">
      <ul className="chart-legend" aria-hidden="true">
        <li>
          <span className="chart-legend__swatch chart-legend__swatch--sms" /> Texts
        </li>
        <li>
          <span className="chart-legend__swatch chart-legend__swatch--calls" /> Calls
        </li>
      </ul>
      <svg
        className="activity-chart__svg"
        role="img"
        aria-label={chartSummary(days)}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        data-testid="activity-chart"
      >
        <line className="chart__grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top} y2={PAD.top} />
        <line className="chart__axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={baseline} y2={baseline} />
        <text className="chart__label" x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">
          {max}
        </text>
        <text className="chart__label" x={PAD.left - 6} y={baseline} textAnchor="end">
          0
        </text>
        {days.map((d, i) => {
          const x = PAD.left + i * slot + (slot - 2 * barW) / 2;
          const label = weekly ? `Week of ${dayLabel(d.day)}` : dayLabel(d.day);
          return (
            <g key={d.day} data-testid="chart-day" data-day={d.day}>
              <Bar kind="sms" x={x} width={barW} value={d.sms} max={max} title={`${label}: ${d.sms} texts`} />
              <Bar
                kind="calls"
                x={x + barW}
                width={barW}
                value={d.calls}
                max={max}
                title={`${label}: ${d.calls} calls`}
              />
              {i % labelEvery === 0 ? (
                <text
                  className="chart__label"
                  x={round(PAD.left + (i + 0.5) * slot)}
                  y={HEIGHT - 6}
                  textAnchor="middle"
                >
                  {label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>Texts and calls per day</caption>
        <thead>
          <tr>
            <th scope="col">{weekly ? 'Week of' : 'Day'}</th>
            <th scope="col">Texts</th>
            <th scope="col">Calls</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.day}>
              <th scope="row">{dayLabel(d.day)}</th>
              <td>{d.sms}</td>
              <td>{d.calls}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
