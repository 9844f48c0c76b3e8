import { useLayoutEffect, useRef } from 'react';
import './progress.css';

interface Props {
  label: string;
  /** null while the total is not known yet (indeterminate). */
  value: number | null;
  max: number | null;
}

export function ProgressBar({ label, value, max }: Props) {
  const fillRef = useRef<HTMLDivElement>(null);
  const determinate = value !== null && max !== null && max > 0;
  const percent = determinate ? Math.min(100, Math.round((value / max) * 100)) : 0;

  // The CSP (style-src 'self') refuses style attributes, so the width goes through the CSSOM.
  useLayoutEffect(() => {
    const fill = fillRef.current;
    if (!fill) return;
    if (determinate) fill.style.setProperty('width', `${percent}%`);
    else fill.style.removeProperty('width');
  }, [determinate, percent]);

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
        ref={fillRef}
        className={determinate ? 'progress__fill' : 'progress__fill progress__fill--indeterminate'}
      />
    </div>
  );
}
