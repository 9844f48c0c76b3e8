import { useState } from 'react';
import { errorMessage } from '../../platform';
import { useAddNote } from './queries';
import { useSubmitKeys } from '../../shared/useSubmitKeys';

/** The most a note holds (the core's limit). */
export const MAX_NOTE_CHARS = 10_000;

/** Writes an internal note for the team: shared with every desk, never sent to the patient. Ctrl+Enter adds it. */
export function NoteComposer({ patientId }: { patientId: number }) {
  const [text, setText] = useState('');
  const add = useAddNote(patientId);
  const canAdd = text.trim() !== '' && text.length <= MAX_NOTE_CHARS && !add.isPending;

  async function submit() {
    if (!canAdd) return;
    const sent = text;
    try {
      await add.mutateAsync(sent.trim());
      setText((now) => (now === sent ? '' : now));
    } catch {
      // Shown below from add.error.
    }
  }

  const { onSubmit, onKeyDown } = useSubmitKeys(submit);

  return (
    <form className="composer note-composer" data-testid="note-composer" aria-label="Write an internal note" onSubmit={onSubmit}>
      <p className="note-composer__hint">Internal note · seen by the team, never sent to the patient</p>
      <div className="composer__row">
        <textarea
          className="input composer__text note-composer__text"
          aria-label="Internal note"
          placeholder="Write a note for the team…"
          rows={3}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="button button--primary composer__send" disabled={!canAdd}>
          {add.isPending ? 'Adding…' : 'Add note'}
        </button>
      </div>
      <div className="composer__footer">
        <span>{text.length > MAX_NOTE_CHARS ? `At most ${MAX_NOTE_CHARS.toLocaleString()} characters` : ''}</span>
        <span className="composer__shortcut">Ctrl+Enter to add</span>
      </div>
      {add.error ? (
        <p className="error-message composer__problem" role="alert">
          {errorMessage(add.error)}
        </p>
      ) : null}
    </form>
  );
}
