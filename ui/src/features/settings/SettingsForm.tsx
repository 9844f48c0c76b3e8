import { useId } from 'react';
import { ErrorMessage } from '../../shared/ErrorMessage';
import { useSettings } from './queries';
import { SettingField } from './SettingField';

export function SettingsForm() {
  const settings = useSettings();
  const titleId = useId();
  return (
    <section className="settings-section" aria-labelledby={titleId}>
      <h3 id={titleId} className="settings-section__title">
        General
      </h3>
      <ErrorMessage error={settings.error} context="Could not load settings" />
      {settings.isPending ? <p className="muted">Loading settings…</p> : null}
      {settings.data?.length === 0 ? <p className="muted">No settings available.</p> : null}
      {settings.data?.map((setting) => (
        <SettingField key={setting.key} setting={setting} />
      ))}
    </section>
  );
}
