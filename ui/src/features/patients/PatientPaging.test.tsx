// @vitest-environment jsdom
import { act, renderHook, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { Providers } from '../../app/Providers';
import { createQueryClient } from '../../app/queryClient';
import type { PatientThread } from '../../platform';
import { installMockBackend, type CommandArgs } from '../../platform/mockBackend';
import { patientThread, threadListing } from '../../test/fixtures';
import { FAKE_ROW, FAKE_VIEWPORT, renderShell, scrollTo } from '../../test/renderApp';
import { prefetchFirstPatientPage, usePatientPages } from './queries';

/** `count` patients named "Patient 0001"…, in backend order. */
function roster(count: number): PatientThread[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return patientThread({
      id: i + 1,
      name: `Patient ${n}`,
      ecm_patient_id: null,
      fhir_id: null,
      fhir_status: null,
      time_zone: null,
      phones: [{ number: `+1555000${n}`, kind: 'patient', name: null, relationship: null, opted_out: false, active: true }],
    });
  });
}

/** list_threads over `rows`, honouring query and limit like the backend. */
function listing(rows: PatientThread[]) {
  return (args: CommandArgs) => threadListing(rows, args.query, undefined, args.limit);
}

function list() {
  return screen.getByRole('listbox', { name: 'Patients' });
}

function shownRows() {
  return within(list()).queryAllByTestId('patient-row');
}

function activeOption() {
  const id = list().getAttribute('aria-activedescendant');
  return id ? document.getElementById(id) : null;
}

function indexOf(row: HTMLElement): number {
  return Number(row.dataset.index);
}

/** Where the virtualizer put a row in the list. */
function translateY(row: HTMLElement): number {
  const y = /translate3d\(0(?:px)?, (-?[\d.]+)px/.exec(row.style.transform);
  expect(y).not.toBeNull();
  return Number(y![1]);
}

function scrollToEnd(el: HTMLElement) {
  scrollTo(el, el.scrollHeight - el.clientHeight);
}

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('patient column paging', () => {
  it('asks for 100, then 100 more near the end while more match, keeps the rows meanwhile, and stops when none do', async () => {
    const secondPage = gate();
    const all = roster(250);
    const { backend } = await renderShell({
      list_threads: async (args) => {
        if (args.limit === 200) await secondPage.opened;
        return listing(all)(args);
      },
    });
    const limits = () => backend.callsTo('list_threads').map((a) => a.limit);
    await within(list()).findByText('Patient 0001');
    expect(backend.callsTo('list_threads')).toEqual([{ query: null, limit: 100 }]);

    scrollToEnd(list());
    await waitFor(() => expect(limits()).toEqual([100, 200]));
    // The first page stays on screen while the second loads, with a note at the end.
    expect(await within(list()).findByText('Loading more…')).toBeInTheDocument();
    expect(within(list()).getByText('Patient 0100')).toBeInTheDocument();
    expect(list()).toHaveAttribute('aria-busy', 'true');

    secondPage.open();
    await waitFor(() => expect(within(list()).queryByText('Loading more…')).toBeNull());
    expect(list()).toHaveAttribute('aria-busy', 'false');
    // Still rows from the end of the view: no further page until the view nears the new end.
    await pause(100);
    expect(limits()).toEqual([100, 200]);

    scrollToEnd(list());
    expect(await within(list()).findByText('Patient 0200')).toBeInTheDocument();
    await waitFor(() => expect(limits()).toEqual([100, 200, 300]));
    scrollToEnd(list());
    expect(await within(list()).findByText('Patient 0250')).toBeInTheDocument();
    // 250 patients: the page of 300 has them all (has_more false), so nothing more is asked.
    scrollToEnd(list());
    await pause(300);
    expect(limits()).toEqual([100, 200, 300]);
  });

  it('starts each new search at the first page, from the top', async () => {
    const { user, backend } = await renderShell({ list_threads: listing(roster(250)) });
    const search = screen.getByRole('searchbox', { name: 'Search patients' });
    await within(list()).findByText('Patient 0001');
    scrollToEnd(list());
    await waitFor(() => expect(backend.callsTo('list_threads').at(-1)).toEqual({ query: null, limit: 200 }));
    await waitFor(() => expect(within(list()).queryByText('Loading more…')).toBeNull());
    expect(list().scrollTop).toBeGreaterThan(0);

    await user.type(search, 'Patient 0');
    await waitFor(() => expect(backend.callsTo('list_threads').at(-1)).toEqual({ query: 'Patient 0', limit: 100 }));
    expect(await within(list()).findByText('Patient 0001')).toBeInTheDocument();
    expect(list().scrollTop).toBe(0);

    scrollToEnd(list());
    await waitFor(() => expect(backend.callsTo('list_threads').at(-1)).toEqual({ query: 'Patient 0', limit: 200 }));
    await waitFor(() => expect(within(list()).queryByText('Loading more…')).toBeNull());

    await user.type(search, '2');
    await waitFor(() => expect(backend.callsTo('list_threads').at(-1)).toEqual({ query: 'Patient 02', limit: 100 }));
    expect(await within(list()).findByText('Patient 0200')).toBeInTheDocument();
    expect(list().scrollTop).toBe(0);
    expect(backend.callsTo('list_threads').filter((a) => a.query === 'Patient 02')).toEqual([
      { query: 'Patient 02', limit: 100 },
    ]);

    // Back to every patient: the first page again (still cached, so maybe not asked for).
    await user.clear(search);
    await waitFor(() => expect(within(list()).getAllByTestId('patient-row')[0]).toHaveTextContent('Patient 0001'));
    expect(list().scrollTop).toBe(0);
  });

  it('puts only the rows near the view in the DOM, at their place in the list', async () => {
    // A listing of 1,000 (as if paged that far): the DOM holds a screenful and a few more.
    const all = roster(1000);
    await renderShell({ list_threads: (args) => threadListing(all, args.query, undefined, 5000) });
    await within(list()).findByText('Patient 0001');
    // Rows measured at 40 px: enough of them to fill the 600 px view.
    await waitFor(() => expect(shownRows().length).toBeGreaterThanOrEqual(FAKE_VIEWPORT / FAKE_ROW));
    expect(shownRows().length).toBeLessThan(40);
    expect(within(list()).queryByText('Patient 0500')).toBeNull();

    scrollTo(list(), list().scrollHeight / 2);
    await waitFor(() => expect(indexOf(shownRows()[0]!)).toBeGreaterThan(300));
    await waitFor(() => {
      const rows = shownRows();
      const first = indexOf(rows[0]!);
      // A window of consecutive rows, each showing its own patient...
      expect(rows.map(indexOf)).toEqual(rows.map((_, i) => first + i));
      expect(rows[0]).toHaveTextContent(`Patient ${String(first + 1).padStart(4, '0')}`);
      expect(rows.length).toBeLessThan(40);
      // ...placed where the view is: from above its top to below its bottom.
      const top = list().scrollTop;
      expect(translateY(rows[0]!)).toBeLessThanOrEqual(top);
      expect(translateY(rows.at(-1)!)).toBeGreaterThanOrEqual(top + FAKE_VIEWPORT - FAKE_ROW);
    });
    expect(within(list()).queryByText('Patient 0001')).toBeNull();
  });

  it('moves the keyboard cursor through a long list, keeps it in view and in the DOM, and opens with Enter', async () => {
    const { user, backend } = await renderShell({ list_threads: listing(roster(250)) });
    await within(list()).findByText('Patient 0001');
    await user.click(screen.getByRole('searchbox', { name: 'Search patients' }));
    await user.keyboard('{ArrowDown}');
    expect(list()).toHaveFocus();
    expect(activeOption()).toHaveTextContent('Patient 0001');

    // End: the last loaded row scrolls into view (and, being near the end, the next page loads).
    await user.keyboard('{End}');
    await waitFor(() => expect(activeOption()).toHaveTextContent('Patient 0100'));
    await waitFor(() => expect(list().scrollTop).toBeGreaterThan(90 * FAKE_ROW));
    await waitFor(() => expect(backend.callsTo('list_threads').at(-1)).toEqual({ query: null, limit: 200 }));
    await user.keyboard('{Enter}');
    const conversation = screen.getByTestId('conversation');
    expect(within(conversation).getByRole('heading', { name: 'Patient 0100' })).toBeInTheDocument();
    expect(activeOption()).toHaveAttribute('aria-selected', 'true');

    await user.keyboard('{Home}');
    await waitFor(() => expect(activeOption()).toHaveTextContent('Patient 0001'));
    await waitFor(() => expect(list().scrollTop).toBe(0));

    for (let i = 0; i < 20; i += 1) await user.keyboard('{ArrowDown}');
    expect(activeOption()).toHaveTextContent('Patient 0021');
    await waitFor(() => expect(list().scrollTop).toBeGreaterThan(0));
    await user.keyboard('{ArrowUp}');
    expect(activeOption()).toHaveTextContent('Patient 0020');

    // Scrolled away with the wheel: the cursor's row stays in the DOM for aria-activedescendant.
    scrollToEnd(list());
    await waitFor(() => expect(indexOf(shownRows()[1]!)).toBeGreaterThan(60));
    expect(shownRows()[0]).toBe(activeOption());
    expect(activeOption()).toHaveTextContent('Patient 0020');
    await user.keyboard('{Enter}');
    expect(within(conversation).getByRole('heading', { name: 'Patient 0020' })).toBeInTheDocument();
  });

  it('keeps the rows when the next page fails, and says why', async () => {
    const all = roster(250);
    await renderShell({
      list_threads: (args) => {
        if (args.limit === 200) throw { code: 'db_locked', message: 'The patient database is busy.' };
        return listing(all)(args);
      },
    });
    await within(list()).findByText('Patient 0001');
    scrollToEnd(list());
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load patients: The patient database is busy.');
    expect(within(list()).getByText('Patient 0100')).toBeInTheDocument();
    expect(within(list()).queryByText('Loading more…')).toBeNull();
  });
});

describe('usePatientPages', () => {
  it('never asks for more than 5000', async () => {
    const all = roster(6000);
    const backend = installMockBackend({ list_threads: listing(all) });
    const client = createQueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => <Providers client={client}>{children}</Providers>;
    const { result } = renderHook(() => usePatientPages(''), { wrapper });
    for (let pages = 1; pages <= 55; pages += 1) {
      await waitFor(() => expect(result.current.more.canLoad || result.current.data?.patients.length === 5000).toBe(true));
      if (!result.current.more.canLoad) break;
      act(() => result.current.more.load());
    }
    await waitFor(() => expect(result.current.data?.patients).toHaveLength(5000));
    expect(result.current.data?.has_more).toBe(true);
    expect(result.current.more.canLoad).toBe(false);
    const limits = backend.callsTo('list_threads').map((a) => a.limit as number);
    expect(Math.max(...limits)).toBe(5000);
    expect(limits.slice(0, 3)).toEqual([100, 200, 300]);
  });
});

describe('first page at start-up', () => {
  it('is asked for before the column mounts, and the column uses it without asking again', async () => {
    const backend = installMockBackend({ list_threads: listing(roster(150)) });
    const client = createQueryClient();
    await prefetchFirstPatientPage(client);
    expect(backend.callsTo('list_threads')).toEqual([{ query: null, limit: 100 }]);
    const wrapper = ({ children }: { children: ReactNode }) => <Providers client={client}>{children}</Providers>;
    const { result } = renderHook(() => usePatientPages(''), { wrapper });
    expect(result.current.data?.patients).toHaveLength(100);
    expect(backend.callsTo('list_threads')).toHaveLength(1);
  });
});
