// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PRESENCE_EVENT } from '../../platform';
import { composer, openPatient, selectPatient } from '../../test/conversation';
import { emitEvent, listenerCount } from '../../test/renderApp';
import { presence, teamHandlers } from '../../test/team';

function header() {
  return screen.getByTestId('team-bar');
}

describe('presence', () => {
  it('shows who else is in this thread, viewing or writing, and drops them when the backend does', async () => {
    await openPatient(0, teamHandlers());
    await waitFor(() => expect(listenerCount(PRESENCE_EVENT)).toBe(1));
    act(() =>
      emitEvent(PRESENCE_EVENT, {
        present: [presence({ activity: 'viewing' }), presence({ patient_id: 3, name: 'Cy Park', role: 'cy' })],
      }),
    );
    const line = await within(header()).findByTestId('presence');
    expect(line).toHaveTextContent('Ben O. is viewing');
    expect(line).not.toHaveTextContent('Cy');
    expect(within(line).getByText('Ben O. is viewing')).toHaveAttribute('title', 'Ben Ortiz (ben)');

    act(() => emitEvent(PRESENCE_EVENT, { present: [presence({ activity: 'writing' })] }));
    await waitFor(() => expect(within(header()).getByTestId('presence')).toHaveTextContent('Ben O. is writing…'));

    // Ben went silent: the backend forgot him after three missed announcements.
    act(() => emitEvent(PRESENCE_EVENT, { present: [] }));
    await waitFor(() => expect(within(header()).queryByTestId('presence')).toBeNull());
  });

  it('a name is shown as text', async () => {
    await openPatient(0, teamHandlers());
    await waitFor(() => expect(listenerCount(PRESENCE_EVENT)).toBe(1));
    act(() => emitEvent(PRESENCE_EVENT, { present: [presence({ name: '<img src=x onerror=alert(1)> Mallory' })] }));
    const line = await within(header()).findByTestId('presence');
    expect(line.querySelector('img')).toBeNull();
    expect(line).toHaveTextContent('<img M. is viewing');
  });

  it('tells the team where this member is: viewing, writing while typing, and leaving', async () => {
    const { user, backend } = await openPatient(0, teamHandlers());
    await waitFor(() => expect(backend.callsTo('announce_presence')).toEqual([{ patientId: 1, writing: false }]));
    await user.type(composer().text, 'Hi');
    await waitFor(() => expect(backend.callsTo('announce_presence').at(-1)).toEqual({ patientId: 1, writing: true }));
    await user.clear(composer().text);
    await waitFor(() => expect(backend.callsTo('announce_presence').at(-1)).toEqual({ patientId: 1, writing: false }));
    // Another thread: leave this one, then viewing that one.
    await selectPatient(user, 2);
    await waitFor(() => expect(backend.callsTo('announce_presence').at(-1)).toEqual({ patientId: 3, writing: false }));
    expect(backend.callsTo('leave_presence').length).toBeGreaterThanOrEqual(1);
  });

  it('says nothing of presence on a desk alone', async () => {
    const { backend } = await openPatient(0);
    await screen.findByTestId('thread');
    expect(backend.callsTo('announce_presence')).toEqual([]);
    expect(backend.callsTo('team_presence')).toEqual([]);
  });
});
