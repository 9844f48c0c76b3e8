// @vitest-environment jsdom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { appInfo } from '../test/fixtures';
import { renderShell } from '../test/renderApp';

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
    await renderShell({ app_info: () => ({ ...appInfo, mode: 'real', patient_count: 1 }) });
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

  it('every button and text field has an accessible name', async () => {
    const { user } = await renderShell();
    await screen.findAllByTestId('patient-row');
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    await screen.findAllByTestId('credential-row');
    for (const el of [...screen.getAllByRole('button'), ...screen.getAllByRole('textbox')]) {
      expect(el).toHaveAccessibleName();
    }
  });
});
