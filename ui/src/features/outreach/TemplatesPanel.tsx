import { useState } from 'react';
import type { Template } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { TemplateForm } from './TemplateForm';
import { useRemoveTemplate, useTemplates } from './templateQueries';

type Editing = { template: Template | null } | null;

/** One template in the list: its text as text (never HTML), Edit, and Remove with a confirmation. */
function TemplateRow({ template, onEdit }: { template: Template; onEdit: () => void }) {
  const remove = useRemoveTemplate();
  const [confirming, setConfirming] = useState(false);
  return (
    <li className="template-row" data-testid="template-row">
      <div className="template-row__head">
        <strong className="template-row__name">{template.name}</strong>
        <span className="muted template-row__by">changed by {template.updated_by}</span>
        <span className="template-row__actions">
          <button type="button" className="button" aria-label={`Edit ${template.name}`} onClick={onEdit}>
            Edit
          </button>
          {confirming ? (
            <>
              <span>Remove it?</span>
              <button
                type="button"
                className="button button--danger"
                aria-label={`Confirm remove ${template.name}`}
                disabled={remove.isPending}
                onClick={() => remove.mutate(template.name)}
              >
                Remove
              </button>
              <button type="button" className="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button
              type="button"
              className="button button--ghost"
              aria-label={`Remove ${template.name}`}
              onClick={() => setConfirming(true)}
            >
              Remove
            </button>
          )}
        </span>
      </div>
      <p className="template-row__text">{template.text}</p>
      <ErrorMessage error={remove.error} context={`Could not remove ${template.name}`} />
    </li>
  );
}

/** The templates: list, add, edit, remove (shared by the team in team mode). */
export function TemplatesPanel() {
  const templates = useTemplates();
  const [editing, setEditing] = useState<Editing>(null);
  const list = templates.data ?? [];
  return (
    <div className="templates-panel" data-testid="templates-panel">
      <ErrorMessage error={templates.error} context="Could not load the templates" />
      {editing ? (
        <TemplateForm template={editing.template} onDone={() => setEditing(null)} />
      ) : (
        <button type="button" className="button button--primary" onClick={() => setEditing({ template: null })}>
          New template
        </button>
      )}
      {templates.isPending ? <p className="muted">Loading templates…</p> : null}
      {templates.data && list.length === 0 ? (
        <p className="muted">No templates yet. Write the texts you send often once, with fields like {'{first_name}'}.</p>
      ) : null}
      <ul className="template-list">
        {list.map((t) => (
          <TemplateRow key={t.gid} template={t} onEdit={() => setEditing({ template: t })} />
        ))}
      </ul>
    </div>
  );
}
