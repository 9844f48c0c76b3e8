// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { TeamSyncStatus } from '../../platform';
import { shortName } from './shortName';
import { pollerOf, TeamStatus } from './TeamStatus';

function status(fields: Partial<TeamSyncStatus> = {}): TeamSyncStatus {
  const base: TeamSyncStatus = {
    link: 'connected',
    role: 'ana',
    waiting: 0,
    applied: 12,
    last_error: null,
    error_code: null,
    poller: null,
  };
  return { ...base, ...fields } as TeamSyncStatus;
}

describe('the status bar team part', () => {
  it('says connected, or offline with the changes waiting and why', () => {
    const { rerender } = render(<TeamStatus team={status()} />);
    expect(screen.getByTestId('team-status')).toHaveTextContent(/^Team connected$/);
    rerender(<TeamStatus team={status({ link: 'offline', waiting: 3, last_error: 'cannot reach the team database' })} />);
    expect(screen.getByTestId('team-status')).toHaveTextContent('Team offline · 3 changes waiting');
    expect(screen.getByTestId('team-status')).toHaveAttribute('title', 'cannot reach the team database');
    rerender(<TeamStatus team={status({ waiting: 1 })} />);
    expect(screen.getByTestId('team-status')).toHaveTextContent('Team connected · 1 change waiting');
    rerender(<TeamStatus team={null} />);
    expect(screen.queryByTestId('team-status')).toBeNull();
    rerender(<TeamStatus team={status({ link: 'off' })} />);
    expect(screen.queryByTestId('team-status')).toBeNull();
  });

  it('names the desk that polls the inbox once the status carries it', () => {
    expect(pollerOf(status())).toBeNull();
    const withPoller = (poller: TeamSyncStatus['poller']) => status({ poller });
    const { rerender } = render(
      <TeamStatus team={withPoller({ role: 'ben', name: 'Ben Ortiz', desk_id: 'd1', this_desk: false })} />,
    );
    expect(screen.getByTestId('team-poller')).toHaveTextContent("· inbox polled by Ben Ortiz's desk");
    rerender(<TeamStatus team={withPoller({ role: 'ana', name: null, desk_id: 'd2', this_desk: true })} />);
    expect(screen.getByTestId('team-poller')).toHaveTextContent('· inbox polled by this desk');
    expect(pollerOf(withPoller({ role: null, name: null, desk_id: null, this_desk: false }))).toBeNull();
    expect(pollerOf(withPoller(null))).toBeNull();
  });
});

describe('short names', () => {
  it.each([
    ['Ana Ruiz', 'Ana R.'],
    ['Ana María de la Cruz', 'Ana C.'],
    ['  Ben   Ortiz ', 'Ben O.'],
    ['Cher', 'Cher'],
    ['', ''],
    ['Zoë Łukasiewicz', 'Zoë Ł.'],
    ['Ana 😀x', 'Ana 😀.'],
  ])('%s → %s', (full, short) => {
    expect(shortName(full)).toBe(short);
  });
});
