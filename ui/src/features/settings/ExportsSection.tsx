import { useSetting } from './queries';
import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';

export function ExportsSection() {
  const known = useSetting('export.dir') !== undefined;
  if (!known) return null;
  return (
    <SettingsSection title="Exports">
      <TextSetting
        settingKey="export.dir"
        label="Export folder"
        placeholder="Full path of a folder"
        help="Where the activity log's CSV exports are saved."
      />
    </SettingsSection>
  );
}
