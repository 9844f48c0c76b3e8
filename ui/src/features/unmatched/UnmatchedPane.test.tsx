// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ThreadItem, UnmatchedThread } from '../../platform';
import type { CommandHandler } from '../../platform/mockBackend';
import { lastItem, threadItem, unmatchedThread } from '../../test/fixtures';
import { renderShell } from '../../test/renderApp';

const first = unmatchedThread({ number: '+18055550100', display: '(805) 555-0100', unread: 2 });
const second = unmatchedThread({
  number: '+18055550199',
  display: '(805) 555-0199',
  unread: 0,
  last: lastItem({ preview: 'STOP\u202E' }),
});

const fromFirst: ThreadItem[] = [
  threadItem({ direction: 'inbound', from: '+18055550100', to: '+15550009999', state: 'received', text: 'Who is this?' }),
  threadItem({
    direction: 'inbound',
    from: '+18055550100',
    to: '+15550009999',
    state: 'received',
    text: '<img src=x onerror=alert(1)> call me',
    flagged: 'help',
  }),
];

async function openInbox(overrides: Record<string, CommandHandler> = {}) {
  let inbox: UnmatchedThread[] = [first, second];
  const utils = await renderShell({
    list_unmatched: () => inbox,
    unmatched_thread: (args) => (args.number === first.number ? fromFirst : []),
    mark_unmatched_read: (args) => {
      inbox = inbox.map((t) => (t.number === args.number ? { ...t, unread: 0 } : t));
      return null;
    },
    ...overrides,
  });
  await utils.user.click(await screen.findByTestId('unmatched-entry'));
  const rows = await within(await screen.findByTestId('unmatched-inbox')).findAllByTestId('unmatched-row');
  return { ...utils, rows };
}

function inbox() {
  return screen.getByTestId('unmatched-inbox');
}

describe('Unmatched inbox', () => {
  it('lists the unknown numbers with their newest text and unread count', async () => {
    const { rows } = await openInbox();
    expect(within(inbox()).getByRole('listbox', { name: 'Unknown numbers' })).toBeInTheDocument();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('(805) 555-0100');
    expect(rows[0]).toHaveTextContent('Who is this?');
    expect(within(rows[0]!).getByTestId('unread-badge').textContent).toBe('2');
    expect(rows[0]).toHaveAccessibleName(/\(805\) 555-0100.*, 2 unread/);
    expect(within(rows[1]!).queryByTestId('unread-badge')).toBeNull();
    expect(rows[1]).toHaveTextContent('STOP⟨U+202E⟩');
    expect(within(inbox()).getByText('Choose a number to read its texts.')).toBeInTheDocument();
  });

  it("opens a number's texts with the same bubbles, marks them read and the badge goes", async () => {
    const { user, rows, backend } = await openInbox();
    await user.click(rows[0]!);
    const thread = within(inbox()).getByTestId('thread');
    const messages = await within(thread).findAllByTestId('message');
    expect(backend.callsTo('unmatched_thread')).toEqual([{ number: '+18055550100' }]);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toHaveTextContent('From +1 (805) 555-0100');
    expect(messages[1]).toHaveTextContent('<img src=x onerror=alert(1)> call me');
    expect(within(messages[1]!).getByTestId('flag-mark')).toHaveTextContent('Asked for help');
    expect(document.querySelector('img')).toBeNull();
    await waitFor(() => expect(backend.callsTo('mark_unmatched_read')).toEqual([{ number: '+18055550100' }]));
    await waitFor(() => expect(within(screen.getAllByTestId('unmatched-row')[0]!).queryByTestId('unread-badge')).toBeNull());
    expect(screen.getAllByTestId('unmatched-row')[0]).toHaveAttribute('aria-selected', 'true');
  });

  it('moves through the numbers with the arrows and opens with Enter', async () => {
    const { user, backend } = await openInbox();
    within(inbox()).getByRole('listbox', { name: 'Unknown numbers' }).focus();
    await user.keyboard('{ArrowDown}');
    expect(backend.callsTo('unmatched_thread')).toHaveLength(0);
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect(backend.callsTo('unmatched_thread')).toEqual([{ number: '+18055550199' }]));
    expect(within(inbox()).getByRole('heading', { name: '(805) 555-0199' })).toBeInTheDocument();
  });

  it('says when no unknown number has written', async () => {
    const { user } = await renderShell({ list_unmatched: () => [] });
    await user.click(await screen.findByTestId('unmatched-entry'));
    expect(await within(inbox()).findByText('No replies from unknown numbers.')).toBeInTheDocument();
  });

  it("links a number to a patient found by search, then opens that patient's thread", async () => {
    const { user, rows, backend } = await openInbox({ link_number: () => 2 });
    await user.click(rows[0]!);
    await user.click(await within(inbox()).findByRole('button', { name: 'Link to patient…' }));
    const dialog = screen.getByRole('dialog', { name: 'Link (805) 555-0100 to a patient' });
    const search = within(dialog).getByRole('searchbox', { name: 'Search patients to link' });
    expect(search).toHaveFocus();
    const link = within(dialog).getByRole('button', { name: 'Link' });
    expect(link).toBeDisabled();

    await user.type(search, 'carla');
    await waitFor(() => expect(within(dialog).getAllByRole('radio')).toHaveLength(1));
    expect(backend.callsTo('list_threads').map((a) => a.query)).toContain('carla');
    await user.click(within(dialog).getByRole('radio', { name: /Carla Singh/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Link to Carla Singh' }));

    await waitFor(() => expect(backend.callsTo('link_number')).toEqual([{ number: '+18055550100', patientId: 3 }]));
    expect(await screen.findByRole('heading', { level: 1, name: 'Carla Singh' })).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.queryByTestId('unmatched-inbox')).toBeNull();
    expect(screen.getAllByTestId('patient-row')[2]).toHaveAttribute('aria-selected', 'true');
  });

  it('says who the number belongs to when staff know', async () => {
    const { user, rows, backend } = await openInbox({ link_number: () => 2 });
    await user.click(rows[0]!);
    await user.click(await within(inbox()).findByRole('button', { name: 'Link to patient…' }));
    const dialog = screen.getByRole('dialog', { name: /^Link/ });
    expect(dialog).toHaveTextContent("becomes one of the patient’s numbers");
    await user.click((await within(dialog).findAllByRole('radio'))[0]!);
    await user.type(within(dialog).getByRole('textbox', { name: 'Contact name' }), ' Rosa ');
    await user.type(within(dialog).getByRole('textbox', { name: 'Relationship' }), 'daughter');
    await user.click(within(dialog).getByRole('button', { name: 'Link to Alice Moreno' }));
    await waitFor(() =>
      expect(backend.callsTo('link_number')).toEqual([
        { number: '+18055550100', patientId: 1, contact: { name: 'Rosa', relationship: 'daughter' } },
      ]),
    );
  });

  it('shows why a link failed and keeps the dialog; Escape closes it', async () => {
    const { user, rows } = await openInbox({
      link_number: () => {
        throw { code: 'not_found', message: 'That patient no longer exists.' };
      },
    });
    await user.click(rows[0]!);
    await user.click(await within(inbox()).findByRole('button', { name: 'Link to patient…' }));
    const dialog = screen.getByRole('dialog', { name: /^Link/ });
    await user.click((await within(dialog).findAllByRole('radio'))[0]!);
    await user.click(within(dialog).getByRole('button', { name: 'Link to Alice Moreno' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Could not link the number: That patient no longer exists.',
    );
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(inbox()).toBeInTheDocument();
  });
});
