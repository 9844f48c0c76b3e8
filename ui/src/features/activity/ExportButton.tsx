import type { ActivityFilter } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { plural } from '../../shared/plural';
import { ProgressBar } from '../../shared/ProgressBar';
import { useExportActivities } from './queries';

interface Props {
  filter: ActivityFilter;
  disabled: boolean;
}

/**
 * Writes the filtered log as CSV (in the backend, off the UI thread) and says where it went. With no
 * export folder set, the backend first asks where to save (a Save dialog); cancelling writes nothing.
 */
export function ExportButton({ filter, disabled }: Props) {
  const exporting = useExportActivities();
  return (
    <div className="activity-export">
      <button
        type="button"
        className="button button--primary"
        aria-busy={exporting.isPending}
        disabled={disabled || exporting.isPending}
        onClick={() => exporting.mutate(filter)}
      >
        {exporting.isPending ? 'Exporting…' : 'Export CSV'}
      </button>
      {exporting.isPending ? (
        <div className="activity-export__progress">
          <ProgressBar label="Export progress" value={null} max={null} />
        </div>
      ) : null}
      <div aria-live="polite" className="activity-export__result">
        {exporting.isSuccess && exporting.data === null && !exporting.isPending ? (
          <p data-testid="export-result">Export cancelled: nothing was saved.</p>
        ) : null}
        {exporting.data && !exporting.isPending ? (
          <p data-testid="export-result">
            Saved {plural(exporting.data.rows, 'row')} to <span className="mono">{exporting.data.path}</span>
          </p>
        ) : null}
      </div>
      <ErrorMessage error={exporting.error} context="Export failed" />
    </div>
  );
}
