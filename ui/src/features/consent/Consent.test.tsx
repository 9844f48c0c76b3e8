// @vitest-environment jsdom
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { Providers } from '../../app/Providers';
import { createQueryClient } from '../../app/queryClient';
import type { NumberConsent, PendingRevocation } from '../../platform';
import { installMockBackend, type CommandArgs } from '../../platform/mockBackend';
import { openPatient } from '../../test/conversation';
import { RevocationReview } from './RevocationReview';

const ALICE = '+15551234567';
const ROSA = '+15559876543';

function consent(number: string, fields: Partial<NumberConsent> = {}): NumberConsent {
  return { number, state: 'not_asked', since: null, invited_at: null, revocation: null, ...fields };
}

function marks() {
  return within(screen.getByRole('list', { name: 'Phone numbers' })).getAllByTestId('consent-mark');
}

describe('consent in the thread header', () => {
  it('shows each number\'s consent with its date, and Invite sends the invitation to that number', async () => {
    let states: NumberConsent[] = [
      consent(ALICE, { state: 'opted_in', since: '2026-12-03T15:00:00Z' }),
      consent(ROSA),
    ];
    const { user, backend } = await openPatient(0, {
      patient_consents: () => states,
      invite_patient: (args: CommandArgs) => {
        states = [states[0]!, consent(ROSA, { state: 'invited', invited_at: '2026-12-07T15:00:00Z' })];
        return { sent: { message_id: 90, patient_id: 1, route: 'his', to: args.to, intended_to: null, test: false, external_key: 1 }, consent: states[1] };
      },
    });
    await waitFor(() => expect(marks()).toHaveLength(2));
    const [alice, rosa] = marks();
    expect(alice).toHaveTextContent(/^Opted in \S+ Dec|^Opted in Dec \S+/);
    expect(within(alice!).queryByRole('button', { name: 'Invite' })).toBeNull();
    expect(rosa).toHaveTextContent('Consent not asked');
    await user.click(within(rosa!).getByRole('button', { name: 'Invite' }));
    expect(backend.callsTo('invite_patient')).toEqual([{ patientId: 1, to: ROSA }]);
    await waitFor(() => expect(marks()[1]).toHaveTextContent(/Invited .*, no answer yet/));
    expect(within(marks()[1]!).getByRole('button', { name: 'Invite again' })).toBeInTheDocument();
  });

  it('shows a revocation waiting for review with its due date, and a refused invitation\'s reason', async () => {
    const { user } = await openPatient(0, {
      patient_consents: () => [
        consent(ALICE, {
          revocation: {
            message_id: 7,
            number: ALICE,
            patient_id: 1,
            patient_name: 'Alice Smith',
            text: 'please stop texting me',
            received_at: '2026-12-07T15:00:00Z',
            due: '2026-12-21',
          },
        }),
      ],
      invite_patient: () => {
        throw { code: 'opted_out', message: 'the number opted out' };
      },
    });
    await waitFor(() => expect(marks()).toHaveLength(1));
    expect(marks()[0]).toHaveTextContent('Possible revocation: review by 2026-12-21');
    await user.click(within(marks()[0]!).getByRole('button', { name: 'Invite' }));
    expect(await within(marks()[0]!).findByRole('alert')).toHaveTextContent('Could not invite: the number opted out');
  });
});

describe('the consent review list', () => {
  it('lists flagged replies with their due dates, as text, and records the decision', async () => {
    let pending: PendingRevocation[] = [
      { message_id: 7, number: ALICE, patient_id: 1, patient_name: 'Alice Smith', text: '<b>stop</b> texting me', received_at: '2026-12-07T15:00:00Z', due: '2026-12-21' },
      { message_id: 8, number: '+15550009999', patient_id: null, patient_name: null, text: 'take me off your list', received_at: '2026-12-07T16:00:00Z', due: '2026-12-21' },
    ];
    const backend = installMockBackend({
      pending_revocations: () => pending,
      resolve_revocation: (args: CommandArgs) => {
        pending = pending.filter((p) => p.message_id !== args.messageId);
        return null;
      },
    });
    const user = userEvent.setup();
    render(
      <Providers client={createQueryClient()}>
        <RevocationReview />
      </Providers>,
    );
    const rows = await screen.findAllByTestId('revocation-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Alice Smith');
    expect(rows[0]).toHaveTextContent('Due 2026-12-21');
    expect(rows[0]).toHaveTextContent('<b>stop</b> texting me');
    expect(rows[0]!.querySelector('b')).toBeNull();
    expect(rows[1]).toHaveTextContent('Unmatched number');
    await user.click(within(rows[0]!).getByRole('button', { name: 'Opt out' }));
    await user.click(within(rows[1]!).getByRole('button', { name: 'Not a revocation' }));
    await waitFor(() =>
      expect(backend.callsTo('resolve_revocation')).toEqual([
        { messageId: 7, resolution: 'opted_out' },
        { messageId: 8, resolution: 'not_revocation' },
      ]),
    );
    expect(await screen.findByText('No replies wait for review.')).toBeInTheDocument();
  });
});
