// @vitest-environment jsdom
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { Providers } from '../../app/Providers';
import { createQueryClient } from '../../app/queryClient';
import type { Template } from '../../platform';
import { installMockBackend, type CommandArgs } from '../../platform/mockBackend';
import { OutreachDialog } from './OutreachDialog';

function template(name: string, text: string): Template {
  return { name, text, gid: `gid-${name}`, updated_at: '2026-12-07T05:00:00Z', updated_by: 'Dana' };
}

/** list/add/edit/remove over an in-memory list, refusing what the backend refuses. */
function renderOutreach(initial: Template[] = []) {
  let templates = [...initial];
  const backend = installMockBackend({
    list_templates: () => templates,
    add_template: (args: CommandArgs) => {
      const text = args.text as string;
      if (templates.some((t) => t.name === args.name)) {
        throw { code: 'template_exists', message: `a template named ${String(args.name)} exists` };
      }
      const t = template(args.name as string, text);
      templates = [...templates, t];
      return t;
    },
    edit_template: (args: CommandArgs) => {
      templates = templates.map((t) => (t.name === args.name ? { ...t, text: args.text as string } : t));
      return templates.find((t) => t.name === args.name);
    },
    remove_template: (args: CommandArgs) => {
      templates = templates.filter((t) => t.name !== args.name);
      return null;
    },
  });
  const user = userEvent.setup();
  render(
    <Providers client={createQueryClient()}>
      <OutreachDialog onClose={() => {}} />
    </Providers>,
  );
  return { backend, user };
}

describe('templates in the Outreach dialog', () => {
  it('adds a template with merge fields inserted at the cursor, and lists it', async () => {
    const { user, backend } = renderOutreach();
    expect(await screen.findByText(/No templates yet/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'New template' }));
    const form = screen.getByRole('form', { name: 'New template' });
    await user.type(within(form).getByLabelText('Name'), 'Reminder');
    await user.type(within(form).getByLabelText('Text'), 'Hi , see you soon');
    const text = within(form).getByLabelText('Text') as HTMLTextAreaElement;
    text.setSelectionRange(3, 3);
    await user.click(within(form).getByRole('button', { name: '{first_name}' }));
    expect(text.value).toBe('Hi {first_name}, see you soon');
    // Braces are GSM-7 extension characters: each counts 2 (before merging).
    expect(within(form).getByTestId('sms-count')).toHaveTextContent('31 characters · 1 segment (GSM-7)');
    await user.click(within(form).getByRole('button', { name: 'Add template' }));
    await waitFor(() =>
      expect(backend.callsTo('add_template')).toEqual([{ name: 'Reminder', text: 'Hi {first_name}, see you soon' }]),
    );
    const row = await screen.findByTestId('template-row');
    expect(row).toHaveTextContent('Reminder');
    expect(row).toHaveTextContent('Hi {first_name}, see you soon');
    expect(screen.queryByRole('form', { name: 'New template' })).toBeNull();
  });

  it('keeps the form and says why when the backend refuses', async () => {
    const { user } = renderOutreach([template('Reminder', 'Hi')]);
    await user.click(await screen.findByRole('button', { name: 'New template' }));
    const form = screen.getByRole('form', { name: 'New template' });
    await user.type(within(form).getByLabelText('Name'), 'Reminder');
    await user.type(within(form).getByLabelText('Text'), 'Hello again');
    await user.click(within(form).getByRole('button', { name: 'Add template' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('Could not save the template: a template named Reminder exists');
    expect(within(form).getByLabelText('Text')).toHaveValue('Hello again');
  });

  it('edits a template\'s text, and removes one only after confirming', async () => {
    const { user, backend } = renderOutreach([template('Reminder', 'Hi {first_name}'), template('Call back', 'Please call us')]);
    await user.click(await screen.findByRole('button', { name: 'Edit Reminder' }));
    const form = screen.getByRole('form', { name: 'Edit template Reminder' });
    expect(within(form).getByLabelText('Name')).toBeDisabled();
    const text = within(form).getByLabelText('Text');
    await user.clear(text);
    await user.type(text, 'Hello {{first_name}');
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(backend.callsTo('edit_template')).toEqual([{ name: 'Reminder', text: 'Hello {first_name}' }]));
    await user.click(await screen.findByRole('button', { name: 'Remove Call back' }));
    expect(backend.callsTo('remove_template')).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Confirm remove Call back' }));
    await waitFor(() => expect(screen.getAllByTestId('template-row')).toHaveLength(1));
    expect(backend.callsTo('remove_template')).toEqual([{ name: 'Call back' }]);
  });

  it('shows a template\'s text as text, never as HTML', async () => {
    renderOutreach([template('Odd', '<img src=x onerror=alert(1)> <b>bold</b>')]);
    const row = await screen.findByTestId('template-row');
    expect(row).toHaveTextContent('<img src=x onerror=alert(1)> <b>bold</b>');
    expect(row.querySelector('img, b')).toBeNull();
  });
});
