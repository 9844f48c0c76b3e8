import { useEffect, useId, useState } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { effectiveValue, useSaveSetting, useSetting } from './queries';
import { SettingHelp } from './SettingHelp';

interface Props {
  settingKey: string;
  label: string;
  help?: string;
}

/** A true/false setting as a checkbox; saved at once. */
export function ToggleSetting({ settingKey, label, help }: Props) {
  const setting = useSetting(settingKey);
  const inputId = useId();
  const helpId = useId();
  const current = effectiveValue(setting) === 'true';
  const [draft, setDraft] = useState(current);
  const save = useSaveSetting();

  useEffect(() => setDraft(current), [current]);

  if (!setting) return null;

  return (
    <div className="setting">
      <div className="setting__toggle">
        <input
          id={inputId}
          type="checkbox"
          aria-describedby={helpId}
          aria-invalid={save.isError || undefined}
          checked={draft}
          disabled={save.isPending}
          onChange={(e) => {
            setDraft(e.target.checked);
            save.mutate(
              { key: settingKey, value: e.target.checked ? 'true' : 'false' },
              { onError: () => setDraft(current) },
            );
          }}
        />
        <label className="field__label" htmlFor={inputId}>
          {label}
        </label>
      </div>
      <SettingHelp id={helpId} setting={setting} help={help} saved={save.isSuccess} />
      <ErrorMessage error={save.error} context={`Could not save ${label}`} />
    </div>
  );
}
