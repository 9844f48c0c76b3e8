// Team mode in the UI tests: a desk of Ana Ruiz's in a team with Ben Ortiz, over the mock backend.
import type { Note, PresenceEntry, TeamThread, TeamView, ThreadFilter, ThreadTeam } from '../platform';
import type { CommandArgs, CommandHandler } from '../platform/mockBackend';
import * as fx from './fixtures';

export const team: TeamView = {
  me: { role: 'ana', name: 'Ana Ruiz' },
  members: [
    { role: 'ana', name: 'Ana Ruiz' },
    { role: 'ben', name: 'Ben Ortiz' },
  ],
};

export function note(fields: Partial<Note> = {}): Note {
  return {
    gid: `note-${Math.random().toString(36).slice(2)}`,
    patient_id: 1,
    author: 'ben',
    author_name: 'Ben Ortiz',
    text: 'Called the daughter, she will confirm.',
    at: '2024-03-01T09:31:00Z',
    ...fields,
  };
}

export function presence(fields: Partial<PresenceEntry> = {}): PresenceEntry {
  return { patient_id: 1, role: 'ben', name: 'Ben Ortiz', activity: 'viewing', ...fields };
}

/** What the mock team database holds: each thread's owner and status, and its notes. */
export interface TeamState {
  threads: Map<number, ThreadTeam>;
  notes: Note[];
}

function teamThreadOf(state: TeamState, patientId: number): TeamThread {
  const t = state.threads.get(patientId) ?? { assigned_to: null, assigned_to_name: null, status: 'open' };
  return { patient_id: patientId, ...t, pending: false };
}

function nameOf(role: string | null): string | null {
  return team.members.find((m) => m.role === role)?.name ?? null;
}

/** list_threads as a team desk answers it: rows carry their team state, and the filter narrows them. */
function listing(state: TeamState, args: CommandArgs) {
  const filter = (args.filter as ThreadFilter | undefined) ?? { assigned: 'all', status: 'any' };
  const rows = fx.patientThreads
    .map((p) => ({ ...p, team: teamThreadOf(state, p.id) }))
    .filter((p) => filter.status === 'any' || p.team.status === filter.status)
    .filter((p) =>
      filter.assigned === 'me'
        ? p.team.assigned_to === team.me?.role
        : filter.assigned === 'unassigned'
          ? p.team.assigned_to === null
          : true,
    )
    .map(({ team: t, ...p }) => ({
      ...p,
      team: { assigned_to: t.assigned_to, assigned_to_name: t.assigned_to_name, status: t.status },
    }));
  return fx.threadListing(rows, args.query, undefined, args.limit);
}

/** Handlers of a team desk; `state` is changed by assign, close, reopen and add_note. */
export function teamHandlers(state: TeamState = { threads: new Map(), notes: [] }): Record<string, CommandHandler> {
  return {
    team_view: () => team,
    list_threads: (args) => listing(state, args),
    team_thread: (args) => {
      const id = args.patientId as number;
      return { thread: teamThreadOf(state, id), notes: state.notes.filter((n) => n.patient_id === id) };
    },
    assign_thread: (args) => {
      const id = args.patientId as number;
      const to = args.to as { to: string; role?: string };
      const role = to.to === 'me' ? 'ana' : to.to === 'member' ? (to.role ?? null) : null;
      const now = teamThreadOf(state, id);
      state.threads.set(id, { assigned_to: role, assigned_to_name: nameOf(role), status: now.status });
      return teamThreadOf(state, id);
    },
    close_thread: (args) => setStatus(state, args.patientId as number, 'closed'),
    reopen_thread: (args) => setStatus(state, args.patientId as number, 'open'),
    add_note: (args) => {
      const n = note({ patient_id: args.patientId as number, author: 'ana', author_name: 'Ana Ruiz', text: args.text as string, at: new Date().toISOString() });
      state.notes.push(n);
      return n;
    },
    colleague_sends: () => [],
    announce_presence: () => null,
    leave_presence: () => null,
    team_presence: () => [],
  };
}

function setStatus(state: TeamState, id: number, status: 'open' | 'closed'): TeamThread {
  const now = teamThreadOf(state, id);
  state.threads.set(id, { assigned_to: now.assigned_to, assigned_to_name: now.assigned_to_name, status });
  return teamThreadOf(state, id);
}
