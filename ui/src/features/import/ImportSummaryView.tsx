import type { ImportSummary } from '../../platform';
import { plural } from '../../shared/plural';

export function ImportSummaryView({ summary }: { summary: ImportSummary }) {
  const { total_rows, created, updated, rejected } = summary;
  return (
    <section className="import-summary" aria-label="Import summary">
      <p className="import-summary__line" role="status">
        Read {plural(total_rows, 'row')}: <strong>{created} created</strong>, <strong>{updated} updated</strong>,{' '}
        <strong>{rejected.length} rejected</strong>.
      </p>
      {rejected.length > 0 ? (
        <>
          <p className="field__help">
            Fix these rows in the file and import it again: patients already imported are updated, not added twice.
          </p>
          <div className="import-summary__scroll">
            <table className="import-summary__table">
              <caption>Rejected rows</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {rejected.map((r, i) => (
                  <tr key={`${r.row}-${i}`}>
                    <td className="mono">{r.row}</td>
                    <td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
