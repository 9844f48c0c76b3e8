// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SmsOutcome } from '../../platform';
import { composer, openPatient, selectPatient } from '../../test/conversation';
import { patients, patientThread, smsOutcome, threadListing } from '../../test/fixtures';

describe('composer', () => {
  it("lists the patient's numbers, own first, contacts with name and relationship", async () => {
    await openPatient(0);
    const options = within(composer().to).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual([
      'Alice Moreno (patient) · +1 (555) 123-4567',
      'Rosa Moreno (daughter) · +1 (555) 987-6543',
    ]);
    expect(composer().to).toHaveValue('+15551234567');
    expect(composer().route).toHaveValue('his');
    expect(within(composer().route).getByRole('option', { name: 'Hospital SMS server' })).toBeEnabled();
    expect(within(composer().route).getByRole('option', { name: 'ECM' })).toBeEnabled();
  });

  it('sends with send_sms (patientId, to, text, via), clears the box and reloads the thread', async () => {
    const { user, backend } = await openPatient(0);
    const { text, send } = composer();
    expect(send).toBeDisabled();
    await user.type(text, 'Hello Alice');
    expect(composer().count).toHaveTextContent('11 characters · 1 segment (GSM-7)');
    await user.click(send);
    await waitFor(() => expect(text).toHaveValue(''));
    expect(backend.callsTo('send_sms')).toEqual([{ patientId: 1, to: '+15551234567', text: 'Hello Alice', via: 'his' }]);
    // The thread and the patient column (preview, order) reload after the send.
    const commands = () => backend.calls.map((c) => c.cmd);
    await waitFor(() => expect(commands().lastIndexOf('thread_page')).toBeGreaterThan(commands().indexOf('send_sms')));
    await waitFor(() => expect(commands().lastIndexOf('list_threads')).toBeGreaterThan(commands().indexOf('send_sms')));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(composer().count).toHaveTextContent(/^0 characters$/);
  });

  it('sends to the chosen contact over ECM', async () => {
    const { user, backend } = await openPatient(0);
    const { text, to, route, send } = composer();
    await user.selectOptions(to, '+15559876543');
    await user.selectOptions(route, 'ecm');
    await user.type(text, 'Hi Rosa');
    await user.click(send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('send_sms')[0]).toEqual({ patientId: 1, to: '+15559876543', text: 'Hi Rosa', via: 'ecm' });
  });

  it('sends with Ctrl+Enter; Enter alone starts a new line', async () => {
    const { user, backend } = await openPatient(0);
    const { text } = composer();
    await user.type(text, 'Line one{Enter}line two');
    expect(backend.callsTo('send_sms')).toHaveLength(0);
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('send_sms')[0]).toMatchObject({ text: 'Line one\nline two' });
    await waitFor(() => expect(text).toHaveValue(''));
  });

  it('keeps Send disabled for whitespace and while a send is in flight', async () => {
    let finish: (outcome: SmsOutcome) => void = () => {};
    const { user, backend } = await openPatient(0, {
      send_sms: () => new Promise<SmsOutcome>((resolve) => (finish = resolve)),
    });
    const { text, send } = composer();
    await user.type(text, '   ');
    expect(send).toBeDisabled();
    await user.keyboard('{Control>}{Enter}{/Control}');
    expect(backend.callsTo('send_sms')).toHaveLength(0);

    await user.type(text, 'ok');
    await user.click(send);
    await waitFor(() => expect(send).toHaveTextContent('Sending…'));
    expect(send).toBeDisabled();
    await user.keyboard('{Control>}{Enter}{/Control}');
    expect(backend.callsTo('send_sms')).toHaveLength(1);
    finish(smsOutcome({ state: 'queued' }));
    await waitFor(() => expect(text).toHaveValue(''));
  });

  it('shows a server refusal (failed outcome) and keeps the text', async () => {
    const advice = 'Twilio 21610: this number replied STOP. Ask them to text START to resume.';
    const { user } = await openPatient(0, {
      send_sms: () => smsOutcome({ state: 'failed', error: advice, error_code: '21610' }),
    });
    const { text, send } = composer();
    await user.type(text, 'Are you coming?');
    await user.click(send);
    const alert = await within(composer().form).findByRole('alert');
    expect(alert).toHaveTextContent(advice);
    expect(text).toHaveValue('Are you coming?');
    expect(send).toBeEnabled();
  });

  it('warns when a text may have been sent and keeps the text', async () => {
    const { user } = await openPatient(0, {
      send_sms: () => smsOutcome({ state: 'uncertain', error: 'The server timed out.' }),
    });
    await user.type(composer().text, 'Reminder');
    await user.click(composer().send);
    const alert = await within(composer().form).findByRole('alert');
    expect(alert).toHaveTextContent(/may have been sent: The server timed out\./);
    expect(composer().text).toHaveValue('Reminder');
  });

  it('shows the message of a rejected command (opted_out) and keeps the text', async () => {
    const { user } = await openPatient(0, {
      send_sms: () => {
        throw { code: 'opted_out', message: 'This number has opted out of SMS.' };
      },
    });
    await user.type(composer().text, 'Hello');
    await user.click(composer().send);
    expect(await within(composer().form).findByRole('alert')).toHaveTextContent('This number has opted out of SMS.');
    expect(composer().text).toHaveValue('Hello');
  });

  it('never preselects a number the patient no longer uses, and sends to it only once confirmed', async () => {
    // A re-import replaced Alice's number: the old one is history, listed last.
    const old = { ...patients[0]!.phones[0]!, number: '+15550009999', active: false };
    const alice = { ...patients[0]!, phones: [old, ...patients[0]!.phones] };
    const { user, backend } = await openPatient(0, {
      list_threads: (args) => threadListing([patientThread(alice)], args.query),
    });
    const { to, text } = composer();
    expect(to).toHaveValue('+15551234567');
    const header = screen.getByRole('list', { name: 'Phone numbers' });
    expect(within(header).getByText('(no longer used)')).toBeInTheDocument();
    expect(within(to).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Alice Moreno (patient) · +1 (555) 123-4567',
      'Rosa Moreno (daughter) · +1 (555) 987-6543',
      'Alice Moreno (patient) · +1 (555) 000-9999 (no longer used)',
    ]);
    await user.selectOptions(to, '+15550009999');
    await user.type(text, 'Old phone?');
    expect(composer().send).toBeDisabled();
    const confirm = within(composer().form).getByRole('checkbox', { name: /no longer used by Alice Moreno/ });
    await user.click(confirm);
    await user.click(composer().send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(1));
    expect(backend.callsTo('send_sms')[0]).toEqual({
      patientId: 1,
      to: '+15550009999',
      text: 'Old phone?',
      via: 'his',
      otherNumber: true,
    });
  });

  it('asks to confirm when the backend says the number is not the patient\'s', async () => {
    const { user, backend } = await openPatient(0, {
      send_sms: (args) => {
        if (args.otherNumber === true) return smsOutcome({ patient_id: 1, to: args.to as string });
        throw { code: 'number_not_on_file', message: "+15551234567 is not one of Alice Moreno's numbers on file" };
      },
    });
    await user.type(composer().text, 'Hello');
    await user.click(composer().send);
    expect(await within(composer().form).findByRole('alert')).toHaveTextContent('is not one of');
    await user.click(within(composer().form).getByRole('checkbox', { name: /Send to this number anyway/ }));
    await user.click(composer().send);
    await waitFor(() => expect(backend.callsTo('send_sms')).toHaveLength(2));
    expect(backend.callsTo('send_sms')[1]).toMatchObject({ to: '+15551234567', otherNumber: true });
  });

  it('disables the composer with the reason when the chosen number opted out', async () => {
    const alice = { ...patients[0]!, phones: [patients[0]!.phones[0]!, { ...patients[0]!.phones[1]!, opted_out: true }] };
    const { user, backend } = await openPatient(0, {
      list_threads: (args) => threadListing([patientThread(alice)], args.query),
    });
    const { to, text, send } = composer();
    expect(within(to).getByRole('option', { name: 'Rosa Moreno (daughter) · +1 (555) 987-6543 — opted out' })).toBeInTheDocument();
    await user.type(text, 'Draft');
    await user.selectOptions(to, '+15559876543');
    const reason = '+1 (555) 987-6543 opted out of SMS (replied STOP). They can text START to opt back in.';
    expect(within(composer().form).getByText(reason)).toBeInTheDocument();
    expect(text).toBeDisabled();
    expect(text).toHaveValue('Draft');
    expect(send).toBeDisabled();
    expect(text).toHaveAccessibleDescription(reason);
    expect(backend.callsTo('send_sms')).toHaveLength(0);

    await user.selectOptions(to, '+15551234567');
    expect(text).toBeEnabled();
    expect(within(composer().form).queryByText(reason)).toBeNull();
  });

  it("disables the composer for a patient whose own number opted out, and ECM without an ECM id", async () => {
    await openPatient(1);
    const { text, send, route } = composer();
    expect(
      within(composer().form).getByText('+1 (555) 000-1111 opted out of SMS (replied STOP). They can text START to opt back in.'),
    ).toBeInTheDocument();
    expect(text).toBeDisabled();
    expect(send).toBeDisabled();
    expect(within(route).getByRole('option', { name: 'ECM' })).toBeDisabled();
    expect(within(composer().form).getByText(/ECM needs an ECM id/)).toBeInTheDocument();
  });

  it('keeps a draft (text, number and route) per patient across switching patients', async () => {
    const { user } = await openPatient(0);
    await user.type(composer().text, 'For Alice');
    await user.selectOptions(composer().to, '+15559876543');
    await user.selectOptions(composer().route, 'ecm');

    await selectPatient(user, 2);
    expect(composer().text).toHaveValue('');
    expect(composer().route).toHaveValue('his');
    await user.type(composer().text, 'For Carla');

    await selectPatient(user, 0);
    expect(composer().text).toHaveValue('For Alice');
    expect(composer().to).toHaveValue('+15559876543');
    expect(composer().route).toHaveValue('ecm');
    expect(composer().count).toHaveTextContent('9 characters · 1 segment (GSM-7)');

    await selectPatient(user, 2);
    expect(composer().text).toHaveValue('For Carla');
  });
});
