// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PatientThread } from '../../platform';
import { lastItem, patients, patientThread, threadListing } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';

async function rows() {
  const list = await screen.findByTestId('patient-list');
  await waitFor(() => expect(within(list).queryAllByTestId('patient-row').length).toBeGreaterThan(0));
  return within(list).getAllByTestId('patient-row');
}

function list() {
  return screen.getByRole('listbox', { name: 'Patients' });
}

/** The option the list's keyboard cursor is on. */
function activeOption() {
  const id = list().getAttribute('aria-activedescendant');
  return id ? document.getElementById(id) : null;
}

const today = (h: number, m: number) => {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, m).toISOString();
};

/** Carla wrote most recently (2 unread), then Alice (our text), Bob has no activity. */
const busy: PatientThread[] = [
  patientThread(patients[2]!, { last: lastItem({ at: today(9, 41), preview: 'Can I come at 10 instead?' }), unread: 2 }),
  patientThread(patients[0]!, {
    last: lastItem({ at: today(8, 5), direction: 'outbound', preview: 'Reminder: lab work Friday' }),
  }),
  patientThread(patients[1]!),
];

describe('patient list', () => {
  it('shows the threads in backend order with preview, time, unread badge, phone and ECM id', async () => {
    const { backend } = await renderShell({ list_threads: (args) => threadListing(busy, args.query) });
    const items = await rows();
    expect(items.map((r) => within(r).getByText(/Singh|Moreno|Tran/).textContent)).toEqual([
      'Carla Singh',
      'Alice Moreno',
      'Bob Tran',
    ]);
    expect(within(items[0]!).getByTestId('patient-preview')).toHaveTextContent('Can I come at 10 instead?');
    expect(within(items[0]!).getByTestId('unread-badge').textContent).toBe('2');
    expect(items[0]).toHaveAccessibleName(/Carla Singh.*, 2 unread/);
    expect(items[0]!.querySelector('time')).toHaveTextContent(/9.41/);
    expect(within(items[1]!).getByTestId('patient-preview')).toHaveTextContent('You: Reminder: lab work Friday');
    expect(within(items[1]!).queryByTestId('unread-badge')).toBeNull();
    expect(items[1]).toHaveTextContent('+1 (555) 123-4567');
    expect(items[1]).toHaveTextContent('ECM 40213');
    expect(within(items[2]!).getByTestId('patient-preview')).toHaveTextContent('No messages yet');
    expect(items[2]).not.toHaveTextContent('ECM');
    expect(backend.callsTo('list_threads')[0]).toEqual({ query: null, limit: 100 });
    expect(list()).toBe(screen.getByTestId('patient-list'));
  });

  it('passes the typed search to list_threads as it is typed and shows what comes back', async () => {
    const { user, backend } = await renderShell({
      list_threads: (args) =>
        threadListing(args.query === '(555) 222-3333' ? [busy[0]!] : busy, null),
    });
    await rows();
    await user.type(screen.getByRole('searchbox', { name: 'Search patients' }), '(555) 222-3333');
    await waitFor(() => expect(screen.getAllByTestId('patient-row')).toHaveLength(1));
    expect(screen.getByTestId('patient-row')).toHaveTextContent('Carla Singh');
    const queries = backend.callsTo('list_threads').map((a) => a.query);
    expect(queries).toContain('(555) 222-3333');
    // Debounced: not one call per keystroke.
    expect(queries).not.toContain('(');
  });

  it('shows a no-match note when the search finds nothing', async () => {
    const { user } = await renderShell();
    await rows();
    await user.type(screen.getByRole('searchbox', { name: 'Search patients' }), 'zzz');
    expect(await screen.findByText(/No patients match/)).toBeInTheDocument();
    expect(screen.queryAllByTestId('patient-row')).toHaveLength(0);
  });

  it('renders a hostile name and preview as plain text and creates no element from them', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const { user } = await renderShell({
      list_threads: () =>
        threadListing(
          [patientThread({ ...patients[0]!, name: hostile }, { last: lastItem({ preview: `<script>x</script>\u202Egpj.exe` }) })],
          null,
        ),
    });
    const [row] = await rows();
    expect(row).toHaveTextContent(hostile);
    expect(within(row!).getByTestId('patient-preview')).toHaveTextContent('<script>x</script>⟨U+202E⟩gpj.exe');
    expect(document.querySelector('img')).toBeNull();
    expect(screen.getByTestId('patient-list').querySelector('script')).toBeNull();
    await user.click(row!);
    expect(within(screen.getByTestId('conversation')).getByRole('heading', { level: 1 })).toHaveTextContent(hostile);
    expect(document.querySelector('img')).toBeNull();
  });

  it("marks patients whose own number opted out", async () => {
    await renderShell();
    const items = await rows();
    expect(within(items[1]!).getByText('Opted out')).toBeInTheDocument();
    expect(within(items[0]!).queryByText('Opted out')).toBeNull();
    expect(within(items[2]!).queryByText('Opted out')).toBeNull();
  });

  it('shows the empty state with an import button when there are no patients', async () => {
    const { user } = await renderShell({ list_threads: () => threadListing([], null) });
    expect(await screen.findByText('No patients yet — import a roster (CSV or FHIR JSON)')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Import a roster' }));
    expect(screen.getByRole('dialog', { name: 'Import patients' })).toBeInTheDocument();
  });

  it('opens with a click; the arrows move through the list and Enter opens', async () => {
    const { user } = await renderShell();
    const items = await rows();
    const conversation = screen.getByTestId('conversation');

    await user.click(items[0]!);
    expect(items[0]).toHaveAttribute('aria-selected', 'true');
    expect(within(conversation).getByRole('heading', { name: 'Alice Moreno' })).toBeInTheDocument();
    expect(await within(conversation).findByText('No messages yet')).toBeInTheDocument();
    expect(activeOption()).toBe(items[0]);

    await user.keyboard('{ArrowDown}');
    expect(activeOption()).toBe(screen.getAllByTestId('patient-row')[1]);
    // Moving does not open (or mark read) the thread on the way.
    expect(within(conversation).getByRole('heading', { name: 'Alice Moreno' })).toBeInTheDocument();
    expect(screen.getAllByTestId('patient-row')[1]).toHaveAttribute('aria-selected', 'false');

    await user.keyboard('{Enter}');
    expect(within(conversation).getByRole('heading', { name: 'Bob Tran' })).toBeInTheDocument();
    expect(screen.getAllByTestId('patient-row')[1]).toHaveAttribute('aria-selected', 'true');
    expect(screen.getAllByTestId('patient-row')[0]).toHaveAttribute('aria-selected', 'false');

    await user.keyboard('{End}');
    expect(activeOption()).toBe(screen.getAllByTestId('patient-row')[2]);
    await user.keyboard('{ArrowDown}');
    expect(activeOption()).toBe(screen.getAllByTestId('patient-row')[2]);
    await user.keyboard('{Home}{ArrowUp}');
    expect(activeOption()).toBe(screen.getAllByTestId('patient-row')[0]);
    await user.keyboard('{Enter}');
    expect(within(conversation).getByRole('heading', { name: 'Alice Moreno' })).toBeInTheDocument();
  });

  it('moves from the search box into the list with ArrowDown; Enter in the search opens the first match', async () => {
    const { user } = await renderShell();
    await rows();
    await user.click(screen.getByRole('searchbox', { name: 'Search patients' }));
    await user.keyboard('{ArrowDown}');
    expect(list()).toHaveFocus();
    expect(activeOption()).toBe(screen.getAllByTestId('patient-row')[0]);
    await user.keyboard('{ArrowDown}{Enter}');
    expect(screen.getByRole('heading', { name: 'Bob Tran' })).toBeInTheDocument();

    await user.click(screen.getByRole('searchbox', { name: 'Search patients' }));
    await user.keyboard('car');
    await waitFor(() => expect(screen.getAllByTestId('patient-row')).toHaveLength(1));
    await user.keyboard('{Enter}');
    expect(screen.getByRole('heading', { name: 'Carla Singh' })).toBeInTheDocument();
  });

  it('marks a thread read when it opens, and its unread badge goes', async () => {
    let rowsNow = busy;
    const { user, backend } = await renderShell({
      list_threads: (args) => threadListing(rowsNow, args.query),
      mark_thread_read: (args) => {
        rowsNow = rowsNow.map((p) => (p.id === args.patientId ? { ...p, unread: 0 } : p));
        return null;
      },
    });
    const items = await rows();
    expect(within(items[0]!).getByTestId('unread-badge')).toBeInTheDocument();
    await user.click(items[0]!);
    await waitFor(() => expect(backend.callsTo('mark_thread_read')).toEqual([{ patientId: 3 }]));
    await waitFor(() => expect(within(screen.getAllByTestId('patient-row')[0]!).queryByTestId('unread-badge')).toBeNull());
  });

  it('has an Unmatched entry with its unread count that opens the Unmatched inbox', async () => {
    const { user } = await renderShell({
      list_threads: (args) => threadListing(busy, args.query, { threads: 3, unread: 4 }),
    });
    await rows();
    const entry = screen.getByTestId('unmatched-entry');
    expect(entry).toHaveTextContent('Replies from 3 unknown numbers');
    expect(within(entry).getByTestId('unread-badge').textContent).toBe('4');
    expect(entry).toHaveAccessibleName('Unmatched: Replies from 3 unknown numbers, 4 unread');
    expect(entry).toHaveAttribute('aria-pressed', 'false');
    await user.click(entry);
    expect(await screen.findByTestId('unmatched-inbox')).toBeInTheDocument();
    expect(entry).toHaveAttribute('aria-pressed', 'true');
    expect(screen.queryByTestId('conversation')).toBeNull();
  });

  it('shows a backend error as a readable message', async () => {
    await renderShell({
      list_threads: () => {
        throw { code: 'db_locked', message: 'The patient database is locked by another CareDesk window.' };
      },
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load patients: The patient database is locked by another CareDesk window.');
    expect(alert).not.toHaveTextContent('[object Object]');
    expect(screen.queryByText(/No patients yet/)).toBeNull();
  });
});
