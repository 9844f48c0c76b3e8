import { ErrorMessage } from '../../shared/ErrorMessage';
import { formatPhone } from '../patients/phones';
import { useCampaignReport, useExportCampaignReport } from './campaignQueries';
import { skipWords } from './campaignWords';

/** One row per recipient (state, reason, delivered, answer, replied), and Export CSV. */
export function CampaignReport({ id }: { id: number }) {
  const report = useCampaignReport(id, true);
  const exportCsv = useExportCampaignReport();
  const rows = report.data ?? [];
  return (
    <div className="campaign-report" data-testid="campaign-report">
      <div className="campaign-report__toolbar">
        <span className="muted">{report.data ? `${rows.length} recipients` : 'Loading the report…'}</span>
        <button type="button" className="button" disabled={exportCsv.isPending} onClick={() => exportCsv.mutate(id)}>
          Export CSV
        </button>
        {exportCsv.data ? (
          <span className="muted" role="status">
            {exportCsv.data.rows} rows written to {exportCsv.data.path}
          </span>
        ) : null}
      </div>
      <ErrorMessage error={report.error} context="Could not load the report" />
      <ErrorMessage error={exportCsv.error} context="Could not export the report" />
      {rows.length > 0 ? (
        <div className="campaign-report__scroll">
          <table className="campaign-report__table">
            <thead>
              <tr>
                <th scope="col">Patient</th>
                <th scope="col">Number</th>
                <th scope="col">State</th>
                <th scope="col">Delivered</th>
                <th scope="col">Answer</th>
                <th scope="col">Replied</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={`${r.patient_id ?? 'x'}-${r.ecm_patient_id ?? 'x'}-${i}`} data-testid="campaign-report-row">
                  <td>{r.patient_id !== null ? `#${r.patient_id}` : `ECM ${r.ecm_patient_id ?? '?'}`}</td>
                  <td className="mono">{r.number ? formatPhone(r.number) : '—'}</td>
                  <td>{r.reason ? `${r.state}: ${skipWords(r.reason)}` : r.state}</td>
                  <td>{r.delivered ? 'yes' : ''}</td>
                  <td>{r.answer ?? ''}</td>
                  <td>{r.replied ? 'yes' : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
