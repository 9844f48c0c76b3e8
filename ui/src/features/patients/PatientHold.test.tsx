// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PatientThread } from '../../platform';
import { SYNC_EVENT } from '../../platform/events';
import { lastItem, patients, patientThread, threadListing } from '../../test/fixtures';
import { emitEvent, listenerCount, renderShell } from '../../test/renderApp';
import { LEAVE_GRACE_MS } from './useHeldOrder';

/** Longer than the pointer may be away before the list moves. */
const pastTheGrace = () => new Promise((resolve) => setTimeout(resolve, LEAVE_GRACE_MS + 50));

const [alice, bob, carla] = [patients[0]!, patients[1]!, patients[2]!];

/** Carla wrote last, then Alice; Bob has nothing yet. */
const before: PatientThread[] = [
  patientThread(carla, { last: lastItem({ at: '2024-03-01T09:41:00Z', preview: 'Can I come at 10?' }) }),
  patientThread(alice, { last: lastItem({ at: '2024-03-01T08:05:00Z', preview: 'Thanks' }) }),
  patientThread(bob),
];

/** Bob replies: the backend now puts him first. */
const afterBobReplies: PatientThread[] = [
  patientThread(bob, { last: lastItem({ at: '2024-03-01T10:00:00Z', preview: 'Running late' }), unread: 1 }),
  before[0]!,
  before[1]!,
];

function names(): string[] {
  return within(screen.getByTestId('patient-list'))
    .getAllByTestId('patient-row')
    .map((row) => row.querySelector('.patient-row__name')!.textContent!);
}

function rowOf(name: string): HTMLElement {
  return within(screen.getByTestId('patient-list'))
    .getAllByTestId('patient-row')
    .find((row) => row.textContent!.includes(name))!;
}

/** A list whose backend order can change, and a sync cycle that makes the column ask again. */
async function renderColumn() {
  let rows = before;
  const utils = await renderShell({ list_threads: (args) => threadListing(rows, args.query) });
  await waitFor(() => expect(names()).toEqual(['Carla Singh', 'Alice Moreno', 'Bob Tran']));
  await waitFor(() => expect(listenerCount(SYNC_EVENT)).toBeGreaterThan(0));
  async function newActivity(next: PatientThread[]) {
    const asked = utils.backend.callsTo('list_threads').length;
    rows = next;
    emitEvent(SYNC_EVENT, { kind: 'cycle_finished', changed: true, unread_total: 1, errors: [] });
    await waitFor(() => expect(utils.backend.callsTo('list_threads').length).toBeGreaterThan(asked));
  }
  return { ...utils, newActivity };
}

describe('patient column holding still', () => {
  it('keeps its order under the pointer, shows "1 new", and reorders when the pointer leaves', async () => {
    const { user, newActivity } = await renderColumn();
    await user.hover(rowOf('Alice Moreno'));

    await newActivity(afterBobReplies);
    // The row contents follow at once: Bob's preview and badge, in his old place.
    await waitFor(() => expect(within(rowOf('Bob Tran')).getByTestId('patient-preview')).toHaveTextContent('Running late'));
    expect(within(rowOf('Bob Tran')).getByTestId('unread-badge')).toHaveTextContent('1');
    expect(names()).toEqual(['Carla Singh', 'Alice Moreno', 'Bob Tran']);
    expect(screen.getByRole('button', { name: /1 new/ })).toBeInTheDocument();

    await user.unhover(screen.getByRole('complementary', { name: 'Patient search and list' }));
    await waitFor(() => expect(names()).toEqual(['Bob Tran', 'Carla Singh', 'Alice Moreno']));
    expect(screen.queryByRole('button', { name: /new/ })).toBeNull();
  });

  it('applies the new order at once with "N new", while the pointer stays', async () => {
    const { user, newActivity } = await renderColumn();
    await user.hover(rowOf('Carla Singh'));
    await newActivity(afterBobReplies);
    await user.click(await screen.findByRole('button', { name: /1 new/ }));
    expect(names()).toEqual(['Bob Tran', 'Carla Singh', 'Alice Moreno']);
    expect(screen.queryByRole('button', { name: /new/ })).toBeNull();

    // Still under the pointer: the next reply waits again.
    await newActivity([afterBobReplies[2]!, afterBobReplies[0]!, afterBobReplies[1]!]);
    expect(await screen.findByRole('button', { name: /1 new/ })).toBeInTheDocument();
    expect(names()).toEqual(['Bob Tran', 'Carla Singh', 'Alice Moreno']);
  });

  it('holds while the keyboard is in the list, not after a click once the pointer has left', async () => {
    const { user, newActivity } = await renderColumn();
    // ArrowDown from the search puts the keyboard cursor in the list.
    await user.click(screen.getByRole('searchbox', { name: 'Search patients' }));
    await user.unhover(screen.getByRole('complementary', { name: 'Patient search and list' }));
    await pastTheGrace();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('patient-list')).toHaveFocus();
    await newActivity(afterBobReplies);
    expect(await screen.findByRole('button', { name: /1 new/ })).toBeInTheDocument();
    await pastTheGrace();
    expect(names()).toEqual(['Carla Singh', 'Alice Moreno', 'Bob Tran']);
    // Leaving the list with the keyboard lets it move.
    await user.tab();
    await waitFor(() => expect(names()).toEqual(['Bob Tran', 'Carla Singh', 'Alice Moreno']));

    // A click focuses the list too; once the pointer goes to the conversation, new order shows.
    await user.click(rowOf('Carla Singh'));
    await user.unhover(screen.getByRole('complementary', { name: 'Patient search and list' }));
    expect(screen.getByTestId('patient-list')).toHaveFocus();
    await newActivity(before);
    await waitFor(() => expect(names()).toEqual(['Carla Singh', 'Alice Moreno', 'Bob Tran']));
  });

  it('shows a new search as it comes, even under the pointer', async () => {
    const { user } = await renderColumn();
    await user.hover(rowOf('Alice Moreno'));
    await user.type(screen.getByRole('searchbox', { name: 'Search patients' }), 'bob');
    await waitFor(() => expect(names()).toEqual(['Bob Tran']));
    expect(screen.queryByRole('button', { name: /new/ })).toBeNull();
  });
});
