import { useEffect, useId, useState } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { effectiveValue, useSaveSetting, useSetting } from './queries';

export interface RadioChoice {
  value: string;
  label: string;
  explanation: string;
}

interface Props {
  settingKey: string;
  legend: string;
  options: RadioChoice[];
}

/** A setting whose choices each need a sentence of explanation; a choice is saved at once. */
export function RadioSetting({ settingKey, legend, options }: Props) {
  const setting = useSetting(settingKey);
  const name = useId();
  const current = effectiveValue(setting) ?? '';
  const [draft, setDraft] = useState(current);
  const save = useSaveSetting();

  useEffect(() => setDraft(current), [current]);

  if (!setting) return null;

  return (
    <fieldset className="setting setting__radios">
      <legend className="field__label">{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="setting__radio">
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={draft === o.value}
            disabled={save.isPending}
            aria-labelledby={`${name}-${o.value}-label`}
            aria-describedby={`${name}-${o.value}-help`}
            onChange={() => {
              setDraft(o.value);
              save.mutate({ key: settingKey, value: o.value }, { onError: () => setDraft(current) });
            }}
          />
          <span>
            <span id={`${name}-${o.value}-label`} className="setting__radio-label">
              {o.label}
            </span>
            <span id={`${name}-${o.value}-help`} className="field__help setting__radio-help">
              {o.explanation}
            </span>
          </span>
        </label>
      ))}
      <p className="field__help">
        <span className="setting__key mono">{settingKey}</span>
        {save.isSuccess ? <span className="setting__saved"> Saved.</span> : null}
      </p>
      <ErrorMessage error={save.error} context={`Could not save ${legend}`} />
    </fieldset>
  );
}
