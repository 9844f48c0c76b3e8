// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from './ProgressBar';

function fill(): HTMLElement {
  const el = screen.getByRole('progressbar').firstElementChild;
  if (!(el instanceof HTMLElement)) throw new Error('no fill');
  return el;
}

describe('progress bar', () => {
  it('sizes the fill through the CSSOM and follows new values', () => {
    const { rerender } = render(<ProgressBar label="Import progress" value={1} max={4} />);
    const bar = screen.getByRole('progressbar', { name: 'Import progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '1');
    expect(bar).toHaveAttribute('aria-valuetext', '1 of 4');
    expect(fill().style.width).toBe('25%');
    rerender(<ProgressBar label="Import progress" value={3} max={4} />);
    expect(fill().style.width).toBe('75%');
  });

  it('is indeterminate without a total, with no width of its own', () => {
    const { rerender } = render(<ProgressBar label="Export progress" value={2} max={4} />);
    rerender(<ProgressBar label="Export progress" value={null} max={null} />);
    const bar = screen.getByRole('progressbar', { name: 'Export progress' });
    expect(bar).not.toHaveAttribute('aria-valuenow');
    expect(bar).toHaveAttribute('aria-valuetext', 'Starting');
    expect(fill()).toHaveClass('progress__fill--indeterminate');
    expect(fill().style.width).toBe('');
  });
});
