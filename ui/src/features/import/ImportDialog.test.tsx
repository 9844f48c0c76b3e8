// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ImportProgress, ImportSummary } from '../../platform';
import { channelSender, type CommandArgs } from '../../platform/mockBackend';
import { renderShell } from '../../test/renderApp';

const CSV = 'name,phone\nAlice,+15551234567\n';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function openAndChoose(user: Awaited<ReturnType<typeof renderShell>>['user']) {
  await user.click(screen.getByRole('button', { name: 'Import' }));
  const dialog = screen.getByRole('dialog', { name: 'Import patients' });
  expect(dialog).toHaveAttribute('aria-modal', 'true');
  const input = within(dialog).getByLabelText('Roster file');
  expect(input).toHaveAttribute('accept', '.csv,.json');
  await user.upload(input, new File([CSV], 'roster.csv', { type: 'text/csv' }));
  return dialog;
}

describe('import dialog', () => {
  it('streams progress over the channel, then shows counts and rejected rows', async () => {
    const done = deferred<ImportSummary>();
    let send: ((p: ImportProgress) => void) | undefined;
    let received: CommandArgs | undefined;
    const { user, backend } = await renderShell({
      import_patients: (args) => {
        received = args;
        send = channelSender<ImportProgress>(args.onProgress);
        send({ done: 0, total: 4 });
        send({ done: 2, total: 4 });
        return done.promise;
      },
    });
    await screen.findAllByTestId('patient-row');
    const listCallsBefore = backend.callsTo('list_threads').length;

    const dialog = await openAndChoose(user);
    await user.click(within(dialog).getByRole('button', { name: 'Import' }));

    const bar = await within(dialog).findByRole('progressbar', { name: 'Import progress' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '2'));
    expect(bar).toHaveAttribute('aria-valuemax', '4');
    expect(within(dialog).getByText('2 of 4 rows')).toBeInTheDocument();
    expect(received?.fileName).toBe('roster.csv');
    expect(received?.content).toBe(CSV);

    send?.({ done: 3, total: 4 });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '3'));

    done.resolve({
      total_rows: 4,
      created: 2,
      updated: 1,
      rejected: [{ row: 3, message: 'Phone number "555" is not valid' }],
    });

    const summary = await within(dialog).findByRole('region', { name: 'Import summary' });
    expect(summary).toHaveTextContent('2 created');
    expect(summary).toHaveTextContent('1 updated');
    expect(summary).toHaveTextContent('1 rejected');
    const table = within(summary).getByRole('table', { name: 'Rejected rows' });
    const cells = within(table).getAllByRole('cell').map((c) => c.textContent);
    expect(cells).toEqual(['3', 'Phone number "555" is not valid']);
    expect(within(dialog).queryByRole('progressbar')).toBeNull();

    // The patient column (list_threads) is reloaded after an import.
    await waitFor(() => expect(backend.callsTo('list_threads').length).toBeGreaterThan(listCallsBefore));
  });

  it('shows an import failure as a readable message', async () => {
    const { user } = await renderShell({
      import_patients: () => {
        throw { code: 'bad_format', message: 'This file is neither a CSV roster nor a FHIR bundle.' };
      },
    });
    const dialog = await openAndChoose(user);
    await user.click(within(dialog).getByRole('button', { name: 'Import' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Import failed: This file is neither a CSV roster nor a FHIR bundle.',
    );
  });

  it('keeps Import disabled until a file is chosen, and Escape closes the dialog', async () => {
    const { user } = await renderShell();
    await user.click(screen.getByRole('button', { name: 'Import' }));
    const dialog = screen.getByRole('dialog', { name: 'Import patients' });
    expect(within(dialog).getByRole('button', { name: 'Import' })).toBeDisabled();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('button', { name: 'Import' })).toHaveFocus();
  });
});

describe('import dialog help', () => {
  it('lists the CSV columns and shows the sample file, whose header names every column', async () => {
    const { user } = await renderShell({});
    await screen.findAllByTestId('patient-row');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    const dialog = screen.getByRole('dialog', { name: 'Import patients' });
    await user.click(within(dialog).getByText('Which columns a CSV roster needs'));
    const help = within(dialog).getByTestId('roster-columns');
    for (const column of ['ecm_patient_id', 'name', 'phone', 'contact_name', 'contact_relationship', 'contact_phone']) {
      expect(within(help).getByText(column)).toBeInTheDocument();
    }
    const sample = within(dialog).getByTestId('roster-sample').textContent ?? '';
    expect(sample.split('\n')[0]).toBe('ecm_patient_id,name,phone,contact_name,contact_relationship,contact_phone');
    expect(sample.trim().split('\n').length).toBeGreaterThan(2);
  });
});
