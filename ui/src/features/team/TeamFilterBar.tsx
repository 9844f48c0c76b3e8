import type { AssignedFilter, StatusFilter, ThreadFilter } from '../../platform';
import './team.css';

/** The patient column's default in team mode: every open thread. */
export const OPEN_THREADS: ThreadFilter = { assigned: 'all', status: 'open' };

const WHOSE: { value: AssignedFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'me', label: 'Assigned to me' },
  { value: 'unassigned', label: 'Unassigned' },
];

const STATUS: { value: StatusFilter; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'closed', label: 'Closed' },
];

/** "No open threads assigned to you.", "No unassigned closed threads.", "No open threads.". */
export function emptyViewWords(filter: ThreadFilter): string {
  const status = filter.status === 'any' ? '' : `${filter.status} `;
  if (filter.assigned === 'me') return `No ${status}threads assigned to you.`;
  if (filter.assigned === 'unassigned') return `No unassigned ${status}threads.`;
  return `No ${status}threads.`;
}

interface Props {
  filter: ThreadFilter;
  onChange: (filter: ThreadFilter) => void;
}

/** Team mode, under the search: All / Assigned to me / Unassigned, and Open / Closed. */
export function TeamFilterBar({ filter, onChange }: Props) {
  return (
    <div className="team-filter" data-testid="team-filter">
      <div className="team-filter__group" role="radiogroup" aria-label="Whose threads">
        {WHOSE.map((w) => (
          <button
            key={w.value}
            type="button"
            role="radio"
            aria-checked={filter.assigned === w.value}
            className="team-filter__choice"
            onClick={() => onChange({ ...filter, assigned: w.value })}
          >
            {w.label}
          </button>
        ))}
      </div>
      <div className="team-filter__group" role="radiogroup" aria-label="Open or closed threads">
        {STATUS.map((s) => (
          <button
            key={s.value}
            type="button"
            role="radio"
            aria-checked={filter.status === s.value}
            className="team-filter__choice"
            onClick={() => onChange({ ...filter, status: s.value })}
          >
            {s.label}
          </button>
        ))}
      </div>
    </div>
  );
}
