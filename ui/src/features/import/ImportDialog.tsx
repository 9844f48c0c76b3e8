import { useId, useState, type FormEvent } from 'react';
import { Dialog } from '../../shared/Dialog';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { ProgressBar } from '../../shared/ProgressBar';
import { ImportSummaryView } from './ImportSummaryView';
import { RosterColumns } from './RosterColumns';
import { useImportPatients } from './useImportPatients';
import './import.css';

export function ImportDialog({ onClose }: { onClose: () => void }) {
  const fileId = useId();
  const helpId = useId();
  const [file, setFile] = useState<File | null>(null);
  const { mutation, progress } = useImportPatients();

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (file) mutation.mutate(file);
  }

  return (
    <Dialog title="Import patients" onClose={onClose}>
      <form className="import-form" onSubmit={onSubmit}>
        <div className="field">
          <label className="field__label" htmlFor={fileId}>
            Roster file
          </label>
          <input
            id={fileId}
            type="file"
            accept=".csv,.json"
            aria-describedby={helpId}
            disabled={mutation.isPending}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              mutation.reset();
            }}
          />
          <p id={helpId} className="field__help">
            A CSV roster or a FHIR JSON bundle. Existing patients are updated, new ones are added.
          </p>
        </div>
        <RosterColumns />
        <div className="import-form__actions">
          <button type="submit" className="button button--primary" disabled={!file || mutation.isPending}>
            {mutation.isPending ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>

      {mutation.isPending ? (
        <div className="import-progress">
          <ProgressBar label="Import progress" value={progress?.done ?? null} max={progress?.total ?? null} />
          <p className="muted">{progress ? `${progress.done} of ${progress.total} rows` : 'Reading file…'}</p>
        </div>
      ) : null}

      <ErrorMessage error={mutation.error} context="Import failed" />
      {mutation.data ? <ImportSummaryView summary={mutation.data} /> : null}
    </Dialog>
  );
}
