import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../app/App';
import { Providers } from '../app/Providers';
import { createQueryClient } from '../app/queryClient';
import { installMockBackend, type CommandHandler } from '../platform/mockBackend';
import * as fx from './fixtures';

/** Default handlers for every command; tests override the ones they care about. */
export function defaultHandlers(): Record<string, CommandHandler> {
  return {
    app_info: () => fx.appInfo,
    list_patients: (args) => fx.searchPatients(fx.patients, args.query),
    get_settings: () => fx.settings,
    set_setting: () => null,
    credential_status: () => fx.credentials,
    set_credential: () => null,
    delete_credential: () => null,
    list_thread: () => [],
    send_sms: (args) => fx.smsOutcome({ patient_id: args.patientId as number, to: args.to as string }),
    place_call: (args) => fx.callOutcome({ patient_id: args.patientId as number, to: args.to as string }),
  };
}

export function renderApp(overrides: Record<string, CommandHandler> = {}) {
  const backend = installMockBackend({ ...defaultHandlers(), ...overrides });
  const user = userEvent.setup();
  const utils = render(
    <Providers client={createQueryClient()}>
      <App />
    </Providers>,
  );
  return { ...utils, user, backend };
}

/**
 * renderApp, then waits until app_info has answered and the shell is on screen
 * (App shows only a startup screen before that).
 */
export async function renderShell(overrides: Record<string, CommandHandler> = {}) {
  const utils = renderApp(overrides);
  await screen.findByTestId('status-bar');
  return utils;
}
