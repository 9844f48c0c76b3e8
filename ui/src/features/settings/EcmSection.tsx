import { CheckConnection } from './CheckConnection';
import { ServerSecret } from './ServerSecret';
import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';

/** The clinic's ECM Communications API (spec 004): texts and calls through Twilio. */
export function EcmSection() {
  return (
    <SettingsSection
      title="ECM"
      intro="The clinic's ECM Communications API: texts and calls, recorded as ECM activities."
    >
      <TextSetting settingKey="ecm.base_url" label="ECM address" type="url" placeholder="https://ecm.example/" />
      <ServerSecret name="ecm-token" />
      <CheckConnection service="ecm" />
    </SettingsSection>
  );
}
