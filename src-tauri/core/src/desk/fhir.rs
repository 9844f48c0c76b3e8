//! The FHIR server's settings on a desk: `fhir.base_url` and its sign-in
//! (`fhir-token`, or `fhir.token_url`, `fhir.client_id`, `fhir.scope`,
//! `fhir.audience` and `fhir-client-secret`), each secret bound to the
//! servers it was entered for, turned into the [`FhirConfig`] the client
//! needs; and the roster options the FHIR file import and the server sync
//! share. With `fhir.base_url` unset nothing connects.

use url::Url;

use crate::{
    desk::{secrets::SecretName, setup_error::GatewayConfigError, Desk},
    gateways::{
        fhir::{FhirAuth, FhirConfig},
        oauth::ClientCredentials,
    },
    rules::{error::CoreError, error::Result, fhir::roster::RosterOptions},
};

/// The setting that switches the FHIR server link on.
pub const BASE_URL: &str = "fhir.base_url";

fn url_setting(desk: &Desk, key: &'static str) -> Result<Option<Url>> {
    desk.setting(key)?
        .map(|v| {
            Url::parse(&v)
                .map_err(|e| CoreError::from(GatewayConfigError::Invalid(format!("{key} {v:?} is not a URL: {e}"))))
        })
        .transpose()
}

fn secret(desk: &Desk, name: SecretName) -> Result<crate::rules::secret::Secret> {
    Ok(crate::desk::credential_origins::for_use(desk, name)?.ok_or(GatewayConfigError::MissingSecret(name))?)
}

impl Desk {
    /// How this desk reads a FHIR roster (a file or the server).
    pub fn roster_options(&self) -> Result<RosterOptions> {
        Ok(RosterOptions {
            region: self.region(),
            ecm_identifier_system: self.setting("fhir.ecm_identifier_system")?,
            use_phone_numbers: self.setting("fhir.use_phone_numbers")?.as_deref() == Some("true"),
            now: chrono::Utc::now(),
        })
    }

    /// Whether the FHIR server link is on (`fhir.base_url` is set).
    pub fn fhir_enabled(&self) -> Result<bool> {
        Ok(self.setting(BASE_URL)?.is_some())
    }

    /// How this desk connects to the FHIR server: `None` when `fhir.base_url`
    /// is unset. A missing setting or secret, or a secret entered for
    /// another server, is an error that names it.
    pub fn fhir_config(&self) -> Result<Option<FhirConfig>> {
        let Some(base_url) = url_setting(self, BASE_URL)? else {
            return Ok(None);
        };
        let auth = match self.setting("fhir.auth")?.as_deref() {
            Some("client_credentials") => {
                let token_url =
                    url_setting(self, "fhir.token_url")?.ok_or(GatewayConfigError::MissingSetting("fhir.token_url"))?;
                let client_id =
                    self.setting("fhir.client_id")?.ok_or(GatewayConfigError::MissingSetting("fhir.client_id"))?;
                let scopes = self
                    .setting("fhir.scope")?
                    .map(|s| s.split_whitespace().map(String::from).collect())
                    .unwrap_or_default();
                let extra =
                    self.setting("fhir.audience")?.map(|a| vec![("audience".to_string(), a)]).unwrap_or_default();
                FhirAuth::ClientCredentials(ClientCredentials {
                    token_url,
                    client_id,
                    client_secret: secret(self, SecretName::FhirClientSecret)?,
                    scopes,
                    extra,
                })
            }
            _ => FhirAuth::Bearer(secret(self, SecretName::FhirToken)?),
        };
        Ok(Some(FhirConfig { base_url, auth }))
    }

    /// `fhir.page_size`: resources per page (`_count`).
    pub fn fhir_page_size(&self) -> Result<u32> {
        Ok(self.setting("fhir.page_size")?.and_then(|v| v.parse().ok()).unwrap_or(100))
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        desk::secrets::{self, Secret, SecretName},
        desk::{Desk, DeskOptions, KeyringChoice},
        gateways::fhir::FhirAuth,
        rules::error::ErrorCode,
    };

    fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let options =
            DeskOptions { data_dir: Some(dir.path().into()), keyring: KeyringChoice::Given(secrets::memory_store()) };
        (dir, Desk::open(options).unwrap())
    }

    #[test]
    fn unset_means_nothing_to_connect_to() {
        let (_d, desk) = desk();
        assert!(!desk.fhir_enabled().unwrap());
        assert!(desk.fhir_config().unwrap().is_none());
    }

    #[test]
    fn bearer_needs_the_token_bound_to_the_server() {
        let (_d, desk) = desk();
        desk.set_setting("fhir.base_url", "https://fhir.clinic.example/r4").unwrap();
        let e = desk.fhir_config().unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotConfigured, "{e}");
        assert!(e.to_string().contains("credentials set fhir-token"), "{e}");
        desk.set_credential(SecretName::FhirToken, &Secret::new("tok")).unwrap();
        let config = desk.fhir_config().unwrap().unwrap();
        assert!(matches!(&config.auth, FhirAuth::Bearer(t) if t.expose() == "tok"));
        // Another server: the token entered for the first one is removed, never sent there.
        desk.set_setting("fhir.base_url", "https://other.example/r4").unwrap();
        assert!(desk.fhir_config().unwrap_err().to_string().contains("fhir-token"));
    }

    #[test]
    fn client_credentials_need_their_settings_and_secret() {
        let (_d, desk) = desk();
        desk.set_setting("fhir.base_url", "https://fhir.clinic.example/r4").unwrap();
        desk.set_setting("fhir.auth", "client_credentials").unwrap();
        assert!(desk.fhir_config().unwrap_err().to_string().contains("fhir.token_url"));
        desk.set_setting("fhir.token_url", "https://auth.example/oauth/token").unwrap();
        assert!(desk.fhir_config().unwrap_err().to_string().contains("fhir.client_id"));
        desk.set_setting("fhir.client_id", "caredesk").unwrap();
        assert!(desk.fhir_config().unwrap_err().to_string().contains("fhir-client-secret"));
        desk.set_credential(SecretName::FhirClientSecret, &Secret::new("s3")).unwrap();
        desk.set_setting("fhir.scope", "system/*.read system/Communication.write").unwrap();
        desk.set_setting("fhir.audience", "https://api.example").unwrap();
        let FhirAuth::ClientCredentials(c) = desk.fhir_config().unwrap().unwrap().auth else {
            panic!("client credentials")
        };
        assert_eq!((c.client_id.as_str(), c.client_secret.expose()), ("caredesk", "s3"));
        assert_eq!(c.scopes, ["system/*.read", "system/Communication.write"]);
        assert_eq!(c.extra, [("audience".to_string(), "https://api.example".to_string())]);
        // The secret went with the token endpoint it was entered for.
        desk.set_setting("fhir.token_url", "https://other-auth.example/token").unwrap();
        assert!(desk.fhir_config().unwrap_err().to_string().contains("fhir-client-secret"));
    }

    #[test]
    fn roster_options_follow_the_settings() {
        let (_d, desk) = desk();
        let o = desk.roster_options().unwrap();
        assert!(!o.use_phone_numbers && o.ecm_identifier_system.is_none());
        desk.set_setting("fhir.use_phone_numbers", "yes").unwrap();
        desk.set_setting("fhir.ecm_identifier_system", "urn:caredesk:ecm-patient-id").unwrap();
        let o = desk.roster_options().unwrap();
        assert!(o.use_phone_numbers);
        assert_eq!(o.ecm_identifier_system.as_deref(), Some("urn:caredesk:ecm-patient-id"));
    }
}
