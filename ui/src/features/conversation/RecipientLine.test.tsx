// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Patient, PatientThread } from '../../platform';
import { SYNC_EVENT } from '../../platform/events';
import { composer, openPatient, selectPatient } from '../../test/conversation';
import { patients, patientThread, patientThreads, settings, threadListing } from '../../test/fixtures';
import { emitEvent, listenerCount } from '../../test/renderApp';
import { composerChoice } from './composerChoice';
import { recipientLine } from './recipients';

const ALICE_MOBILE = "To Alice Moreno's mobile, +1 (555) 123-4567, by the hospital SMS server";
const ROSA_BY_ECM = "To Alice Moreno's contact Rosa Moreno (daughter), +1 (555) 987-6543, by ECM";

function line() {
  return within(composer().form).getByTestId('recipient-line');
}

function headerLine() {
  return screen.getByTestId('header-recipient');
}

function callButton() {
  const header = screen.getByTestId('conversation').querySelector('header')!;
  return within(header).getByRole('button', { name: 'Call' });
}

function changed(what: 'To' | 'Via') {
  return within(composer().form).queryByTestId(`${what}-changed`);
}

const ecmByDefault = () => [...settings, { key: 'sms.via', value: 'ecm', default: 'his', description: '', note: null }];

describe('recipient line', () => {
  it("names the patient's own number, a contact and the route in words, in the composer and the header", async () => {
    const { user } = await openPatient(0);
    expect(line()).toHaveTextContent(ALICE_MOBILE);
    expect(headerLine()).toHaveTextContent(ALICE_MOBILE);
    expect(within(line()).getByText("Alice Moreno's mobile").tagName).toBe('STRONG');

    await user.selectOptions(composer().to, '+15559876543');
    await user.selectOptions(composer().route, 'ecm');
    expect(line()).toHaveTextContent(ROSA_BY_ECM);
    expect(headerLine()).toHaveTextContent(ROSA_BY_ECM);
    expect(callButton()).toHaveAttribute(
      'title',
      "Call Alice Moreno's contact Rosa Moreno (daughter), +1 (555) 987-6543 through ECM",
    );
  });

  it.each([
    ['+15551234567', 'his', "To Alice Moreno's mobile, +1 (555) 123-4567, by the hospital SMS server"],
    ['+15559876543', 'ecm', "To Alice Moreno's contact Rosa Moreno (daughter), +1 (555) 987-6543, by ECM"],
    ['+15550009999', 'his', "To +1 (555) 000-9999, not one of Alice Moreno's numbers, by the hospital SMS server"],
  ] as const)('%s by %s reads "%s"', (number, via, expected) => {
    expect(recipientLine(patients[0]!, number, via)).toBe(expected);
  });

  it('says when the number is one the patient no longer uses', () => {
    const moved: Patient = {
      ...patients[0]!,
      phones: patients[0]!.phones.map((p) => (p.kind === 'patient' ? { ...p, active: false } : p)),
    };
    expect(recipientLine(moved, '+15551234567', 'his')).toBe(
      "To Alice Moreno's mobile (no longer used), +1 (555) 123-4567, by the hospital SMS server",
    );
  });
});

describe('To and Via per thread', () => {
  it('resets to the next patient\'s defaults, keeps what was changed in a thread marked "changed", and Reset goes back', async () => {
    const { user } = await openPatient(0);
    expect(changed('To')).toBeNull();
    expect(changed('Via')).toBeNull();
    await user.selectOptions(composer().to, '+15559876543');
    await user.selectOptions(composer().route, 'ecm');
    expect(within(changed('To')!).getByText('changed')).toBeInTheDocument();
    expect(within(changed('Via')!).getByText('changed')).toBeInTheDocument();

    // Another thread: its patient's defaults, nothing marked, the call to their own number.
    await selectPatient(user, 2);
    expect(composer().to).toHaveValue('+15552223333');
    expect(composer().route).toHaveValue('his');
    expect(changed('To')).toBeNull();
    expect(changed('Via')).toBeNull();
    expect(line()).toHaveTextContent("To Carla Singh's mobile, +1 (555) 222-3333, by the hospital SMS server");
    expect(callButton()).toHaveTextContent('+1 (555) 222-3333');

    // Back: what was changed in Alice's thread this session, visibly.
    await selectPatient(user, 0);
    expect(line()).toHaveTextContent(ROSA_BY_ECM);
    expect(callButton()).toHaveTextContent('+1 (555) 987-6543');
    await user.click(
      within(composer().form).getByRole('button', {
        name: "Reset To to Alice Moreno's mobile, +1 (555) 123-4567",
      }),
    );
    expect(composer().to).toHaveValue('+15551234567');
    expect(changed('To')).toBeNull();
    expect(callButton()).toHaveTextContent('+1 (555) 123-4567');
    await user.click(within(composer().form).getByRole('button', { name: 'Reset Via to the hospital SMS server' }));
    expect(composer().route).toHaveValue('his');
    expect(changed('Via')).toBeNull();
    expect(line()).toHaveTextContent(ALICE_MOBILE);
  });

  it('choosing the default again is no change: the thread follows the default when the roster changes it', async () => {
    let alice: PatientThread = patientThread(patients[0]!);
    const { user } = await openPatient(0, {
      list_threads: (args) => threadListing([alice, ...patientThreads.slice(1)], args.query),
    });
    await user.selectOptions(composer().to, '+15559876543');
    expect(changed('To')).not.toBeNull();
    await user.selectOptions(composer().to, '+15551234567');
    expect(changed('To')).toBeNull();

    // A re-import: Alice has a new mobile, the old one is no longer used.
    const newMobile = { ...patients[0]!.phones[0]!, number: '+15551230000' };
    const oldMobile = { ...patients[0]!.phones[0]!, active: false };
    alice = patientThread({ ...patients[0]!, phones: [newMobile, oldMobile, patients[0]!.phones[1]!] });
    await waitFor(() => expect(listenerCount(SYNC_EVENT)).toBeGreaterThan(0));
    emitEvent(SYNC_EVENT, { kind: 'cycle_finished', changed: true, unread_total: 0, errors: [] });
    await waitFor(() => expect(composer().to).toHaveValue('+15551230000'));
    expect(changed('To')).toBeNull();
    expect(line()).toHaveTextContent("To Alice Moreno's mobile, +1 (555) 123-0000, by the hospital SMS server");
  });

  it('takes the route default from sms.via, and the hospital server for a patient without an ECM id', async () => {
    const { user, backend } = await openPatient(0, { get_settings: ecmByDefault });
    await waitFor(() => expect(line()).toHaveTextContent(/by ECM$/));
    expect(composer().route).toHaveValue('ecm');
    expect(changed('Via')).toBeNull();
    await user.type(composer().text, 'Hi');
    await user.click(composer().send);
    expect(backend.callsTo('send_sms')[0]).toMatchObject({ to: '+15551234567', via: 'ecm' });

    // Bob has no ECM id: the hospital server is his default, not a change.
    await selectPatient(user, 1);
    expect(composer().route).toHaveValue('his');
    expect(changed('Via')).toBeNull();

    // Choosing the hospital server for Alice is the change now.
    await selectPatient(user, 0);
    await user.selectOptions(composer().route, 'his');
    expect(within(changed('Via')!).getByRole('button', { name: 'Reset Via to ECM' })).toBeInTheDocument();
  });

  it('calls the default number unless the number was changed in this thread', () => {
    const alice = patients[0]!;
    expect(composerChoice(alice, { to: null, via: null }, 'his').callTo?.number).toBe('+15551234567');
    expect(composerChoice(alice, { to: '+15559876543', via: null }, 'his').callTo?.number).toBe('+15559876543');
    // A number the patient no longer uses is never called: the default instead.
    const moved: Patient = {
      ...alice,
      phones: alice.phones.map((p) => (p.kind === 'contact' ? { ...p, active: false } : p)),
    };
    expect(composerChoice(moved, { to: '+15559876543', via: null }, 'his').callTo?.number).toBe('+15551234567');
  });
});
