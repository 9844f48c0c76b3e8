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
        placeholder="Empty: ask where to save"
        help="The folder, as a full path, where the activity log's CSV exports are saved. Leave empty to choose the place in a Save dialog each time."
      />
      <TextSetting
        settingKey="clinic.time_zone"
        label="Clinic time zone"
        placeholder="This computer's time zone"
        help="An IANA name like America/Los_Angeles. The activity log's days, its date filter and the local times in the CSV export follow it."
      />
    </SettingsSection>
  );
}
