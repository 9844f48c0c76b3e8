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
        placeholder="Empty: your Downloads folder"
        help="The folder, as a full path, where the activity log's CSV exports are saved. Leave empty for your Downloads folder."
      />
    </SettingsSection>
  );
}
