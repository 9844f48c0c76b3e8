import { useState } from 'react';
import { errorMessage } from '../../platform';
import { plural } from '../../shared/plural';
import { useTemplatePreview, useTemplates } from './templates';

interface Props {
  patientId: number;
  /** Puts the merged text in the composer. */
  onInsert: (text: string) => void;
}

/**
 * Insert a template: the text merged for the open patient with its segment count, counted after
 * merging. A field with no value is named and nothing can be inserted, so no `{…}` reaches a text.
 */
export function TemplatePicker({ patientId, onInsert }: Props) {
  const templates = useTemplates();
  const [chosen, setChosen] = useState<string | null>(null);
  const preview = useTemplatePreview(patientId, chosen);
  if (!templates.data || templates.data.length === 0) return null;
  const merged = preview.data;
  return (
    <div className="composer__template" data-testid="template-picker">
      <select
        className="input"
        aria-label="Insert template"
        value={chosen ?? ''}
        onChange={(e) => setChosen(e.target.value === '' ? null : e.target.value)}
      >
        <option value="">Insert template…</option>
        {templates.data.map((t) => (
          <option key={t.gid} value={t.name}>
            {t.name}
          </option>
        ))}
      </select>
      {preview.error ? (
        <p className="error-message" role="alert">
          {errorMessage(preview.error)}
        </p>
      ) : null}
      {merged && merged.missing.length > 0 ? (
        <p className="error-message" data-testid="template-missing">
          No value for {merged.missing.map((f) => `{${f}}`).join(', ')}: this template cannot be sent to this patient.
        </p>
      ) : null}
      {merged?.text && merged.size ? (
        <div className="composer__template-preview" data-testid="template-preview">
          <p>{merged.text}</p>
          <span data-testid="template-count">
            {plural(merged.size.units, 'character')} · {plural(merged.size.segments, 'segment')} ({merged.size.encoding})
          </span>
          <button
            type="button"
            className="button"
            onClick={() => {
              if (merged.text) onInsert(merged.text);
              setChosen(null);
            }}
          >
            Use this text
          </button>
        </div>
      ) : null}
    </div>
  );
}
