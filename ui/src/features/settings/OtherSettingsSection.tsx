import { useSettings } from './queries';
import { SettingField } from './SettingField';
import { PLACED_SETTING_KEYS } from './settingKeys';
import { SettingsSection } from './SettingsSection';

/** Settings this version of the dialog has no place for yet, by key (so none is out of reach). */
export function OtherSettingsSection() {
  const others = useSettings().data?.filter((s) => !PLACED_SETTING_KEYS.includes(s.key)) ?? [];
  if (others.length === 0) return null;
  return (
    <SettingsSection title="Other settings">
      {others.map((setting) => (
        <SettingField key={setting.key} setting={setting} />
      ))}
    </SettingsSection>
  );
}
