import { ErrorMessage } from '../../shared/ErrorMessage';
import { useNow } from '../../shared/useNow';
import { ChoiceSetting } from '../settings/ChoiceSetting';
import { effectiveValue, useSetting } from '../settings/queries';
import { ServerSecret } from '../settings/ServerSecret';
import { SettingsSection } from '../settings/SettingsSection';
import { TextSetting } from '../settings/TextSetting';
import { ToggleSetting } from '../settings/ToggleSetting';
import { FhirCheckResult } from './FhirCheckResult';
import { FhirLinkState } from './FhirLinkState';
import { useFhirCheck, useFhirConfigured, useFhirPull, useFhirStatus } from './queries';
import './fhir.css';

const AUTH_CHOICES = [
  { value: 'bearer', label: 'Bearer token' },
  { value: 'client_credentials', label: 'OAuth2 client credentials' },
];

/** Check connection: the CapabilityStatement against what CareDesk needs. */
function FhirCheck() {
  const check = useFhirCheck();
  return (
    <div className="check-connection">
      <button
        type="button"
        className="button"
        aria-label="Check connection to the FHIR server"
        disabled={check.isPending}
        onClick={() => check.mutate()}
      >
        {check.isPending ? 'Checking…' : 'Check connection'}
      </button>
      <div aria-live="polite" className="check-connection__result">
        {check.data && !check.isPending ? <FhirCheckResult check={check.data} /> : null}
      </div>
      <ErrorMessage error={check.error} context="Connection failed" />
    </div>
  );
}

/** The link's state with Pull now and Full pull (the engine pulls; progress comes by events). */
function FhirPull() {
  const status = useFhirStatus(true);
  const pull = useFhirPull();
  const now = useNow(5_000);
  const pulling = status.data?.pulling != null;
  return (
    <div className="fhir-pull">
      <div className="fhir-pull__buttons">
        <button
          type="button"
          className="button"
          disabled={pull.isPending || pulling}
          onClick={() => pull.mutate(false)}
        >
          {pulling ? 'Pulling…' : 'Pull now'}
        </button>
        <button
          type="button"
          className="button button--ghost"
          disabled={pull.isPending || pulling}
          onClick={() => pull.mutate(true)}
          title="Reads every patient again, and finds those deleted on the server"
        >
          Full pull
        </button>
      </div>
      <ErrorMessage error={pull.error} context="Could not start a pull" />
      <ErrorMessage error={status.error} context="Could not read the FHIR link's state" />
      {status.data ? <FhirLinkState view={status.data} now={now} /> : null}
    </div>
  );
}

/**
 * The clinic's FHIR server (specs 000 and 001): the roster comes from it, and every text and
 * call is recorded there as a Communication in the patient's Encounter.
 */
export function FhirSection() {
  const clientCredentials = effectiveValue(useSetting('fhir.auth')) === 'client_credentials';
  const configured = useFhirConfigured();
  return (
    <SettingsSection
      title="FHIR server"
      intro="The clinic's FHIR R4 server: patients and their numbers come from it, and every text and call is recorded there."
    >
      <TextSetting
        settingKey="fhir.base_url"
        label="FHIR server address"
        type="url"
        placeholder="https://fhir.clinic.example/r4"
        help="Its CapabilityStatement is at /metadata under it. HTTPS is required, except on this computer."
      />
      <ChoiceSetting settingKey="fhir.auth" label="FHIR authorization" options={AUTH_CHOICES} />
      {clientCredentials ? (
        <fieldset className="settings-group" data-testid="fhir-client-credentials">
          <legend className="settings-group__legend">OAuth2 client credentials</legend>
          <TextSetting settingKey="fhir.token_url" label="Token endpoint" type="url" />
          <TextSetting settingKey="fhir.client_id" label="Client id" />
          <TextSetting settingKey="fhir.scope" label="Scope" />
          <TextSetting settingKey="fhir.audience" label="Audience" />
          <ServerSecret name="fhir-client-secret" />
        </fieldset>
      ) : (
        <ServerSecret name="fhir-token" />
      )}
      <TextSetting
        settingKey="fhir.ecm_identifier_system"
        label="ECM patient id system"
        placeholder="urn:caredesk:ecm-patient-id"
        help="The Patient.identifier system whose value is the ECM patient id."
      />
      <ToggleSetting settingKey="fhir.use_phone_numbers" label="Also text numbers marked phone (not only sms)" />
      <TextSetting settingKey="fhir.pull_interval_secs" label="Pull every (seconds)" inputMode="numeric" />
      <TextSetting settingKey="fhir.page_size" label="Resources per page" inputMode="numeric" />
      {configured ? (
        <>
          <FhirCheck />
          <FhirPull />
        </>
      ) : (
        <p className="muted" data-testid="fhir-not-configured">
          Not connected: fill in the address to pull the roster and record texts there.
        </p>
      )}
    </SettingsSection>
  );
}
