import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Setting } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useSaveSetting } from './queries';

/** One setting: label is its key, help is its description; an empty value means "use the default". */
export function SettingField({ setting }: { setting: Setting }) {
  const inputId = useId();
  const helpId = useId();
  const saved = setting.value ?? '';
  const [draft, setDraft] = useState(saved);
  const save = useSaveSetting();

  useEffect(() => setDraft(saved), [saved]);

  const dirty = draft !== saved;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ key: setting.key, value: draft.trim() === '' ? null : draft });
  }

  return (
    <form className="setting" onSubmit={onSubmit}>
      <label className="field__label mono" htmlFor={inputId}>
        {setting.key}
      </label>
      <div className="setting__row">
        <input
          id={inputId}
          className="input"
          type="text"
          spellCheck={false}
          aria-describedby={helpId}
          placeholder={setting.default !== null ? `Default: ${setting.default}` : 'Not set'}
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            save.reset();
          }}
        />
        <button type="submit" className="button" aria-label={`Save ${setting.key}`} disabled={!dirty || save.isPending}>
          Save
        </button>
      </div>
      <p id={helpId} className="field__help">
        {setting.description}
        {setting.default !== null ? ` Default: ${setting.default}.` : ''}
        {save.isSuccess && !dirty ? <span className="setting__saved"> Saved.</span> : null}
      </p>
      <ErrorMessage error={save.error} context={`Could not save ${setting.key}`} />
    </form>
  );
}
