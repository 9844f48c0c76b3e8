// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { patients } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';

async function rows() {
  const list = await screen.findByTestId('patient-list');
  await waitFor(() => expect(within(list).queryAllByTestId('patient-row').length).toBeGreaterThan(0));
  return within(list).getAllByTestId('patient-row');
}

describe('patient list', () => {
  it('renders one row per patient from list_patients, with formatted phone and ECM id', async () => {
    const { backend } = await renderShell();
    const items = await rows();
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent('Alice Moreno');
    expect(items[0]).toHaveTextContent('+1 (555) 123-4567');
    expect(items[0]).toHaveTextContent('ECM 40213');
    expect(items[1]).not.toHaveTextContent('ECM');
    expect(backend.callsTo('list_patients')[0]).toEqual({ query: null });
    expect(screen.getByRole('listbox', { name: 'Patients' })).toBe(screen.getByTestId('patient-list'));
  });

  it('passes the typed search to list_patients and shows what comes back', async () => {
    const { user, backend } = await renderShell();
    await rows();
    await user.type(screen.getByRole('searchbox', { name: 'Search patients' }), 'car');
    await waitFor(() => expect((screen.getAllByTestId('patient-row'))).toHaveLength(1));
    expect(screen.getByTestId('patient-row')).toHaveTextContent('Carla Singh');
    const queries = backend.callsTo('list_patients').map((a) => a.query);
    expect(queries).toContain('car');
    // Debounced: not one call per keystroke.
    expect(queries).not.toContain('c');
  });

  it('shows a no-match note when the search finds nothing', async () => {
    const { user } = await renderShell();
    await rows();
    await user.type(screen.getByRole('searchbox', { name: 'Search patients' }), 'zzz');
    expect(await screen.findByText(/No patients match/)).toBeInTheDocument();
    expect(screen.queryAllByTestId('patient-row')).toHaveLength(0);
  });

  it('renders a hostile name as plain text and creates no element from it', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const { user } = await renderShell({
      list_patients: () => [{ ...patients[0]!, name: hostile }],
    });
    const [row] = await rows();
    expect(row).toHaveTextContent(hostile);
    expect(document.querySelector('img')).toBeNull();
    await user.click(row!);
    expect(within(screen.getByTestId('conversation')).getByRole('heading', { level: 1 })).toHaveTextContent(hostile);
    expect(document.querySelector('img')).toBeNull();
  });

  it('marks patients with an opted-out phone', async () => {
    await renderShell();
    const items = await rows();
    expect(within(items[1]!).getByText('Opted out')).toBeInTheDocument();
    expect(within(items[0]!).queryByText('Opted out')).toBeNull();
  });

  it('shows the empty state with an import button when there are no patients', async () => {
    const { user } = await renderShell({ list_patients: () => [] });
    expect(await screen.findByText('No patients yet — import a roster (CSV or FHIR JSON)')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Import a roster' }));
    expect(screen.getByRole('dialog', { name: 'Import patients' })).toBeInTheDocument();
  });

  it('selects with a click and moves with arrow keys', async () => {
    const { user } = await renderShell();
    const items = await rows();
    const conversation = screen.getByTestId('conversation');
    expect(within(conversation).queryByText('No messages yet')).toBeNull();

    await user.click(items[0]!);
    expect(items[0]).toHaveAttribute('aria-selected', 'true');
    expect(within(conversation).getByRole('heading', { name: 'Alice Moreno' })).toBeInTheDocument();
    expect(await within(conversation).findByText('No messages yet')).toBeInTheDocument();

    await user.keyboard('{ArrowDown}');
    expect(screen.getAllByTestId('patient-row')[1]).toHaveAttribute('aria-selected', 'true');
    expect(screen.getAllByTestId('patient-row')[0]).toHaveAttribute('aria-selected', 'false');
    expect(within(conversation).getByRole('heading', { name: 'Bob Tran' })).toBeInTheDocument();

    await user.keyboard('{ArrowUp}');
    expect(within(conversation).getByRole('heading', { name: 'Alice Moreno' })).toBeInTheDocument();
  });

  it('moves from the search box into the list with ArrowDown', async () => {
    const { user } = await renderShell();
    await rows();
    await user.click(screen.getByRole('searchbox', { name: 'Search patients' }));
    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('patient-list')).toHaveFocus();
    expect(screen.getAllByTestId('patient-row')[0]).toHaveAttribute('aria-selected', 'true');
  });

  it('shows a backend error as a readable message', async () => {
    await renderShell({
      list_patients: () => {
        throw { code: 'db_locked', message: 'The patient database is locked by another CareDesk window.' };
      },
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load patients: The patient database is locked by another CareDesk window.');
    expect(alert).not.toHaveTextContent('[object Object]');
    expect(screen.queryByText(/No patients yet/)).toBeNull();
  });
});
