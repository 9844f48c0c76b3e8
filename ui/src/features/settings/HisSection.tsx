import { ChoiceSetting } from './ChoiceSetting';
import { CheckConnection } from './CheckConnection';
import { effectiveValue, useSetting } from './queries';
import { SenderNumberField } from './SenderNumberField';
import { ServerSecret } from './ServerSecret';
import { SettingsSection } from './SettingsSection';
import { TextSetting } from './TextSetting';

const AUTH_CHOICES = [
  { value: 'bearer', label: 'Bearer token' },
  { value: 'azure', label: 'Azure AD (client credentials)' },
];

/**
 * The hospital SMS server (spec 003): address, authorization with its secret, sender number,
 * its time zone and listing delay, check.
 */
export function HisSection() {
  const azure = effectiveValue(useSetting('his.auth')) === 'azure';
  // What CareDesk estimated about the server's zone and clock (null until it has seen enough).
  const zoneNote = useSetting('his.time_zone')?.note ?? null;
  return (
    <SettingsSection title="Hospital SMS server" intro="Sends texts and brings in patients' replies.">
      <TextSetting
        settingKey="his.base_url"
        label="Hospital SMS server address"
        type="url"
        placeholder="https://smsserver.example/"
      />
      <ChoiceSetting
        settingKey="his.auth"
        label="Authorization"
        options={AUTH_CHOICES}
        help="How CareDesk proves who it is: a bearer token, or Azure AD with a client id and secret."
      />
      {azure ? (
        <fieldset className="settings-group" data-testid="azure-fields">
          <legend className="settings-group__legend">Azure AD</legend>
          <TextSetting settingKey="his.azure.tenant" label="Tenant id" />
          <TextSetting settingKey="his.azure.client_id" label="Client id" />
          <TextSetting settingKey="his.azure.scope" label="Scope" />
          <TextSetting settingKey="his.azure.authority" label="Authority" type="url" />
          <ServerSecret name="his-client-secret" />
        </fieldset>
      ) : (
        <ServerSecret name="his-token" />
      )}
      <SenderNumberField />
      <TextSetting
        settingKey="his.time_zone"
        label="Server time zone"
        placeholder="Estimated"
        help={zoneNote ? `Estimated: ${zoneNote}` : undefined}
      />
      <TextSetting
        settingKey="his.outgoing_lag_secs"
        label="Listing delay (seconds)"
        inputMode="numeric"
        help="How long the server may take to list a text it has taken. A text that may have gone is checked only after this, before any new attempt."
      />
      <CheckConnection service="his" />
    </SettingsSection>
  );
}
