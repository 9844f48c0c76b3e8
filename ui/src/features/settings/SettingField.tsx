import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Setting } from '../../platform';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useSaveSetting } from './queries';
import { SettingHelp } from './SettingHelp';

export interface TextFieldOptions {
  /** The label people read; the key when not given. */
  label?: string;
  help?: string;
  type?: 'text' | 'url' | 'tel';
  inputMode?: 'text' | 'numeric' | 'decimal' | 'tel' | 'url';
  placeholder?: string;
}

/**
 * One text setting with its own Save. An emptied value is saved as null ("use the default").
 * The backend validates; its refusal is shown beside the field.
 */
export function SettingField({
  setting,
  label,
  help,
  type = 'text',
  inputMode,
  placeholder,
}: TextFieldOptions & { setting: Setting }) {
  const inputId = useId();
  const helpId = useId();
  const name = label ?? setting.key;
  const saved = setting.value ?? '';
  const [draft, setDraft] = useState(saved);
  const save = useSaveSetting();

  useEffect(() => setDraft(saved), [saved]);

  const dirty = draft !== saved;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ key: setting.key, value: draft.trim() === '' ? null : draft.trim() });
  }

  return (
    <form className="setting" onSubmit={onSubmit}>
      <label className={label ? 'field__label' : 'field__label mono'} htmlFor={inputId}>
        {name}
      </label>
      <div className="setting__row">
        <input
          id={inputId}
          className="input"
          type={type}
          inputMode={inputMode}
          spellCheck={false}
          aria-describedby={helpId}
          aria-invalid={save.isError || undefined}
          placeholder={placeholder ?? (setting.default !== null ? `Default: ${setting.default}` : 'Not set')}
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            save.reset();
          }}
        />
        <button type="submit" className="button" aria-label={`Save ${name}`} disabled={!dirty || save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
      </div>
      <SettingHelp id={helpId} setting={setting} help={help} saved={save.isSuccess && !dirty} />
      <ErrorMessage error={save.error} context={`Could not save ${name}`} />
    </form>
  );
}
