// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { appInfo } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

// What the Rust core says when there is no Secret Service (one long paragraph).
const NO_KEYRING =
  'no OS keyring is available (Platform secure storage failure: DBus error: The name ' +
  'org.freedesktop.secrets was not provided by any .service files). CareDesk keeps its database key ' +
  'and credentials only in the OS keyring and will not start without one. On Linux, install and ' +
  'unlock a Secret Service provider (for example: apt install gnome-keyring, then log in to a desktop ' +
  'session, or run `dbus-run-session` with `gnome-keyring-daemon --unlock`); on macOS and Windows the ' +
  'system keychain is used.';

function fail(code: string, message: string) {
  return () => {
    throw { code, message };
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function expectNoShell() {
  expect(screen.queryByTestId('patient-list')).toBeNull();
  expect(screen.queryByTestId('status-bar')).toBeNull();
  expect(screen.queryByTestId('conversation')).toBeNull();
  expect(screen.queryByRole('searchbox')).toBeNull();
  expect(screen.queryByRole('button', { name: 'Import' })).toBeNull();
  expect(screen.queryByRole('button', { name: 'Settings' })).toBeNull();
}

describe('startup error screen', () => {
  it('keyring_unavailable: heading and the full backend message, and nothing of the shell', async () => {
    const { backend } = renderApp({ app_info: fail('keyring_unavailable', NO_KEYRING) });
    const screenEl = await screen.findByTestId('startup-error');
    expect(screenEl).toHaveAttribute('role', 'alert');
    expect(within(screenEl).getByRole('heading', { level: 1 })).toHaveTextContent('No OS keyring available');
    expect(screenEl).toHaveAccessibleName('No OS keyring available');
    expect(within(screenEl).getByText(NO_KEYRING)).toHaveClass('startup__message');
    expect(screenEl).toHaveTextContent('keyring_unavailable');
    expect(screenEl).not.toHaveTextContent('[object Object]');
    expect(within(screenEl).getByRole('button', { name: 'Try again' })).toBeEnabled();
    expectNoShell();
    // The shell never mounted, so no other command was tried against the unopened store.
    expect(backend.calls.map((c) => c.cmd)).toEqual(['app_info']);
  });

  it('store: its own heading; line breaks in the message are kept as text', async () => {
    const message = 'the database could not be opened.\nThe key in the keyring does not match it.';
    renderApp({ app_info: fail('store', message) });
    const screenEl = await screen.findByTestId('startup-error');
    expect(within(screenEl).getByRole('heading', { level: 1 })).toHaveTextContent(
      'The local database cannot be opened',
    );
    const text = screenEl.querySelector('.startup__message');
    expect(text?.textContent).toBe(message);
    expect(text?.children).toHaveLength(0);
    expectNoShell();
  });

  it('any other code: the generic heading, once', async () => {
    renderApp({ app_info: fail('config', 'config.toml line 3: unknown key "foo".') });
    const screenEl = await screen.findByTestId('startup-error');
    expect(within(screenEl).getByRole('heading', { level: 1 })).toHaveTextContent('CareDesk cannot start');
    expect(within(screenEl).getAllByText('CareDesk cannot start')).toHaveLength(1);
    expect(screenEl).toHaveTextContent('config.toml line 3: unknown key "foo".');
  });

  it('the message is text, never HTML', async () => {
    renderApp({ app_info: fail('store', '<img src=x onerror="alert(1)"> bad <b>key</b>') });
    const screenEl = await screen.findByTestId('startup-error');
    expect(screenEl.querySelector('img, b')).toBeNull();
    expect(screenEl).toHaveTextContent('<img src=x onerror="alert(1)"> bad <b>key</b>');
  });

  it('Try again re-invokes app_info; the shell appears when it succeeds', async () => {
    let attempts = 0;
    const { user, backend } = renderApp({
      app_info: () => {
        attempts += 1;
        if (attempts === 1) throw { code: 'keyring_unavailable', message: NO_KEYRING };
        return appInfo;
      },
    });
    const screenEl = await screen.findByTestId('startup-error');
    await user.click(within(screenEl).getByRole('button', { name: 'Try again' }));

    expect(await screen.findByTestId('status-bar')).toHaveTextContent('3 patients');
    expect(await screen.findAllByTestId('patient-row')).toHaveLength(3);
    expect(screen.queryByTestId('startup-error')).toBeNull();
    expect(backend.callsTo('app_info')).toHaveLength(2);
  });

  it('Try again that fails again shows the new error, and is disabled while it runs', async () => {
    const retry = deferred<void>();
    let attempts = 0;
    const { user, backend } = renderApp({
      app_info: () => {
        attempts += 1;
        if (attempts === 1) throw { code: 'keyring_unavailable', message: NO_KEYRING };
        return retry.promise.then(() => Promise.reject({ code: 'store', message: 'wrong database key.' }));
      },
    });
    const button = await screen.findByRole('button', { name: 'Try again' });
    await user.click(button);
    await waitFor(() => expect(button).toBeDisabled());
    // The screen stays put while the retry runs (no flash of the pending screen).
    expect(screen.getByTestId('startup-error')).toHaveTextContent('No OS keyring available');
    expect(screen.queryByTestId('startup-pending')).toBeNull();
    retry.resolve();

    const screenEl = screen.getByTestId('startup-error');
    await waitFor(() =>
      expect(within(screenEl).getByRole('heading', { level: 1 })).toHaveTextContent(
        'The local database cannot be opened',
      ),
    );
    expect(screenEl).toHaveTextContent('wrong database key.');
    expect(within(screenEl).getByRole('button', { name: 'Try again' })).toBeEnabled();
    expectNoShell();
    expect(backend.callsTo('app_info')).toHaveLength(2);
  });

  it('while app_info has not answered, neither the shell nor an error shows', async () => {
    const answer = deferred<typeof appInfo>();
    const { backend } = renderApp({ app_info: () => answer.promise });
    expect(screen.getByTestId('startup-pending')).toHaveTextContent('Starting CareDesk…');
    expect(screen.queryByTestId('startup-error')).toBeNull();
    expectNoShell();
    expect(backend.callsTo('list_threads')).toEqual([]);

    answer.resolve(appInfo);
    await screen.findByTestId('status-bar');
    expect(screen.queryByTestId('startup-pending')).toBeNull();
  });

  it('a later app_info failure (refetch after an import) keeps the working shell', async () => {
    let calls = 0;
    const { user, backend } = renderApp({
      app_info: () => {
        calls += 1;
        if (calls > 1) throw { code: 'internal', message: 'busy' };
        return appInfo;
      },
      import_patients: () => ({ total_rows: 1, created: 1, updated: 0, rejected: [] }),
    });
    await screen.findByTestId('status-bar');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    const dialog = screen.getByRole('dialog', { name: 'Import patients' });
    await user.upload(within(dialog).getByLabelText('Roster file'), new File(['name,phone\n'], 'r.csv'));
    await user.click(within(dialog).getByRole('button', { name: 'Import' }));
    await within(dialog).findByRole('region', { name: 'Import summary' });

    await waitFor(() => expect(backend.callsTo('app_info')).toHaveLength(2));
    expect(screen.queryByTestId('startup-error')).toBeNull();
    expect(screen.getByTestId('status-bar')).toHaveTextContent('3 patients');
    expect(screen.getByRole('dialog', { name: 'Import patients' })).toBeInTheDocument();
  });
});
