import { useId, useRef, useState } from 'react';
import { errorMessage, type Template } from '../../platform';
import { SmsSizeNote } from '../conversation/SmsSizeNote';
import { useSaveTemplate } from './templateQueries';

/** The merge fields every patient has; a campaign's recipient file may add its own columns. */
export const STANDARD_FIELDS = ['first_name', 'last_name', 'clinic_name', 'coordinator_name'] as const;

interface Props {
  /** The template to change; null: a new one. */
  template: Template | null;
  onDone: () => void;
}

/** A template's name and text, with buttons that insert merge fields at the cursor. */
export function TemplateForm({ template, onDone }: Props) {
  const ids = useId();
  const [name, setName] = useState(template?.name ?? '');
  const [text, setText] = useState(template?.text ?? '');
  const textRef = useRef<HTMLTextAreaElement>(null);
  const save = useSaveTemplate();
  const canSave = name.trim() !== '' && text.trim() !== '' && !save.isPending;

  function insert(field: string) {
    const area = textRef.current;
    const token = `{${field}}`;
    const start = area?.selectionStart ?? text.length;
    const end = area?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + token + text.slice(end);
    setText(next);
    requestAnimationFrame(() => {
      area?.focus();
      area?.setSelectionRange(start + token.length, start + token.length);
    });
  }

  return (
    <form
      className="template-form"
      aria-label={template ? `Edit template ${template.name}` : 'New template'}
      onSubmit={(e) => {
        e.preventDefault();
        if (canSave) save.mutate({ name: name.trim(), text, isNew: template === null }, { onSuccess: onDone });
      }}
    >
      <div className="field">
        <label htmlFor={`${ids}-name`}>Name</label>
        <input
          id={`${ids}-name`}
          className="input"
          value={name}
          disabled={template !== null}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${ids}-text`}>Text</label>
        <textarea
          id={`${ids}-text`}
          ref={textRef}
          className="input template-form__text"
          rows={4}
          value={text}
          aria-describedby={`${ids}-size ${ids}-fields`}
          onChange={(e) => setText(e.target.value)}
        />
        <div className="template-form__fields" id={`${ids}-fields`}>
          <span className="muted">Insert a field:</span>
          {STANDARD_FIELDS.map((f) => (
            <button key={f} type="button" className="button button--ghost" onClick={() => insert(f)}>
              {`{${f}}`}
            </button>
          ))}
          <span className="muted">A campaign's recipient file can add its own columns, like {'{appointment_time}'}.</span>
        </div>
        <SmsSizeNote id={`${ids}-size`} text={text} />
        <p className="field__help">Counted before merging: names and times change the count for each patient.</p>
      </div>
      {save.error ? (
        <p className="error-message" role="alert">
          Could not save the template: {errorMessage(save.error)}
        </p>
      ) : null}
      <div className="template-form__buttons">
        <button type="submit" className="button button--primary" disabled={!canSave}>
          {save.isPending ? 'Saving…' : template ? 'Save changes' : 'Add template'}
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
