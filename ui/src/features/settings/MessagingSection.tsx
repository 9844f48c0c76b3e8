import { ChoiceSetting } from './ChoiceSetting';
import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';
import { ToggleSetting } from './ToggleSetting';

const ROUTES = [
  { value: 'his', label: 'Hospital SMS server' },
  { value: 'ecm', label: 'ECM' },
];

export function MessagingSection() {
  return (
    <SettingsSection title="Messaging">
      <ChoiceSetting
        settingKey="sms.via"
        label="Default route for texts"
        options={ROUTES}
        help="Which server sends a text unless you pick another one when sending."
      />
      <ToggleSetting
        settingKey="sms.test_mode"
        label="Test mode"
        help="Nothing goes to the real servers: texts are recorded, marked as test and answered by the sandbox. A red strip at the bottom of the window shows while it is on."
      />
      <TextSetting
        settingKey="sms.undo_seconds"
        label="Undo delay after Send (seconds)"
        inputMode="numeric"
        help="A text waits this long as “Sending in 5 s · Undo” before it goes, so it can be taken back. 0 sends at once, with no Undo. At most 60."
      />
      <TextSetting
        settingKey="sms.override_number"
        label="Override number"
        type="tel"
        placeholder="Empty: texts go to patients"
        help="For testing: every outgoing text goes to this number instead of the patient. Leave empty for normal use."
      />
      <TextSetting settingKey="sync.interval_secs" label="Check for replies every (seconds)" inputMode="numeric" />
      <TextSetting
        settingKey="sms.rate_per_sec"
        label="Most texts per second"
        inputMode="decimal"
        help="Per sender number; carriers may throttle above 1 to 3 a second. 0 means no limit."
      />
      <TextSetting settingKey="http.timeout_secs" label="Server timeout (seconds)" inputMode="numeric" />
    </SettingsSection>
  );
}
