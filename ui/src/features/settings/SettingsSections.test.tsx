// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { appInfoKeys } from '../app-info/queries';
import { syncKeys } from '../sync/queries';
import { allSettings, renderSettings } from '../../test/settings-backend';

function section(name: string): HTMLElement {
  return screen.getByRole('region', { name });
}

async function ready() {
  await screen.findByRole('region', { name: 'Servers' });
}

describe('settings sections', () => {
  it('shows the settings in named sections, in order, with plain labels', async () => {
    renderSettings();
    await ready();
    const titles = screen.getAllByRole('region').map((r) => r.querySelector('h3')?.textContent);
    expect(titles).toEqual([
      'Servers',
      'Hospital SMS server',
      'ECM',
      'FHIR server',
      'Messaging',
      'Outreach',
      'Send a test message',
      'You',
      'Lock and notifications',
      'Exports',
    ]);
    expect(within(section('Servers')).getByLabelText('Sandbox port')).toHaveAttribute('placeholder', 'Default: 0');
    expect(within(section('Hospital SMS server')).getByLabelText('Hospital SMS server address')).toHaveValue(
      'https://his.example.org/',
    );
    const his = section('Hospital SMS server');
    const zone = within(his).getByLabelText('Server time zone');
    expect(zone).toHaveAttribute('placeholder', 'Estimated');
    expect(zone).toHaveAttribute('type', 'text');
    const lag = within(his).getByLabelText('Listing delay (seconds)');
    expect(lag).toHaveAttribute('placeholder', 'Default: 15');
    expect(lag).toHaveAttribute('inputmode', 'numeric');
    // After the sender number, in this order, before the connection check.
    const followsIn = (a: Element, b: Element) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
    const sender = await within(his).findByRole('combobox', { name: 'Sender number' });
    expect(followsIn(sender, zone)).toBe(true);
    expect(followsIn(zone, lag)).toBe(true);
    expect(followsIn(lag, within(his).getByRole('button', { name: /check connection/i }))).toBe(true);
    expect(within(section('ECM')).getByLabelText('ECM address')).toHaveValue('');
    const messaging = section('Messaging');
    expect(within(messaging).getByLabelText('Default route for texts')).toHaveValue('his');
    expect(within(messaging).getByLabelText('Check for replies every (seconds)')).toHaveAttribute(
      'placeholder',
      'Default: 10',
    );
    expect(within(messaging).getByLabelText('Most texts per second')).toBeInTheDocument();
    expect(within(messaging).getByLabelText('Override number')).toBeInTheDocument();
    expect(within(messaging).getByLabelText('Server timeout (seconds)')).toBeInTheDocument();
    const you = section('You');
    expect(within(you).getByLabelText('Your name')).toBeInTheDocument();
    expect(within(you).getByLabelText('Your ECM user id')).toBeInTheDocument();
    expect(within(you).getByLabelText('Phone region')).toHaveAttribute('placeholder', 'Default: US');
    expect(within(section('Exports')).getByLabelText('Export folder')).toBeInTheDocument();
    // Nothing is left over for "Other settings".
    expect(screen.queryByRole('region', { name: 'Other settings' })).toBeNull();
  });

  it("explains the hospital server's time zone with what CareDesk estimated, and saves a zone name", async () => {
    const { user, backend } = renderSettings();
    await ready();
    const zone = within(section('Hospital SMS server')).getByLabelText('Server time zone');
    expect(zone).toHaveValue('');
    expect(zone).toHaveAccessibleDescription(
      "Estimated: UTC+02:00, estimated from the server's lists of sent messages; its clock is 420 s behind this computer's. his.time_zone",
    );
    await user.type(zone, 'Europe/Vilnius');
    await user.click(within(section('Hospital SMS server')).getByRole('button', { name: 'Save Server time zone' }));
    await waitFor(() =>
      expect(backend.callsTo('set_setting')).toEqual([{ key: 'his.time_zone', value: 'Europe/Vilnius' }]),
    );
  });

  it('describes the time zone setting in its own words while nothing is estimated yet', async () => {
    renderSettings({ get_settings: () => allSettings({}, { 'his.time_zone': null }) });
    await ready();
    const zone = within(section('Hospital SMS server')).getByLabelText('Server time zone');
    expect(zone).toHaveAccessibleDescription(/^Time zone of the hospital SMS server's times that carry no offset/);
    expect(zone).not.toHaveAccessibleDescription(/Estimated:/);
    expect(within(section('Hospital SMS server')).getByLabelText('Listing delay (seconds)')).toHaveAccessibleDescription(
      /^How long the server may take to list a text it has taken\. .* Default: 15\. his\.outgoing_lag_secs$/,
    );
  });

  it('explains the server modes and saves the one chosen', async () => {
    const { user, backend } = renderSettings();
    await ready();
    const servers = section('Servers');
    await waitFor(() => expect(servers).toHaveTextContent('CareDesk is using the sandbox now.'));
    const group = within(servers).getByRole('group', { name: 'Which servers to use' });
    expect(within(group).getByRole('radio', { name: 'Automatic' })).toBeChecked();
    const real = within(group).getByRole('radio', { name: 'Real servers' });
    expect(real).toHaveAccessibleDescription(/Texts reach real patients/);
    expect(within(group).getByRole('radio', { name: 'Always sandbox' })).toHaveAccessibleDescription(
      /never to real patients/,
    );
    await user.click(real);
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'servers.mode', value: 'real' }]));
    await waitFor(() => expect(real).toBeChecked());
  });

  it('shows the Azure AD fields and secret only with Azure authorization', async () => {
    const { user, backend } = renderSettings();
    await ready();
    const his = section('Hospital SMS server');
    expect(within(his).queryByTestId('azure-fields')).toBeNull();
    expect(within(his).queryByLabelText('Tenant id')).toBeNull();
    expect(await within(his).findByText('his-token')).toBeInTheDocument();
    expect(within(his).queryByText('his-client-secret')).toBeNull();

    await user.selectOptions(within(his).getByLabelText('Authorization'), 'azure');
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'his.auth', value: 'azure' }]));
    const azure = await within(his).findByTestId('azure-fields');
    expect(within(azure).getByLabelText('Tenant id')).toBeInTheDocument();
    expect(within(azure).getByLabelText('Client id')).toBeInTheDocument();
    expect(within(azure).getByLabelText('Scope')).toBeInTheDocument();
    expect(within(azure).getByLabelText('Authority')).toHaveAttribute(
      'placeholder',
      'Default: https://login.microsoftonline.com/{0}',
    );
    expect(await within(azure).findByText('his-client-secret')).toBeInTheDocument();
    expect(within(his).queryByText('his-token')).toBeNull();

    await user.selectOptions(within(his).getByLabelText('Authorization'), 'bearer');
    await waitFor(() => expect(within(his).queryByTestId('azure-fields')).toBeNull());
  });

  it('places each secret next to its server', async () => {
    renderSettings({}, { 'his.auth': 'azure' });
    await ready();
    const rows = await screen.findAllByTestId('credential-row');
    expect(rows).toHaveLength(3);
    expect(within(section('Hospital SMS server')).getByTestId('credential-row')).toHaveTextContent('his-client-secret');
    expect(within(section('ECM')).getByTestId('credential-row')).toHaveTextContent('ecm-token');
    expect(within(section('FHIR server')).getByTestId('credential-row')).toHaveTextContent('fhir-token');
  });

  it('turns test mode on with the checkbox, explained', async () => {
    const { user, backend } = renderSettings();
    await ready();
    const toggle = within(section('Messaging')).getByRole('checkbox', { name: 'Test mode' });
    expect(toggle).not.toBeChecked();
    expect(toggle).toHaveAccessibleDescription(/Nothing goes to the real servers/);
    await user.click(toggle);
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'sms.test_mode', value: 'true' }]));
    await waitFor(() => expect(toggle).toBeChecked());
  });

  it('shows the backend refusal beside the field, and keeps what was typed', async () => {
    const { user } = renderSettings({
      set_setting: (args) => {
        if (args.key === 'http.timeout_secs') {
          throw { code: 'invalid_setting', message: 'http.timeout_secs: "0" is not a whole number from 1 to 600' };
        }
        return null;
      },
    });
    await ready();
    const messaging = section('Messaging');
    const timeout = within(messaging).getByLabelText('Server timeout (seconds)');
    await user.type(timeout, '0');
    await user.click(within(messaging).getByRole('button', { name: 'Save Server timeout (seconds)' }));
    const field = timeout.closest('form')!;
    expect(await within(field).findByRole('alert')).toHaveTextContent(
      'Could not save Server timeout (seconds): http.timeout_secs: "0" is not a whole number from 1 to 600',
    );
    expect(timeout).toHaveValue('0');
    expect(timeout).toHaveAttribute('aria-invalid', 'true');
    // Only that field shows it.
    expect(screen.getAllByRole('alert')).toHaveLength(1);
  });

  it('puts a choice back when the backend refuses it', async () => {
    const { user } = renderSettings({
      set_setting: () => {
        throw { code: 'invalid_setting', message: 'sms.via: "ecm" needs ecm.base_url' };
      },
    });
    await ready();
    const route = within(section('Messaging')).getByLabelText('Default route for texts');
    await user.selectOptions(route, 'ecm');
    expect(await within(route.closest('.setting') as HTMLElement).findByRole('alert')).toHaveTextContent(
      'Could not save Default route for texts: sms.via: "ecm" needs ecm.base_url',
    );
    expect(route).toHaveValue('his');
  });

  it('after a change, the app info and sync status are read again', async () => {
    const { user, client } = renderSettings();
    await ready();
    client.setQueryData(syncKeys.status, { stale: false });
    const appInfoCalls = () => client.getQueryState(appInfoKeys.all)?.dataUpdateCount ?? 0;
    const before = appInfoCalls();
    const name = within(section('You')).getByLabelText('Your name');
    await user.type(name, 'Dana Reyes');
    await user.click(within(section('You')).getByRole('button', { name: 'Save Your name' }));
    await waitFor(() => expect(client.getQueryState(syncKeys.status)?.isInvalidated).toBe(true));
    await waitFor(() => expect(appInfoCalls()).toBeGreaterThan(before));
  });

  it('lists settings it has no place for under Other settings, by key', async () => {
    renderSettings({
      get_settings: () => [
        { key: 'his.base_url', value: null, default: null, description: 'Base address', note: null },
        { key: 'sms.daily_limit', value: null, default: '200', description: 'Most texts sent per day.', note: null },
      ],
    });
    const other = await screen.findByRole('region', { name: 'Other settings' });
    expect(within(other).getByLabelText('sms.daily_limit')).toHaveAttribute('placeholder', 'Default: 200');
    // A section whose settings this backend does not have is left out.
    expect(screen.queryByRole('region', { name: 'Exports' })).toBeNull();
  });

  it('gives every control an accessible name', async () => {
    renderSettings({}, { 'his.auth': 'azure' });
    await ready();
    await screen.findAllByTestId('credential-row');
    await within(section('Hospital SMS server')).findByRole('combobox', { name: 'Sender number' });
    const roles = ['button', 'textbox', 'combobox', 'checkbox', 'radio'] as const;
    const controls = roles.flatMap((role) => screen.getAllByRole(role));
    expect(controls.length).toBeGreaterThan(30);
    for (const control of controls) expect(control).toHaveAccessibleName();
  });

  it('Escape closes the dialog', async () => {
    const { user, closedCount } = renderSettings();
    await ready();
    await user.keyboard('{Escape}');
    expect(closedCount()).toBe(1);
  });
});
