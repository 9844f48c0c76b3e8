// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../platform';
import { composer, openPatient } from '../../test/conversation';
import { callOutcome, pagedThread, threadItem } from '../../test/fixtures';

function callButton() {
  const header = screen.getByTestId('conversation').querySelector('header')!;
  return within(header).getByRole('button', { name: 'Call' });
}

describe('call confirmation', () => {
  it('asks with the name, the kind of number and the number, focus on Call; nothing is placed before', async () => {
    const { user, backend } = await openPatient(0);
    await user.click(callButton());
    const dialog = await screen.findByRole('dialog', { name: 'Place a call' });
    expect(dialog).toHaveTextContent("Call Alice Moreno's mobile +1 (555) 123-4567 through ECM?");
    expect(within(dialog).getByRole('button', { name: 'Call' })).toHaveFocus();
    expect(backend.callsTo('place_call')).toHaveLength(0);
  });

  it("names a contact's number as the contact's", async () => {
    const { user } = await openPatient(0);
    await user.selectOptions(composer().to, '+15559876543');
    await user.click(callButton());
    expect(await screen.findByRole('dialog')).toHaveTextContent(
      "Call Alice Moreno's contact Rosa Moreno (daughter) +1 (555) 987-6543 through ECM?",
    );
  });

  it('Enter places the call and the row says what ECM answered', async () => {
    let items: ThreadItem[] = [];
    const { user, backend } = await openPatient(0, {
      thread_page: pagedThread(() => items),
      place_call: (args) => {
        items = [threadItem({ kind: 'call', text: '', to: args.to as string, state: 'queued', server_id: '77', route: 'ecm' })];
        return callOutcome({ to: args.to as string, status: 'queued', server_id: '77' });
      },
    });
    await user.click(callButton());
    await screen.findByRole('dialog');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(backend.callsTo('place_call')).toEqual([{ patientId: 1, to: '+15551234567' }]));
    expect(screen.queryByRole('dialog')).toBeNull();
    const row = await within(screen.getByTestId('thread')).findByTestId('call-row');
    expect(row).toHaveTextContent('Call placed: ECM call 77, queued');
    expect(row).not.toHaveTextContent('Call: queued');
  });

  it('a failed call reads as failed with its reason in the row', async () => {
    let items: ThreadItem[] = [];
    const { user } = await openPatient(0, {
      thread_page: pagedThread(() => items),
      place_call: (args) => {
        items = [threadItem({ kind: 'call', text: '', to: args.to as string, state: 'failed', error: 'line busy', route: 'ecm' })];
        return callOutcome({ status: 'failed', error: 'line busy' });
      },
    });
    await user.click(callButton());
    await user.keyboard('{Enter}');
    const row = await within(screen.getByTestId('thread')).findByTestId('call-row');
    expect(row).toHaveTextContent('Call failed: line busy');
  });

  it('Esc cancels, and Cancel too: no call', async () => {
    const { user, backend } = await openPatient(0);
    await user.click(callButton());
    await screen.findByRole('dialog');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    await user.click(callButton());
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.callsTo('place_call')).toHaveLength(0);
  });
});
