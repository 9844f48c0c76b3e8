import './progress.css';

interface Props {
  label: string;
  /** null while the total is not known yet (indeterminate). */
  value: number | null;
  max: number | null;
}

export function ProgressBar({ label, value, max }: Props) {
  const determinate = value !== null && max !== null && max > 0;
  const percent = determinate ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={determinate ? max : undefined}
      aria-valuenow={determinate ? value : undefined}
      aria-valuetext={determinate ? `${value} of ${max}` : 'Starting'}
    >
      <div
        className={determinate ? 'progress__fill' : 'progress__fill progress__fill--indeterminate'}
        // Set through the CSSOM by React, which the CSP allows (unlike style attributes in markup).
        style={determinate ? { width: `${percent}%` } : undefined}
      />
    </div>
  );
}
