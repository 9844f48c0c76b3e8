// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { appInfo, credentials, settings } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';
import { settingsStore } from '../../test/settings-backend';

/** The fixture settings with Azure AD authorization, where his-client-secret belongs. */
const azureSettings = () =>
  settingsStore([
    ...settings,
    { key: 'his.auth', value: 'azure', default: 'bearer', description: 'Hospital SMS server authorization', note: null },
  ]);

async function openSettings(user: Awaited<ReturnType<typeof renderShell>>['user']) {
  await user.click(screen.getByRole('button', { name: 'Settings' }));
  const dialog = screen.getByRole('dialog', { name: 'Settings' });
  await within(dialog).findAllByTestId('credential-row');
  return dialog;
}

function credentialRow(dialog: HTMLElement, name: string): HTMLElement {
  const row = within(dialog)
    .getAllByTestId('credential-row')
    .find((r) => r.textContent?.includes(name) && r.querySelector('.credential__name')?.textContent === name);
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

describe('settings dialog', () => {
  it('shows the data directory from app_info, read-only, at the top', async () => {
    const { user } = await renderShell({
      app_info: () => ({ ...appInfo, data_dir: 'C:\\Users\\dana\\AppData\\Roaming\\CareDesk' }),
    });
    const dialog = await openSettings(user);
    const line = within(dialog).getByTestId('data-dir');
    expect(line).toHaveTextContent('Data directory');
    expect(within(line).getByText('C:\\Users\\dana\\AppData\\Roaming\\CareDesk')).toBeInTheDocument();
    expect(within(line).queryByRole('textbox')).toBeNull();
    expect(within(line).queryByRole('button')).toBeNull();
    // First thing in the dialog body, before the settings form.
    expect(dialog.querySelector('.dialog__body')?.firstElementChild).toBe(line);
  });

  it('lists settings with a plain label (the key for unplaced ones) and the description as help text', async () => {
    const { user } = await renderShell();
    const dialog = await openSettings(user);
    const url = await within(dialog).findByLabelText('Hospital SMS server address');
    expect(url).toHaveValue('https://his.example.org');
    expect(url).toHaveAccessibleDescription(/Base URL of the hospital information system\./);
    const limit = within(dialog).getByLabelText('sms.daily_limit');
    expect(limit).toHaveValue('');
    expect(limit).toHaveAttribute('placeholder', 'Default: 200');
  });

  it('saves a changed setting with set_setting, and an emptied one as null', async () => {
    const { user, backend } = await renderShell();
    const dialog = await openSettings(user);
    const limit = await within(dialog).findByLabelText('sms.daily_limit');
    const save = within(dialog).getByRole('button', { name: 'Save sms.daily_limit' });
    expect(save).toBeDisabled();
    await user.type(limit, '150');
    await user.click(save);
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'sms.daily_limit', value: '150' }]));

    const url = within(dialog).getByLabelText('Hospital SMS server address');
    await user.clear(url);
    await user.click(within(dialog).getByRole('button', { name: 'Save Hospital SMS server address' }));
    await waitFor(() => expect(backend.callsTo('set_setting')).toContainEqual({ key: 'his.base_url', value: null }));
  });

  it('shows "Stored" for stored credentials and never renders a secret', async () => {
    const { user } = await renderShell({
      ...settingsStore([
        ...settings,
        { key: 'his.auth', value: null, default: 'bearer', description: 'Hospital SMS server authorization', note: null },
      ]),
      // Even if the backend ever sent more than the contract says, nothing secret is shown.
      credential_status: () => credentials.map((c) => ({ ...c, secret: 'LEAKED-SECRET' })),
    });
    const dialog = await openSettings(user);
    const his = credentialRow(dialog, 'his-token');
    expect(within(his).getByText('Stored')).toBeInTheDocument();
    expect(within(his).getByRole('button', { name: 'Replace his-token' })).toBeInTheDocument();
    expect(within(his).getByRole('button', { name: 'Remove his-token' })).toBeInTheDocument();
    // his-client-secret belongs to Azure AD authorization.
    await user.selectOptions(within(dialog).getByLabelText('Authorization'), 'azure');
    await within(dialog).findByTestId('azure-fields');
    expect(within(credentialRow(dialog, 'his-client-secret')).getByText('Not stored')).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('LEAKED-SECRET');
    for (const input of Array.from(document.querySelectorAll('input'))) {
      expect(input.value).not.toContain('LEAKED-SECRET');
    }
  });

  it('replaces a credential via set_credential with what was typed, then forgets it', async () => {
    const { user, backend } = await renderShell();
    const dialog = await openSettings(user);
    const his = credentialRow(dialog, 'his-token');
    await user.click(within(his).getByRole('button', { name: 'Replace his-token' }));
    const input = within(his).getByLabelText('New secret for his-token');
    expect(input).toHaveAttribute('type', 'password');
    await user.type(input, 's3cr3t-value');
    await user.click(within(his).getByRole('button', { name: 'Save his-token' }));
    await waitFor(() =>
      expect(backend.callsTo('set_credential')).toEqual([{ name: 'his-token', secret: 's3cr3t-value' }]),
    );
    await waitFor(() => expect(within(his).queryByLabelText('New secret for his-token')).toBeNull());
    expect(document.body.textContent).not.toContain('s3cr3t-value');
    for (const el of Array.from(document.querySelectorAll('input'))) {
      expect(el.value).not.toContain('s3cr3t-value');
    }
  });

  it('stores a missing credential and refreshes the status', async () => {
    let stored = false;
    const { user, backend } = await renderShell({
      ...azureSettings(),
      credential_status: () =>
        credentials.map((c) => (c.name === 'his-client-secret' ? { ...c, stored } : c)),
      set_credential: () => {
        stored = true;
        return null;
      },
    });
    const dialog = await openSettings(user);
    const row = credentialRow(dialog, 'his-client-secret');
    await user.type(within(row).getByLabelText('New secret for his-client-secret'), 'abc');
    await user.click(within(row).getByRole('button', { name: 'Save his-client-secret' }));
    await within(row).findByText('Stored');
    expect(backend.callsTo('set_credential')).toEqual([{ name: 'his-client-secret', secret: 'abc' }]);
  });

  it('removes a credential after confirmation', async () => {
    const { user, backend } = await renderShell();
    const dialog = await openSettings(user);
    const ecm = credentialRow(dialog, 'ecm-token');
    await user.click(within(ecm).getByRole('button', { name: 'Remove ecm-token' }));
    expect(backend.callsTo('delete_credential')).toEqual([]);
    await user.click(within(ecm).getByRole('button', { name: 'Confirm remove ecm-token' }));
    await waitFor(() => expect(backend.callsTo('delete_credential')).toEqual([{ name: 'ecm-token' }]));
  });

  it('shows a set_credential error as a readable message and keeps the input', async () => {
    const { user } = await renderShell({
      ...azureSettings(),
      set_credential: () => {
        throw { code: 'keyring', message: 'The system keyring refused to store the secret.' };
      },
    });
    const dialog = await openSettings(user);
    const row = credentialRow(dialog, 'his-client-secret');
    await user.type(within(row).getByLabelText('New secret for his-client-secret'), 'abc');
    await user.click(within(row).getByRole('button', { name: 'Save his-client-secret' }));
    expect(await within(row).findByRole('alert')).toHaveTextContent(
      'Could not store his-client-secret: The system keyring refused to store the secret.',
    );
  });
});
