import { ChangePassphrase } from './ChangePassphrase';
import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';
import { ToggleSetting } from './ToggleSetting';

/** The lock (automatic logoff), its passphrase and what notifications show. */
export function SecuritySection() {
  return (
    <SettingsSection title="Lock and notifications">
      <TextSetting
        settingKey="security.idle_lock_minutes"
        label="Lock after (minutes without input)"
        inputMode="numeric"
        help="CareDesk hides the desk and asks for the unlock passphrase after this many minutes without input. Ctrl+L locks at once."
      />
      <ToggleSetting
        settingKey="notifications.show_names"
        label="Name the patient in notifications"
        help="Off: notifications say only “New reply in CareDesk”. They can show on the OS lock screen and stay in its notification list. Never named while CareDesk is locked."
      />
      <ChangePassphrase />
    </SettingsSection>
  );
}
