import type { ActivityRow } from '../../platform';
import { plural } from '../../shared/plural';

/** Most rows drawn at once; the CSV export has them all. */
export const MAX_TABLE_ROWS = 500;

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function when(at: string | null): string {
  if (at === null) return '—';
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : timeFormat.format(new Date(ms));
}

function patient(row: ActivityRow): string {
  const ecm = row.ecm_patient_id !== null ? `ECM ${row.ecm_patient_id}` : null;
  if (row.patient_name) return ecm ? `${row.patient_name} (${ecm})` : row.patient_name;
  return ecm ?? '—';
}

/** Activities newest first, each with its event. */
export function ActivityTable({ rows }: { rows: ActivityRow[] }) {
  const newestFirst = [...rows].reverse().slice(0, MAX_TABLE_ROWS);
  return (
    <div className="activity-table">
      {rows.length > MAX_TABLE_ROWS ? (
        <p className="field__help">
          Showing the newest {MAX_TABLE_ROWS} of {plural(rows.length, 'activity', 'activities')}. Export CSV has them
          all.
        </p>
      ) : null}
      <table className="activity-table__table">
        <caption className="visually-hidden">Activities, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Type</th>
            <th scope="col">Direction</th>
            <th scope="col">Patient</th>
            <th scope="col">Status</th>
            <th scope="col">By</th>
            <th scope="col">ECM activity</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((row) => (
            <tr key={row.activity_id} data-testid="activity-row">
              <td className="activity-table__when">{when(row.occurred_at)}</td>
              <td>{row.activity_type === 'sms' ? 'Text' : 'Call'}</td>
              <td>{row.direction === 'inbound' ? 'In' : 'Out'}</td>
              <td>{patient(row)}</td>
              <td>{row.status}</td>
              <td>{row.performed_by_id}</td>
              <td className="mono">{row.ecm_activity_id ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
