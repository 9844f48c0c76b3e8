import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';

export function YouSection() {
  return (
    <SettingsSection title="You">
      <TextSetting
        settingKey="user.name"
        label="Your name"
        help="Shown as who sent texts and placed calls, and in the audit log."
      />
      <TextSetting
        settingKey="user.ecm_user_id"
        label="Your ECM user id"
        inputMode="numeric"
        help="Recorded as the performer of every ECM activity."
      />
      <TextSetting
        settingKey="phone.default_region"
        label="Phone region"
        help="Country for numbers written without a country code, as a two-letter code such as US."
      />
    </SettingsSection>
  );
}
