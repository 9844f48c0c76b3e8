// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { composer, openPatient, selectPatient } from '../../test/conversation';

/** Replaces the composer text in one go (typing 160 keys one by one is slow). */
async function write(user: { click: (el: Element) => Promise<void>; paste: (text: string) => Promise<void> }, text: string) {
  const box = composer().text;
  await user.click(box);
  box.select();
  await user.paste(text);
  expect(box).toHaveValue(text);
}

describe('composer character and segment count', () => {
  it('counts plain GSM-7 text, one segment up to 160 characters', async () => {
    const { user } = await openPatient(0);
    await write(user, 'Your appointment is on Monday at 9.');
    expect(composer().count).toHaveTextContent('35 characters · 1 segment (GSM-7)');
    await write(user, 'a'.repeat(160));
    expect(composer().count).toHaveTextContent('160 characters · 1 segment (GSM-7)');
    expect(screen.queryByTestId('sms-split-hint')).toBeNull();
  });

  it('hints above 160 characters that the text goes out in 153-character segments', async () => {
    const { user } = await openPatient(0);
    await write(user, 'b'.repeat(172));
    expect(composer().count).toHaveTextContent('172 characters · 2 segments (GSM-7)');
    expect(screen.getByTestId('sms-split-hint')).toHaveTextContent(
      'Over 160 characters: it goes out as 2 segments of up to 153 characters, each billed as a text.',
    );
    await write(user, 'b'.repeat(307));
    expect(composer().count).toHaveTextContent('307 characters · 3 segments (GSM-7)');
  });

  it('counts GSM-7 extension characters as 2 each and says why', async () => {
    const { user } = await openPatient(0);
    await write(user, '{€}');
    expect(composer().count).toHaveTextContent('6 characters · 1 segment (GSM-7)');
    expect(within(composer().form).getByText('{ € } count as 2 characters each.')).toBeInTheDocument();
    await write(user, `${'a'.repeat(158)}~`);
    expect(composer().count).toHaveTextContent('160 characters · 1 segment (GSM-7)');
    await write(user, `${'a'.repeat(159)}^`);
    expect(composer().count).toHaveTextContent('161 characters · 2 segments (GSM-7)');
  });

  it('switches to UCS-2 for emoji and other non-GSM characters: 70 per text, 67 per segment', async () => {
    const { user } = await openPatient(0);
    await write(user, 'See you 😀');
    expect(composer().count).toHaveTextContent('10 characters · 1 segment (UCS-2)');
    expect(within(composer().form).getByText(/Unicode \(UCS-2\) because of 😀: up to 70 characters per text/)).toBeInTheDocument();
    await write(user, 'ç'.repeat(70));
    expect(composer().count).toHaveTextContent('70 characters · 1 segment (UCS-2)');
    expect(screen.queryByTestId('sms-split-hint')).toBeNull();
    await write(user, 'ç'.repeat(71));
    expect(composer().count).toHaveTextContent('71 characters · 2 segments (UCS-2)');
    expect(screen.getByTestId('sms-split-hint')).toHaveTextContent('Over 70 characters: it goes out as 2 segments of up to 67 characters');
  });

  it('describes the text box with the count', async () => {
    const { user } = await openPatient(0);
    await write(user, 'Hi');
    expect(composer().text).toHaveAccessibleDescription('2 characters · 1 segment (GSM-7)');
  });
});

describe('composer when a route is not set up', () => {
  const notConfigured = () => {
    throw { code: 'not_configured', message: 'Add the hospital SMS server URL and token in Settings.' };
  };

  it('disables sending with the reason after a not_configured refusal, on every conversation, until Try again', async () => {
    const { user, backend } = await openPatient(0, { send_sms: notConfigured });
    await user.type(composer().text, 'Hello');
    await user.click(composer().send);
    const reason = 'Hospital SMS server is not set up: Add the hospital SMS server URL and token in Settings.';
    expect(await within(composer().form).findByText(reason)).toBeInTheDocument();
    expect(composer().send).toBeDisabled();
    expect(composer().text).toHaveValue('Hello');
    expect(composer().text).toBeEnabled();
    expect(within(composer().form).queryByRole('alert')).toBeNull();

    // Another patient, same route: already known.
    await selectPatient(user, 2);
    expect(within(composer().form).getByText(reason)).toBeInTheDocument();
    await user.type(composer().text, 'Hi Carla');
    expect(composer().send).toBeDisabled();
    // Another route is not affected.
    await user.selectOptions(composer().route, 'ecm');
    expect(within(composer().form).queryByText(reason)).toBeNull();
    expect(composer().send).toBeEnabled();
    await user.selectOptions(composer().route, 'his');

    await user.click(within(composer().form).getByRole('button', { name: 'Try again' }));
    expect(within(composer().form).queryByText(reason)).toBeNull();
    expect(composer().send).toBeEnabled();
    await user.click(composer().text);
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(2));
  });

  it('clears the not-set-up mark when Settings close', async () => {
    const { user } = await openPatient(0, { send_sms: notConfigured });
    await user.type(composer().text, 'Hello');
    await user.click(composer().send);
    await within(composer().form).findByText(/is not set up/);
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    await user.keyboard('{Escape}');
    expect(within(composer().form).queryByText(/is not set up/)).toBeNull();
    expect(composer().send).toBeEnabled();
  });
});
