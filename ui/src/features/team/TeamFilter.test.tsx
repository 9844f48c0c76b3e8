// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { lastItem } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';
import { teamHandlers, type TeamState } from '../../test/team';
import { emptyViewWords } from './TeamFilterBar';

function names(): string[] {
  return screen.getAllByTestId('patient-row').map((r) => r.querySelector('.patient-row__name')?.textContent ?? '');
}

function filter() {
  const bar = screen.getByTestId('team-filter');
  return {
    all: within(bar).getByRole('radio', { name: 'All' }),
    mine: within(bar).getByRole('radio', { name: 'Assigned to me' }),
    unassigned: within(bar).getByRole('radio', { name: 'Unassigned' }),
    open: within(bar).getByRole('radio', { name: 'Open' }),
    closed: within(bar).getByRole('radio', { name: 'Closed' }),
  };
}

/** Alice is Ana's, Bob is Ben's and closed, Carla is nobody's. */
function clinic(): TeamState {
  return {
    threads: new Map([
      [1, { assigned_to: 'ana', assigned_to_name: 'Ana Ruiz', status: 'open' as const }],
      [2, { assigned_to: 'ben', assigned_to_name: 'Ben Ortiz', status: 'closed' as const }],
    ]),
    notes: [],
  };
}

describe('the patient column in team mode', () => {
  it('shows open threads first, with their owners, and filters by whose and by open or closed', async () => {
    const handlers = teamHandlers(clinic());
    const listThreads = handlers.list_threads!;
    // Alice's newest text is Ben's, Carla's is Ana's own.
    handlers.list_threads = (args) => {
      const listing = listThreads(args) as { patients: { id: number; last: unknown }[] };
      for (const p of listing.patients) {
        if (p.id === 1) p.last = lastItem({ direction: 'outbound', preview: 'See you Friday', sent_by: 'Ben Ortiz', sent_by_role: 'ben' });
        if (p.id === 3) p.last = lastItem({ direction: 'outbound', preview: 'Mine', sent_by: 'Ana Ruiz', sent_by_role: 'ana' });
      }
      return listing;
    };
    const { user, backend } = await renderShell(handlers);
    const f = await screen.findByTestId('team-filter').then(() => filter());
    await waitFor(() => expect(names()).toEqual(['Alice Moreno', 'Carla Singh']));
    expect(f.all).toHaveAttribute('aria-checked', 'true');
    expect(f.open).toHaveAttribute('aria-checked', 'true');
    expect(backend.callsTo('list_threads').at(-1)?.filter).toEqual({ assigned: 'all', status: 'open' });
    const alice = screen.getAllByTestId('patient-row')[0]!;
    expect(within(alice).getByTestId('assignee')).toHaveTextContent('Ana R.');
    expect(within(alice).getByTestId('assignee')).toHaveAttribute('title', 'Assigned to Ana Ruiz');
    expect(within(screen.getAllByTestId('patient-row')[1]!).queryByTestId('assignee')).toBeNull();
    // A colleague's newest text says who sent it; this member's says "You".
    expect(within(alice).getByTestId('patient-preview')).toHaveTextContent('Ben O.: See you Friday');
    expect(within(screen.getAllByTestId('patient-row')[1]!).getByTestId('patient-preview')).toHaveTextContent(
      'You: Mine',
    );

    await user.click(f.mine);
    await waitFor(() => expect(names()).toEqual(['Alice Moreno']));
    expect(backend.callsTo('list_threads').at(-1)?.filter).toEqual({ assigned: 'me', status: 'open' });

    await user.click(f.unassigned);
    await waitFor(() => expect(names()).toEqual(['Carla Singh']));

    await user.click(f.all);
    await user.click(f.closed);
    await waitFor(() => expect(names()).toEqual(['Bob Tran']));
    const bob = screen.getAllByTestId('patient-row')[0]!;
    expect(bob).toHaveTextContent('Closed');
    expect(within(bob).getByTestId('assignee')).toHaveTextContent('Ben O.');

    await user.click(f.mine);
    expect(await screen.findByTestId('team-filter-empty')).toHaveTextContent('No closed threads assigned to you.');
    expect(screen.queryByText(/import a roster/)).toBeNull();
  });

  it('a thread closed here leaves the open view', async () => {
    const { user } = await renderShell(teamHandlers({ threads: new Map(), notes: [] }));
    await waitFor(() => expect(names()).toEqual(['Alice Moreno', 'Bob Tran', 'Carla Singh']));
    await user.click(screen.getAllByTestId('patient-row')[2]!);
    const close = await within(await screen.findByTestId('team-bar')).findByRole('button', { name: 'Close' });
    await waitFor(() => expect(close).toBeEnabled());
    await user.click(close);
    await waitFor(() => expect(names()).toEqual(['Alice Moreno', 'Bob Tran']));
  });

  it('is not there on a desk alone, which asks for no filter', async () => {
    const { backend } = await renderShell();
    await waitFor(() => expect(screen.getAllByTestId('patient-row')).toHaveLength(3));
    expect(screen.queryByTestId('team-filter')).toBeNull();
    expect(screen.queryByTestId('assignee')).toBeNull();
    expect(backend.callsTo('list_threads').every((a) => !('filter' in a))).toBe(true);
  });

  it('says what an empty view is', () => {
    expect(emptyViewWords({ assigned: 'all', status: 'open' })).toBe('No open threads.');
    expect(emptyViewWords({ assigned: 'unassigned', status: 'closed' })).toBe('No unassigned closed threads.');
    expect(emptyViewWords({ assigned: 'me', status: 'any' })).toBe('No threads assigned to you.');
  });
});
