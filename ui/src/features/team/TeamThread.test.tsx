// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { openPatient } from '../../test/conversation';
import { pagedThread, threadItem } from '../../test/fixtures';
import { note, teamHandlers, type TeamState } from '../../test/team';

const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"> <b>bold</b> \u202Eevil';

const alice = [
  threadItem({ direction: 'outbound', text: 'Your appointment is tomorrow at 9.', at: '2024-03-01T09:30:00Z', sent_by: 'Ben Ortiz' }),
  threadItem({ direction: 'inbound', text: 'Who will be there?', from: '+15551234567', at: '2024-03-01T09:40:00Z' }),
  threadItem({ kind: 'call', direction: 'outbound', text: '', state: 'completed', route: 'ecm', at: '2024-03-01T09:50:00Z', sent_by: 'Ana Ruiz' }),
];

function state(fields: Partial<TeamState> = {}): TeamState {
  return { threads: new Map(), notes: [], ...fields };
}

function header() {
  return screen.getByTestId('team-bar');
}

describe('a thread in team mode', () => {
  it('shows who sent each outbound text and call, short, with the full name on hover', async () => {
    await openPatient(0, { ...teamHandlers(), thread_page: pagedThread(alice) });
    const thread = screen.getByTestId('thread');
    const senders = await within(thread).findAllByTestId('sent-by');
    expect(senders.map((s) => s.textContent)).toEqual(['Ben O.', 'Ana R.']);
    expect(senders[0]).toHaveAttribute('title', 'Sent by Ben Ortiz');
    const inbound = within(thread).getAllByTestId('message')[1]!;
    expect(within(inbound).queryByTestId('sent-by')).toBeNull();
  });

  it('shows no sender, owner, notes or presence on a desk alone', async () => {
    await openPatient(0, { thread_page: pagedThread(alice) });
    const thread = screen.getByTestId('thread');
    await within(thread).findAllByTestId('message');
    expect(within(thread).queryByTestId('sent-by')).toBeNull();
    expect(screen.queryByTestId('team-bar')).toBeNull();
    expect(screen.queryByRole('tab', { name: 'Internal note' })).toBeNull();
  });

  it('assigns the thread from the team members, and closes and reopens it', async () => {
    const s = state();
    const { user, backend } = await openPatient(0, teamHandlers(s));
    const select = await within(header()).findByRole('combobox', { name: 'Assigned to' });
    await waitFor(() => expect(select).toBeEnabled());
    expect(Array.from((select as HTMLSelectElement).options).map((o) => o.textContent)).toEqual([
      'Unassigned',
      'Me (Ana Ruiz)',
      'Ben Ortiz',
    ]);
    await user.selectOptions(select, 'Ben Ortiz');
    expect(backend.callsTo('assign_thread')).toEqual([{ patientId: 1, to: { to: 'member', role: 'ben' } }]);
    await waitFor(() => expect((select as HTMLSelectElement).value).toBe('ben'));
    await user.selectOptions(select, 'Me (Ana Ruiz)');
    await user.selectOptions(select, 'Unassigned');
    expect(backend.callsTo('assign_thread').map((a) => a.to)).toEqual([
      { to: 'member', role: 'ben' },
      { to: 'me' },
      { to: 'nobody' },
    ]);

    await user.click(within(header()).getByRole('button', { name: 'Close' }));
    expect(backend.callsTo('close_thread')).toEqual([{ patientId: 1 }]);
    expect(await within(header()).findByTestId('thread-closed')).toHaveTextContent('Closed');
    await user.click(within(header()).getByRole('button', { name: 'Reopen' }));
    expect(backend.callsTo('reopen_thread')).toEqual([{ patientId: 1 }]);
    await waitFor(() => expect(within(header()).queryByTestId('thread-closed')).toBeNull());
  });

  it('draws notes among the texts by time, as notes, their text as text', async () => {
    const s = state({
      notes: [
        note({ text: 'Second note', at: '2024-03-01T09:45:00Z', gid: 'n2' }),
        note({ text: HOSTILE, at: '2024-03-01T09:35:00Z', gid: 'n1', author_name: 'Ben <i>Ortiz</i>' }),
      ],
    });
    await openPatient(0, { ...teamHandlers(s), thread_page: pagedThread(alice) });
    const thread = screen.getByTestId('thread');
    const notes = await within(thread).findAllByTestId('note');
    expect(notes).toHaveLength(2);
    // In time order among the texts and the call.
    const order = Array.from(thread.querySelectorAll('[data-testid=message], [data-testid=note], [data-testid=call-row]')).map(
      (el) => el.getAttribute('data-testid'),
    );
    expect(order).toEqual(['message', 'note', 'message', 'note', 'call-row']);
    const hostile = notes[0]!;
    expect(hostile).toHaveTextContent('Internal note · never sent to the patient');
    expect(hostile).toHaveTextContent('Ben <i>Ortiz</i>');
    expect(hostile.querySelector('img, b, i')).toBeNull();
    expect(hostile).toHaveTextContent('<img src=x onerror="document.title=\'pwned\'"> <b>bold</b> ⟨U+202E⟩evil');
    expect(document.title).not.toBe('pwned');
    expect(hostile).not.toHaveClass('message');
  });

  it('adds a note from the composer\'s note mode, never as a text', async () => {
    const s = state();
    const { user, backend } = await openPatient(0, teamHandlers(s));
    await user.click(screen.getByRole('tab', { name: 'Internal note' }));
    const box = screen.getByRole('textbox', { name: 'Internal note' });
    await user.type(box, 'Daughter prefers calls after 5');
    await user.click(screen.getByRole('button', { name: 'Add note' }));
    expect(backend.callsTo('add_note')).toEqual([{ patientId: 1, text: 'Daughter prefers calls after 5' }]);
    expect(backend.callsTo('send_sms')).toEqual([]);
    await waitFor(() => expect(box).toHaveValue(''));
    const added = await within(screen.getByTestId('thread')).findByTestId('note');
    expect(added).toHaveTextContent('Daughter prefers calls after 5');
    expect(added).toHaveTextContent('Ana Ruiz');
    // Back to texts: the text composer again.
    await user.click(screen.getByRole('tab', { name: 'Text' }));
    expect(screen.getByRole('textbox', { name: 'Message' })).toBeInTheDocument();
  });
});
