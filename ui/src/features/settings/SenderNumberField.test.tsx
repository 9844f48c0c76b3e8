// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SenderNumber } from '../../platform';
import { renderSettings } from '../../test/settings-backend';

async function senderField() {
  const his = await screen.findByRole('region', { name: 'Hospital SMS server' });
  return within(his).getByTestId('sender-number');
}

describe('sender number', () => {
  it('offers the numbers from Get numbers in a select, and saves the one chosen', async () => {
    const { user, backend } = renderSettings();
    const field = await senderField();
    const select = await within(field).findByRole('combobox', { name: 'Sender number' });
    const options = within(select)
      .getAllByRole('option')
      .map((o) => [o.getAttribute('value'), o.textContent]);
    expect(options).toEqual([
      ['', 'Not set'],
      ['+18055550100', '+18055550100'],
      ['RSL_HOSP', 'RSL_HOSP'],
    ]);
    expect(backend.callsTo('list_sender_numbers')).toHaveLength(1);
    await user.selectOptions(select, 'RSL_HOSP');
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'his.from', value: 'RSL_HOSP' }]));
    await waitFor(() => expect(select).toHaveValue('RSL_HOSP'));
  });

  it('clears the sender number by emptying the typed entry', async () => {
    const { user, backend } = renderSettings({}, { 'his.from': 'RSL_HOSP' });
    const field = await senderField();
    const select = await within(field).findByRole('combobox', { name: 'Sender number' });
    await waitFor(() => expect(select).toHaveValue('RSL_HOSP'));
    expect(within(select).queryByRole('option', { name: 'Not set' })).toBeNull();
    await user.click(within(field).getByRole('button', { name: 'Type a number instead' }));
    const input = within(field).getByRole('textbox', { name: 'Sender number' });
    await user.clear(input);
    await user.click(within(field).getByRole('button', { name: 'Save Sender number' }));
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'his.from', value: null }]));
  });

  it('keeps a saved number that the server no longer lists', async () => {
    renderSettings({}, { 'his.from': '+18055559999' });
    const field = await senderField();
    const select = await within(field).findByRole('combobox', { name: 'Sender number' });
    expect(select).toHaveValue('+18055559999');
  });

  it('Refresh asks the server again and shows the new list', async () => {
    let numbers: SenderNumber[] = [{ number: '+18055550100' }];
    const { user, backend } = renderSettings({ list_sender_numbers: () => numbers });
    const field = await senderField();
    const select = await within(field).findByRole('combobox', { name: 'Sender number' });
    expect(within(select).queryByRole('option', { name: '+18055550111' })).toBeNull();
    numbers = [...numbers, { number: '+18055550111' }];
    await user.click(within(field).getByRole('button', { name: 'Refresh sender numbers' }));
    expect(await within(select).findByRole('option', { name: '+18055550111' })).toBeInTheDocument();
    expect(backend.callsTo('list_sender_numbers')).toHaveLength(2);
  });

  it('says in words why the list could not load, and lets the number be typed', async () => {
    const { user, backend } = renderSettings({
      list_sender_numbers: () => {
        throw { code: 'gateway', message: 'The hospital SMS server refused the token (401).' };
      },
    });
    const field = await senderField();
    expect(await within(field).findByRole('alert')).toHaveTextContent(
      'Could not get the sender numbers: The hospital SMS server refused the token (401).',
    );
    expect(within(field).queryByRole('combobox')).toBeNull();
    const input = within(field).getByRole('textbox', { name: 'Sender number' });
    await user.type(input, '+18055550100');
    await user.click(within(field).getByRole('button', { name: 'Save Sender number' }));
    await waitFor(() =>
      expect(backend.callsTo('set_setting')).toEqual([{ key: 'his.from', value: '+18055550100' }]),
    );
  });

  it('allows typing a number that is not on the list', async () => {
    const { user, backend } = renderSettings();
    const field = await senderField();
    await within(field).findByRole('combobox', { name: 'Sender number' });
    await user.click(within(field).getByRole('button', { name: 'Type a number instead' }));
    await user.type(within(field).getByRole('textbox', { name: 'Sender number' }), 'CLINIC_B');
    await user.click(within(field).getByRole('button', { name: 'Save Sender number' }));
    await waitFor(() => expect(backend.callsTo('set_setting')).toEqual([{ key: 'his.from', value: 'CLINIC_B' }]));
    await user.click(within(field).getByRole('button', { name: 'Choose from the list' }));
    expect(within(field).getByRole('combobox', { name: 'Sender number' })).toBeInTheDocument();
  });

  it('says so when the server lists no numbers', async () => {
    renderSettings({ list_sender_numbers: () => [] });
    const field = await senderField();
    expect(await within(field).findByText(/lists no sender numbers/)).toBeInTheDocument();
    expect(within(field).getByRole('textbox', { name: 'Sender number' })).toBeInTheDocument();
  });
});
