import type { ImportSummary } from '../../platform';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function ImportSummaryView({ summary }: { summary: ImportSummary }) {
  const { total_rows, created, updated, rejected } = summary;
  return (
    <section className="import-summary" aria-label="Import summary">
      <p className="import-summary__line" role="status">
        Read {plural(total_rows, 'row')}: <strong>{created} created</strong>, <strong>{updated} updated</strong>,{' '}
        <strong>{rejected.length} rejected</strong>.
      </p>
      {rejected.length > 0 ? (
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
      ) : null}
    </section>
  );
}
