import type { ActivityRow } from '../../platform';
import { plural } from '../../shared/plural';

/** Most rows drawn at once; the CSV export has them all. */
export const MAX_TABLE_ROWS = 500;

/** A moment on the clinic's clock ("Mar 1, 2024, 11:30 PM"). */
export function clinicTime(at: string | null, zone: string): string {
  if (at === null) return '—';
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) return at;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(
    new Date(ms),
  );
}

/** "failed: the number cannot get texts". */
function status(row: ActivityRow): string {
  return row.status_reason ? `${row.status}: ${row.status_reason}` : row.status;
}

function rowKey(row: ActivityRow): string {
  if (row.activity_id !== null) return `a${row.activity_id}`;
  return row.voice_call_id !== null ? `c${row.voice_call_id}` : `m${row.text_message_id ?? ''}`;
}

function patient(row: ActivityRow): string {
  const ecm = row.ecm_patient_id !== null ? `ECM ${row.ecm_patient_id}` : null;
  if (row.patient_name) return ecm ? `${row.patient_name} (${ecm})` : row.patient_name;
  return ecm ?? '—';
}

/** Activities newest first, each with its event. */
export function ActivityTable({ rows, zone }: { rows: ActivityRow[]; zone: string }) {
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
            <th scope="col">ECM user</th>
            <th scope="col">ECM activity</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((row) => (
            <tr key={rowKey(row)} data-testid="activity-row">
              <td className="activity-table__when">{clinicTime(row.occurred_at, zone)}</td>
              <td>{row.activity_type === 'sms' ? 'Text' : 'Call'}</td>
              <td>{row.direction === 'inbound' ? 'In' : 'Out'}</td>
              <td>{patient(row)}</td>
              <td data-status={row.status}>{status(row)}</td>
              <td>{row.by}</td>
              <td className="mono">{row.ecm_user_id ?? '—'}</td>
              <td className="mono">{row.ecm_activity_id ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
