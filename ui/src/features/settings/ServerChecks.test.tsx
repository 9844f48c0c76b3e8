// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { CommandArgs } from '../../platform/mockBackend';
import { renderSettings } from '../../test/settings-backend';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('check connection', () => {
  it('checks each server on its own and shows an ok result with the message', async () => {
    const { user, backend } = renderSettings({
      check_connection: (args: CommandArgs) =>
        args.service === 'his'
          ? { service: 'his', ok: true, message: 'Connected: 2 sender numbers', elapsed_ms: 85 }
          : { service: 'ecm', ok: true, message: 'Connected', elapsed_ms: 40 },
    });
    const his = await screen.findByRole('region', { name: 'Hospital SMS server' });
    await user.click(within(his).getByRole('button', { name: 'Check connection to the hospital SMS server' }));
    const result = await within(his).findByTestId('check-his');
    expect(result).toHaveTextContent('Connection OK: Connected: 2 sender numbers (85 ms)');
    expect(result).toHaveClass('check-result--ok');
    expect(backend.callsTo('check_connection')).toEqual([{ service: 'his' }]);
    expect(within(screen.getByRole('region', { name: 'ECM' })).queryByTestId('check-ecm')).toBeNull();
  });

  it('shows a failed check in words, as a failure', async () => {
    const { user } = renderSettings({
      check_connection: () => ({
        service: 'ecm',
        ok: false,
        message: 'The server refused the token (401)',
        elapsed_ms: 230,
      }),
    });
    const ecm = await screen.findByRole('region', { name: 'ECM' });
    await user.click(within(ecm).getByRole('button', { name: 'Check connection to ECM' }));
    const result = await within(ecm).findByTestId('check-ecm');
    expect(result).toHaveTextContent('Connection failed: The server refused the token (401)');
    expect(result).toHaveClass('check-result--failed');
    expect(result).not.toHaveTextContent('Connection OK');
  });

  it('disables the button while checking', async () => {
    const answer = deferred<unknown>();
    const { user } = renderSettings({ check_connection: () => answer.promise });
    const ecm = await screen.findByRole('region', { name: 'ECM' });
    const button = within(ecm).getByRole('button', { name: 'Check connection to ECM' });
    await user.click(button);
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('Checking…');
    answer.resolve({ service: 'ecm', ok: true, message: 'Connected', elapsed_ms: 5 });
    await waitFor(() => expect(button).toBeEnabled());
  });

  it('shows a command error as a readable message', async () => {
    const { user } = renderSettings({
      check_connection: () => {
        throw { code: 'not_configured', message: 'Set the ECM address first.' };
      },
    });
    const ecm = await screen.findByRole('region', { name: 'ECM' });
    await user.click(within(ecm).getByRole('button', { name: 'Check connection to ECM' }));
    expect(await within(ecm).findByRole('alert')).toHaveTextContent(
      'Could not check the connection: Set the ECM address first.',
    );
  });
});

describe('send test message', () => {
  it('sends to the typed number through the chosen route and shows the result text', async () => {
    const { user, backend } = renderSettings({
      send_test_message: () => 'Accepted by the hospital SMS server (id 77).',
    });
    const section = await screen.findByRole('region', { name: 'Send a test message' });
    const send = within(section).getByRole('button', { name: 'Send test message' });
    expect(send).toBeDisabled();
    await user.type(within(section).getByLabelText('Phone number for the test'), '(805) 555-0100');
    await user.click(send);
    expect(await within(section).findByTestId('test-message-result')).toHaveTextContent(
      'Accepted by the hospital SMS server (id 77).',
    );
    expect(backend.callsTo('send_test_message')).toEqual([{ to: '(805) 555-0100', via: null }]);

    await user.selectOptions(within(section).getByLabelText('Send through'), 'ecm');
    await user.click(send);
    await waitFor(() =>
      expect(backend.callsTo('send_test_message')).toEqual([
        { to: '(805) 555-0100', via: null },
        { to: '(805) 555-0100', via: 'ecm' },
      ]),
    );
  });

  it('shows why a test message was refused', async () => {
    const { user } = renderSettings({
      send_test_message: () => {
        throw { code: 'invalid_phone', message: '"12" is not a phone number.' };
      },
    });
    const section = await screen.findByRole('region', { name: 'Send a test message' });
    await user.type(within(section).getByLabelText('Phone number for the test'), '12');
    await user.click(within(section).getByRole('button', { name: 'Send test message' }));
    expect(await within(section).findByRole('alert')).toHaveTextContent(
      'The test message was not sent: "12" is not a phone number.',
    );
    expect(within(section).queryByTestId('test-message-result')).toBeNull();
  });
});
