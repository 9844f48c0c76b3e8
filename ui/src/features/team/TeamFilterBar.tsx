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

interface GroupProps<T extends string> {
  label: string;
  choices: { value: T; label: string }[];
  value: T;
  onChoose: (value: T) => void;
}

/** One set of exclusive choices, as radio buttons side by side. */
function ChoiceGroup<T extends string>({ label, choices, value, onChoose }: GroupProps<T>) {
  return (
    <div className="team-filter__group" role="radiogroup" aria-label={label}>
      {choices.map((c) => (
        <button
          key={c.value}
          type="button"
          role="radio"
          aria-checked={value === c.value}
          className="team-filter__choice"
          onClick={() => onChoose(c.value)}
        >
          {c.label}
        </button>
      ))}
    </div>
  );
}

/** Team mode, under the search: All / Assigned to me / Unassigned, and Open / Closed. */
export function TeamFilterBar({ filter, onChange }: Props) {
  return (
    <div className="team-filter" data-testid="team-filter">
      <ChoiceGroup
        label="Whose threads"
        choices={WHOSE}
        value={filter.assigned}
        onChoose={(assigned) => onChange({ ...filter, assigned })}
      />
      <ChoiceGroup
        label="Open or closed threads"
        choices={STATUS}
        value={filter.status}
        onChoose={(status) => onChange({ ...filter, status })}
      />
    </div>
  );
}
