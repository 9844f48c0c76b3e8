// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { composer, openPatient } from '../../test/conversation';

const templates = [
  { name: 'Reminder', text: 'Hi {first_name}, see you at {clinic_name}.', gid: 'g1', updated_at: '', updated_by: 'Dana' },
  { name: 'Call back', text: 'Call {clinic_name}, {first_name}', gid: 'g2', updated_at: '', updated_by: 'Dana' },
];

function previews(patientId: number, name: string) {
  expect(patientId).toBe(1);
  return name === 'Reminder'
    ? { name, text: 'Hi Żaneta, see you at North Clinic.', size: { encoding: 'UCS-2', units: 35, segments: 1 }, missing: [] }
    : { name, text: null, size: null, missing: ['clinic_name'] };
}

/** Opens Alice's conversation with the two templates and picks `name`. */
async function choose(name: string) {
  const utils = await openPatient(0, {
    list_templates: () => templates,
    preview_template: (args) => previews(args.patientId as number, args.name as string),
  });
  const picker = await screen.findByTestId('template-picker');
  await utils.user.selectOptions(within(picker).getByRole('combobox', { name: 'Insert template' }), name);
  return utils;
}

describe('inserting a template in the composer', () => {
  it('shows the merged text with its segment count and inserts it', async () => {
    const { user } = await choose('Reminder');
    const preview = await screen.findByTestId('template-preview');
    expect(preview).toHaveTextContent('Hi Żaneta, see you at North Clinic.');
    expect(within(preview).getByTestId('template-count')).toHaveTextContent('35 characters · 1 segment (UCS-2)');
    await user.click(within(preview).getByRole('button', { name: 'Use this text' }));
    expect(composer().text).toHaveValue('Hi Żaneta, see you at North Clinic.');
    await waitFor(() => expect(screen.queryByTestId('template-preview')).toBeNull());
  });

  it('names a missing field and offers nothing to insert', async () => {
    await choose('Call back');
    expect(await screen.findByTestId('template-missing')).toHaveTextContent('No value for {clinic_name}');
    expect(screen.queryByRole('button', { name: 'Use this text' })).toBeNull();
    expect(composer().text).toHaveValue('');
  });

  it('is not shown while there are no templates', async () => {
    await openPatient(0);
    expect(screen.queryByTestId('template-picker')).toBeNull();
  });
});
