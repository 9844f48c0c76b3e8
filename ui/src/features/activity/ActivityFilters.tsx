import { useId } from 'react';
import type { ActivityFilter, ActivityType } from '../../platform';
import { PatientFilter } from './PatientFilter';

interface Props {
  filter: ActivityFilter;
  onChange: (filter: ActivityFilter) => void;
  /** The clinic's time zone the days follow. */
  zone: string;
}

/** Date range (inclusive clinic days), type and patient. */
export function ActivityFilters({ filter, onChange, zone }: Props) {
  const fromId = useId();
  const toId = useId();
  const typeId = useId();
  return (
    <div className="activity-filters" role="group" aria-label="Filters">
      <div className="field">
        <label className="field__label" htmlFor={fromId}>
          From
        </label>
        <input
          id={fromId}
          className="input"
          type="date"
          value={filter.from ?? ''}
          max={filter.to ?? undefined}
          onChange={(e) => onChange({ ...filter, from: e.target.value === '' ? null : e.target.value })}
        />
      </div>
      <div className="field">
        <label className="field__label" htmlFor={toId}>
          To
        </label>
        <input
          id={toId}
          className="input"
          type="date"
          value={filter.to ?? ''}
          min={filter.from ?? undefined}
          onChange={(e) => onChange({ ...filter, to: e.target.value === '' ? null : e.target.value })}
        />
      </div>
      <div className="field">
        <label className="field__label" htmlFor={typeId}>
          Type
        </label>
        <select
          id={typeId}
          className="input"
          value={filter.activity_type ?? 'all'}
          onChange={(e) =>
            onChange({
              ...filter,
              activity_type: e.target.value === 'all' ? null : (e.target.value as ActivityType),
            })
          }
        >
          <option value="all">Texts and calls</option>
          <option value="sms">Texts only</option>
          <option value="call">Calls only</option>
        </select>
      </div>
      <PatientFilter patientId={filter.patient_id} onChange={(patient_id) => onChange({ ...filter, patient_id })} />
      <p className="field__help activity-filters__note">
        Days run from midnight to midnight in the clinic&apos;s time zone ({zone}, setting clinic.time_zone), in the
        chart, the table and the exported reports.
      </p>
    </div>
  );
}
