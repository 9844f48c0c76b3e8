// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SandboxBanner } from './SandboxBanner';

const behaviours = [
  { who: 'Chloe Nguyen, +1 (805) 555-0103', what: 'always replies STOP' },
  { who: 'Any other number', what: 'replies at random (never STOP)' },
];

describe('SandboxBanner', () => {
  it('lists what the sandbox does on request, and Escape closes it', async () => {
    const user = userEvent.setup();
    render(<SandboxBanner behaviours={behaviours} />);
    expect(screen.queryByTestId('sandbox-behaviours')).toBeNull();
    const button = screen.getByRole('button', { name: 'What the sandbox does' });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    await user.click(button);
    const panel = screen.getByTestId('sandbox-behaviours');
    expect(panel).toHaveTextContent('Chloe Nguyen, +1 (805) 555-0103');
    expect(panel).toHaveTextContent('always replies STOP');
    expect(panel).toHaveTextContent('never STOP');
    expect(button).toHaveAttribute('aria-expanded', 'true');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('sandbox-behaviours')).toBeNull();
    expect(button).toHaveFocus();
  });

  it('shows the names as text, never as markup', async () => {
    const user = userEvent.setup();
    render(<SandboxBanner behaviours={[{ who: '<b>x</b>', what: '<img src=x onerror=alert(1)>' }]} />);
    await user.click(screen.getByRole('button', { name: 'What the sandbox does' }));
    expect(screen.getByTestId('sandbox-behaviours')).toHaveTextContent('<img src=x onerror=alert(1)>');
    expect(document.querySelector('img')).toBeNull();
  });

  it('offers no list when there is none', () => {
    render(<SandboxBanner behaviours={[]} />);
    expect(screen.queryByRole('button', { name: 'What the sandbox does' })).toBeNull();
  });
});
