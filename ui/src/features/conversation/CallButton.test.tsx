// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import { composer, openPatient } from '../../test/conversation';
import { callOutcome, pagedThread, threadItem } from '../../test/fixtures';

function header() {
  return screen.getByTestId('conversation').querySelector('header')!;
}

describe('call button', () => {
  it("calls the patient's own number with place_call and shows the call in the thread", async () => {
    let items: ThreadItem[] = [];
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => items),
      place_call: (args) => {
        items = [threadItem({ kind: 'call', text: '', to: args.to as string, state: 'initiating', route: 'ecm' })];
        return callOutcome({ to: args.to as string });
      },
    });
    const call = within(header()).getByRole('button', { name: 'Call' });
    expect(call).toHaveTextContent('+1 (555) 123-4567');
    await user.click(call);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(backend.callsTo('place_call')).toEqual([{ patientId: 1, to: '+15551234567' }]));
    const row = await within(screen.getByTestId('thread')).findByTestId('call-row');
    expect(row).toHaveTextContent('Call to Patient · +1 (555) 123-4567 · Calling…');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('calls the number chosen in the composer', async () => {
    const { user, backend } = await openPatient(0);
    await user.selectOptions(composer().to, '+15559876543');
    const call = within(header()).getByRole('button', { name: 'Call' });
    expect(call).toHaveTextContent('+1 (555) 987-6543');
    await user.click(call);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(backend.callsTo('place_call')).toEqual([{ patientId: 1, to: '+15559876543' }]));
  });

  it('shows a refused call as an alert', async () => {
    const { user } = await openPatient(0, {
      place_call: () => callOutcome({ status: 'failed', error: 'ECM rejected the call: line busy.', error_code: 'busy' }),
    });
    await user.click(within(header()).getByRole('button', { name: 'Call' }));
    await user.keyboard('{Enter}');
    expect(await within(header()).findByRole('alert')).toHaveTextContent('Call failed: ECM rejected the call: line busy.');
  });

  it('shows a rejected place_call as an alert', async () => {
    const { user } = await openPatient(0, {
      place_call: () => {
        throw { code: 'not_configured', message: 'ECM is not configured. Add the ECM token in Settings.' };
      },
    });
    await user.click(within(header()).getByRole('button', { name: 'Call' }));
    await user.keyboard('{Enter}');
    expect(await within(header()).findByRole('alert')).toHaveTextContent('ECM is not configured. Add the ECM token in Settings.');
  });

  it('is disabled, with a reason, for a patient without an ECM id', async () => {
    const { user, backend } = await openPatient(1);
    const call = within(header()).getByRole('button', { name: 'Call' });
    expect(call).toBeDisabled();
    expect(call).toHaveAttribute('title', 'Calls go through ECM, and this patient has no ECM id.');
    await user.click(call);
    expect(backend.callsTo('place_call')).toHaveLength(0);
  });
});
