// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { OPEN_THREAD_EVENT, SYNC_EVENT } from '../platform/events';
import { composer, selectPatient } from '../test/conversation';
import { appInfo, pagedThread, syncView, threadItem, unmatchedThread } from '../test/fixtures';
import { emitEvent, listenerCount, renderShell } from '../test/renderApp';

describe('app shell', () => {
  it('shows the sandbox banner and status bar details in sandbox mode', async () => {
    await renderShell();
    expect(await screen.findByTestId('sandbox-banner')).toHaveTextContent(/not to real patients/);
    const status = screen.getByTestId('status-bar');
    expect(status).toHaveAttribute('role', 'status');
    expect(within(status).getByText('Sandbox')).toBeInTheDocument();
    expect(status).toHaveTextContent('3 patients');
    expect(status).toHaveTextContent('Dana Coordinator');
    expect(status).toHaveTextContent('v0.1.0');
  });

  it('has no sandbox banner when talking to real servers', async () => {
    await renderShell({
      app_info: () => ({ ...appInfo, mode: 'real', patient_count: 1 }),
      sync_status: () => ({ ...syncView, mode: 'real' }),
    });
    const status = screen.getByTestId('status-bar');
    expect(await within(status).findByText('Real servers')).toBeInTheDocument();
    expect(status).toHaveTextContent('1 patient');
    expect(screen.queryByTestId('sandbox-banner')).toBeNull();
  });

  it('focuses the patient search on Ctrl+K', async () => {
    const { user } = await renderShell();
    const search = screen.getByRole('searchbox', { name: 'Search patients' });
    expect(search).toHaveAttribute('placeholder', 'Search name, phone or ECM id (Ctrl+K)');
    expect(search).not.toHaveFocus();
    await user.keyboard('{Control>}k{/Control}');
    expect(search).toHaveFocus();
  });

  it('Ctrl+K is handled even when focus is in the list, and the browser default is prevented', async () => {
    await renderShell();
    const list = screen.getByTestId('patient-list');
    list.focus();
    const notCancelled = fireEvent.keyDown(list, { key: 'k', ctrlKey: true });
    expect(notCancelled).toBe(false);
    expect(screen.getByRole('searchbox', { name: 'Search patients' })).toHaveFocus();
  });

  it('opens settings from the gear button and closes with Escape', async () => {
    const { user } = await renderShell();
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    expect(screen.getByRole('dialog', { name: 'Settings' })).toHaveAttribute('aria-modal', 'true');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('opens settings from a paused route in the status bar', async () => {
    const pause = {
      route: 'his',
      code: 'his_unauthorized',
      reason: 'the hospital SMS server refused the token his-token (HTTP 401)',
      since: '2024-03-01T09:30:00Z',
      next_probe: '2024-03-01T09:35:00Z',
    } as const;
    const { user } = await renderShell({
      sync_status: () => ({ ...syncView, paused: [pause] }),
    });
    const paused = await within(screen.getByTestId('status-bar')).findByTestId('route-paused');
    await user.click(within(paused).getByRole('button', { name: 'Open Settings' }));
    expect(screen.getByRole('dialog', { name: 'Settings' })).toHaveAttribute('aria-modal', 'true');
  });

  it('opens the activity log from the sidebar and closes it with Escape', async () => {
    const { user } = await renderShell();
    await user.click(screen.getByRole('button', { name: 'Activity log' }));
    expect(screen.getByRole('dialog', { name: 'Activity log' })).toHaveAttribute('aria-modal', 'true');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it("opens a patient's thread when a notification is clicked, even one the search hides", async () => {
    const { user } = await renderShell();
    await screen.findAllByTestId('patient-row');
    await user.type(screen.getByRole('searchbox', { name: 'Search patients' }), 'alice');
    await waitFor(() => expect(screen.getAllByTestId('patient-row')).toHaveLength(1));
    await waitFor(() => expect(listenerCount(OPEN_THREAD_EVENT)).toBe(1));
    emitEvent(OPEN_THREAD_EVENT, { patient_id: 3, number: null });
    expect(await screen.findByRole('heading', { level: 1, name: 'Carla Singh' })).toBeInTheDocument();
  });

  it('opens the Unmatched inbox at the number when a notification for an unknown number is clicked', async () => {
    const { backend } = await renderShell({ list_unmatched: () => [unmatchedThread()] });
    await waitFor(() => expect(listenerCount(OPEN_THREAD_EVENT)).toBe(1));
    emitEvent(OPEN_THREAD_EVENT, { patient_id: null, number: '+18055550100' });
    const inbox = await screen.findByTestId('unmatched-inbox');
    expect(await within(inbox).findByRole('heading', { name: '(805) 555-0100' })).toBeInTheDocument();
    await waitFor(() => expect(backend.callsTo('unmatched_thread')).toEqual([{ number: '+18055550100' }]));
  });

  it('reloads the thread list and the Unmatched inbox when a sync cycle changed something', async () => {
    const { user, backend } = await renderShell();
    await user.click(await screen.findByTestId('unmatched-entry'));
    await screen.findByText('No replies from unknown numbers.');
    await waitFor(() => expect(listenerCount(SYNC_EVENT)).toBeGreaterThan(0));
    const lists = backend.callsTo('list_threads').length;
    const inbox = backend.callsTo('list_unmatched').length;
    emitEvent(SYNC_EVENT, { kind: 'cycle_finished', changed: true, unread_total: 0, errors: [] });
    await waitFor(() => expect(backend.callsTo('list_threads').length).toBeGreaterThan(lists));
    await waitFor(() => expect(backend.callsTo('list_unmatched').length).toBeGreaterThan(inbox));
  });

  it('keeps a draft while visiting the Unmatched inbox', async () => {
    const { user } = await renderShell();
    await selectPatient(user, 0);
    await user.type(composer().text, 'Half written');
    await user.click(screen.getByTestId('unmatched-entry'));
    await screen.findByTestId('unmatched-inbox');
    await selectPatient(user, 0);
    expect(composer().text).toHaveValue('Half written');
  });

  it('every button and text field has an accessible name', async () => {
    const { user } = await renderShell({
      list_unmatched: () => [unmatchedThread()],
      thread_page: pagedThread(Array.from({ length: 210 }, (_, i) => threadItem({ text: `Text ${i}` }))),
    });
    const expectNamed = () => {
      for (const el of [
        ...screen.getAllByRole('button'),
        ...screen.queryAllByRole('textbox'),
        ...screen.queryAllByRole('searchbox'),
        ...screen.queryAllByRole('combobox'),
        ...screen.queryAllByRole('listbox'),
        ...screen.queryAllByRole('option'),
        ...screen.queryAllByRole('radio'),
      ]) {
        expect(el).toHaveAccessibleName();
      }
    };
    await selectPatient(user, 0);
    await screen.findByRole('button', { name: 'Load older messages' });
    expectNamed();

    await user.click(screen.getByRole('button', { name: 'Settings' }));
    await screen.findAllByTestId('credential-row');
    expectNamed();
    await user.keyboard('{Escape}');

    await user.click(screen.getByTestId('unmatched-entry'));
    await user.click((await screen.findAllByTestId('unmatched-row'))[0]!);
    await user.click(await screen.findByRole('button', { name: 'Link to patient…' }));
    await screen.findAllByRole('radio');
    expectNamed();
  });
});
