import { screen, waitFor, within } from '@testing-library/react';
import { expect } from 'vitest';
import type { CommandHandler } from '../platform/mockBackend';
import { renderShell } from './renderApp';

/** Renders the shell, opens the patient at `index` (0 Alice, 1 Bob, 2 Carla) and waits for the thread. */
export async function openPatient(index: number, overrides: Record<string, CommandHandler> = {}) {
  const utils = await renderShell(overrides);
  await selectPatient(utils.user, index);
  return utils;
}

export async function selectPatient(user: { click: (el: Element) => Promise<void> }, index: number) {
  const rows = await screen.findAllByTestId('patient-row');
  await user.click(rows[index]!);
  const thread = await screen.findByTestId('thread');
  await waitFor(() => expect(within(thread).queryByText('Loading messages…')).toBeNull());
  return thread;
}

export function composer() {
  const form = screen.getByTestId('composer');
  return {
    form,
    text: within(form).getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement,
    send: within(form).getByRole('button', { name: 'Send' }),
    to: within(form).getByRole('combobox', { name: 'Send to' }) as HTMLSelectElement,
    route: within(form).getByRole('combobox', { name: 'Route' }) as HTMLSelectElement,
    count: within(form).getByTestId('sms-count'),
  };
}
