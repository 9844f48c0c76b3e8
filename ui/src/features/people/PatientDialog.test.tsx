// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Patient, PatientForm } from '../../platform';
import { openPatient } from '../../test/conversation';
import { patients } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';

function dialog() {
  return screen.getByRole('dialog');
}

function field(name: string | RegExp) {
  return within(dialog()).getByRole('textbox', { name });
}

const added: Patient = {
  id: 9,
  name: 'Odile Marsh',
  ecm_patient_id: 4242,
  fhir_id: null,
  fhir_status: null,
  time_zone: null,
  phones: [
    { number: '+18055550170', kind: 'patient', name: null, relationship: null, opted_out: false, active: true },
    { number: '+18055550171', kind: 'contact', name: 'Remy', relationship: 'son', opted_out: false, active: true },
  ],
};

describe('the patient dialog', () => {
  it('adds a patient with their number and a contact, then opens them', async () => {
    const { user, backend } = await renderShell({ add_patient: () => added });
    await user.click(screen.getByRole('button', { name: 'Add patient' }));
    expect(dialog()).toHaveAccessibleName('Add patient');
    expect(field('Name')).toHaveFocus();
    await user.type(field('Name'), 'Odile Marsh');
    await user.type(field(/ECM patient id/), '4242');
    await user.type(field('Number 1'), '(805) 555-0170');
    await user.click(within(dialog()).getByRole('button', { name: 'Add a number' }));
    // With the patient's own number given, the next one is a contact's.
    expect(within(dialog()).getByRole('combobox', { name: 'Whose number 2' })).toHaveValue('contact');
    await user.type(field('Number 2'), '805-555-0171');
    await user.type(field('Contact name 2'), 'Remy');
    await user.type(field('Relationship 2'), 'son');
    // A third row left empty is not sent.
    await user.click(within(dialog()).getByRole('button', { name: 'Add a number' }));
    await user.click(within(dialog()).getByRole('button', { name: 'Add patient' }));

    const expected: PatientForm = {
      name: 'Odile Marsh',
      ecm_patient_id: 4242,
      phones: [
        { number: '(805) 555-0170', kind: 'patient', name: null, relationship: null, active: true, sms_consent: null },
        { number: '805-555-0171', kind: 'contact', name: 'Remy', relationship: 'son', active: true, sms_consent: null },
      ],
    };
    await waitFor(() => expect(backend.callsTo('add_patient')).toEqual([{ form: expected }]));
    expect(await screen.findByRole('heading', { level: 1, name: 'Odile Marsh' })).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
    const numbers = within(screen.getByRole('list', { name: 'Phone numbers' })).getAllByRole('listitem');
    expect(numbers[1]).toHaveTextContent('Remy (son)');
    await waitFor(() => expect(backend.callsTo('list_threads').length).toBeGreaterThan(1), { timeout: 2000 });
  });

  it('shows each backend error beside its field and keeps what was typed', async () => {
    const errors = [
      { code: 'invalid_phone', message: '"555" is not a valid phone number: it has the wrong length' },
      { code: 'duplicate_ecm_id', message: 'ECM patient id 40213 is already patient 1\'s' },
      { code: 'invalid_name', message: "the patient's name is empty: give their name" },
    ];
    const { user, backend } = await renderShell({
      add_patient: () => {
        throw errors.shift();
      },
    });
    await user.click(screen.getByRole('button', { name: 'Add patient' }));
    await user.type(field('Name'), 'Bad Number');
    await user.type(field('Number 1'), '555');
    const save = within(dialog()).getByRole('button', { name: 'Add patient' });

    await user.click(save);
    const numbers = within(dialog()).getByRole('group', { name: 'Phone numbers' });
    expect(await within(numbers).findByRole('alert')).toHaveTextContent('"555" is not a valid phone number');
    expect(numbers).toHaveAccessibleDescription(/not a valid phone number/);
    expect(field('Number 1')).toHaveValue('555');

    await user.click(save);
    const ecm = field(/ECM patient id/);
    await waitFor(() => expect(ecm).toHaveAccessibleDescription(/already patient 1's/));
    expect(ecm).toHaveAttribute('aria-invalid', 'true');
    expect(within(numbers).queryByRole('alert')).toBeNull();

    await user.click(save);
    await waitFor(() => expect(field('Name')).toHaveAccessibleDescription(/name is empty/));
    expect(within(dialog()).getAllByRole('alert')).toHaveLength(1);

    // A check the dialog makes itself: the ECM id is a number. Nothing is sent.
    await user.type(ecm, 'abc');
    await user.click(save);
    await waitFor(() => expect(ecm).toHaveAccessibleDescription(/whole number/));
    expect(backend.callsTo('add_patient')).toHaveLength(3);
    expect(dialog()).toBeInTheDocument();
  });

  it("edits the open patient's numbers: no longer used, consent, a new one, and a new row removed", async () => {
    const alice = patients[0]!;
    const saved: Patient = {
      ...alice,
      name: 'Alice Moreno-Diaz',
      phones: [...alice.phones, { number: '+15550002222', kind: 'patient', name: null, relationship: null, opted_out: false, active: true }],
    };
    const { user, backend } = await openPatient(0, { edit_patient: () => saved });
    await user.click(screen.getByRole('button', { name: 'Edit patient' }));
    expect(dialog()).toHaveAccessibleName('Edit Alice Moreno');
    expect(field(/ECM patient id/)).toHaveValue('40213');
    const rows = within(dialog()).getAllByTestId('number-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByLabelText('Number 1')).toHaveTextContent('+1 (555) 123-4567');
    expect(within(rows[0]!).queryByRole('button', { name: /Remove/ })).toBeNull();
    expect(field('Contact name 2')).toHaveValue('Rosa Moreno');

    await user.clear(field('Name'));
    await user.type(field('Name'), 'Alice Moreno-Diaz');
    await user.click(within(rows[1]!).getByRole('checkbox', { name: 'No longer used' }));
    await user.click(within(rows[1]!).getByRole('checkbox', { name: 'Consents to SMS' }));
    expect(within(rows[1]!).getByRole('note')).toHaveTextContent('Recorded as an opt-out');
    await user.click(within(dialog()).getByRole('button', { name: 'Add a number' }));
    await user.click(within(dialog()).getByRole('button', { name: 'Add a number' }));
    await user.type(field('Number 3'), '555-000-2222');
    await user.selectOptions(within(dialog()).getByRole('combobox', { name: 'Whose number 3' }), 'patient');
    await user.click(within(dialog()).getByRole('button', { name: 'Remove number 4' }));
    expect(within(dialog()).getAllByTestId('number-row')).toHaveLength(3);
    await user.click(within(dialog()).getByRole('button', { name: 'Save changes' }));

    await waitFor(() => expect(backend.callsTo('edit_patient')).toHaveLength(1));
    expect(backend.callsTo('edit_patient')[0]).toEqual({
      patientId: 1,
      form: {
        name: 'Alice Moreno-Diaz',
        ecm_patient_id: 40213,
        phones: [
          { number: '+15551234567', kind: 'patient', name: null, relationship: null, active: true, sms_consent: null },
          { number: '+15559876543', kind: 'contact', name: 'Rosa Moreno', relationship: 'daughter', active: false, sms_consent: false },
          { number: '555-000-2222', kind: 'patient', name: null, relationship: null, active: true, sms_consent: null },
        ],
      },
    });
    // The header shows the patient as saved.
    expect(await screen.findByRole('heading', { level: 1, name: 'Alice Moreno-Diaz' })).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Phone numbers' })).getAllByRole('listitem')).toHaveLength(3);
  });
});
