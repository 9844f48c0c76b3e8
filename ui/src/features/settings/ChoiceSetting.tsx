import { useEffect, useId, useState } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { effectiveValue, useSaveSetting, useSetting } from './queries';
import { SettingHelp } from './SettingHelp';

export interface Choice {
  value: string;
  label: string;
}

interface Props {
  settingKey: string;
  label: string;
  options: Choice[];
  help?: string;
}

/** A setting with a few allowed values, as a select; a choice is saved at once. */
export function ChoiceSetting({ settingKey, label, options, help }: Props) {
  const setting = useSetting(settingKey);
  const selectId = useId();
  const helpId = useId();
  const current = effectiveValue(setting) ?? '';
  const [draft, setDraft] = useState(current);
  const save = useSaveSetting();

  useEffect(() => setDraft(current), [current]);

  if (!setting) return null;
  const known = options.some((o) => o.value === draft);

  return (
    <div className="setting">
      <label className="field__label" htmlFor={selectId}>
        {label}
      </label>
      <select
        id={selectId}
        className="input setting__select"
        aria-describedby={helpId}
        aria-invalid={save.isError || undefined}
        value={draft}
        disabled={save.isPending}
        onChange={(e) => {
          setDraft(e.target.value);
          // "Not set" clears the setting (the default applies again).
          const value = e.target.value === '' ? null : e.target.value;
          save.mutate({ key: settingKey, value }, { onError: () => setDraft(current) });
        }}
      >
        {known ? null : <option value={draft}>{draft === '' ? 'Not set' : draft}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <SettingHelp id={helpId} setting={setting} help={help} saved={save.isSuccess} />
      <ErrorMessage error={save.error} context={`Could not save ${label}`} />
    </div>
  );
}
