import { useState } from 'react';
import type { ActivityFilter } from '../../platform';
import { Dialog } from '../../shared/Dialog';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { ActivityChart } from './ActivityChart';
import { ActivityFilters } from './ActivityFilters';
import { ActivityTable } from './ActivityTable';
import { ExportButton } from './ExportButton';
import { defaultFilter, filterProblem, localZone } from './filter';
import { useActivityLog } from './queries';
import './activity.css';

/** Texts and calls with their events (the PRTF reporting rows): filter, chart, table, CSV export. */
export function ActivityLogDialog({ onClose }: { onClose: () => void }) {
  const [filter, setFilter] = useState<ActivityFilter>(() => defaultFilter(new Date()));
  const [touched, setTouched] = useState(false);
  const problem = filterProblem(filter);
  const log = useActivityLog(filter, problem === null);
  const data = log.data;
  const zone = data?.time_zone ?? localZone();
  // The clinic's zone is another than this computer's: "today" is the clinic's.
  const opening = defaultFilter(new Date(), zone);
  if (!touched && (opening.from !== filter.from || opening.to !== filter.to)) {
    setFilter(opening);
  }
  const change = (next: ActivityFilter) => {
    setTouched(true);
    setFilter(next);
  };

  return (
    <Dialog title="Activity log" onClose={onClose} className="dialog--activity">
      <ActivityFilters filter={filter} onChange={change} zone={zone} />
      {problem ? (
        <p className="error-message" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="activity-toolbar">
        <p className="activity-toolbar__count" role="status" aria-busy={log.isFetching}>
          {data ? `${data.rows.length} ${data.rows.length === 1 ? 'activity' : 'activities'}` : ''}
          {log.isFetching ? <span className="muted"> Loading…</span> : null}
        </p>
        <ExportButton filter={filter} disabled={problem !== null} />
      </div>
      <ErrorMessage error={log.error} context="Could not load the activity log" />
      {data && data.rows.length === 0 ? <p className="muted">No texts or calls match these filters.</p> : null}
      {data && data.rows.length > 0 ? (
        <>
          <ActivityChart perDay={data.per_day} />
          <ActivityTable rows={data.rows} zone={zone} />
        </>
      ) : null}
    </Dialog>
  );
}
