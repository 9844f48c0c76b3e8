//! Each secret is bound to the server origins it was entered for, so that
//! pointing a setting at another host (from an unlocked desk, or a script
//! in the window) cannot make CareDesk hand the token to that host.
//!
//! - A secret is stored with the origin (scheme, host, port) of every
//!   setting that says where it goes.
//! - Changing one of those origins removes the secrets bound to it: the
//!   coordinator enters them again for the new server.
//! - A secret entered while its server was not yet set adopts the first
//!   origin set (the usual order: the secret, then the address, or the
//!   other way round).
//! - Before a secret is sent, its origins must equal the current ones; one
//!   that does not (the database edited by hand) is refused.
//! - A secret stored by a CareDesk older than the binding is bound to the
//!   origins in force when it is first used.

use crate::{
    desk::secrets::{Origins, Secret, SecretName},
    desk::setup_error::GatewayConfigError,
    desk::Desk,
    rules::error::{CoreError, Result},
};

/// The settings whose origin a secret goes to. The Azure client secret goes
/// to the authority, and the token it buys to the hospital SMS server.
pub fn bound_settings(name: SecretName) -> &'static [&'static str] {
    match name {
        SecretName::HisToken => &["his.base_url"],
        SecretName::HisClientSecret => &["his.base_url", "his.azure.authority"],
        SecretName::EcmToken => &["ecm.base_url"],
        SecretName::TeamPassword => &["team.database_url"],
        SecretName::FhirToken => &["fhir.base_url"],
        // The client secret goes to the token endpoint, and the token it buys to the FHIR server.
        SecretName::FhirClientSecret => &["fhir.base_url", "fhir.token_url"],
    }
}

/// The origin of a server setting's value: `https://host:port` (default
/// ports left out), with `{0}` of an authority standing for any tenant; for
/// the team database, `postgres://host:port` (its role and database aside).
pub fn origin_of(value: Option<&str>) -> Option<String> {
    let value = value?.trim().replace("{0}", "tenant");
    if let Ok(team) = crate::rules::team_url::TeamUrl::parse(&value) {
        return Some(team.origin());
    }
    let url = url::Url::parse(&value).ok()?;
    Some(url.origin().ascii_serialization())
}

fn current_origins(desk: &Desk, name: SecretName) -> Result<Origins> {
    let mut origins = Origins::new();
    for key in bound_settings(name) {
        origins.insert(key.to_string(), origin_of(desk.setting(key)?.as_deref()));
    }
    Ok(origins)
}

/// Stores `secret` bound to the servers its settings name now.
pub fn store(desk: &Desk, name: SecretName, secret: &Secret) -> Result<()> {
    let origins = current_origins(desk, name)?;
    Ok(desk.credentials().set_bound(name, secret, &origins)?)
}

/// The secret, if it is stored for the servers set now.
pub fn for_use(desk: &Desk, name: SecretName) -> Result<Option<Secret>> {
    let Some(bound) = desk.credentials().get_bound(name)? else {
        return Ok(None);
    };
    let now = current_origins(desk, name)?;
    match bound.origins {
        None => {
            desk.credentials().set_bound(name, &bound.secret, &now)?;
            tracing::info!(secret = %name, "a secret stored by an older CareDesk is now bound to its server");
            Ok(Some(bound.secret))
        }
        Some(origins) => {
            for key in bound_settings(name) {
                let was = origins.get(*key).cloned().flatten();
                if was != now.get(*key).cloned().flatten() {
                    tracing::warn!(secret = %name, setting = key, "a secret is refused: it was entered for another server");
                    return Err(CoreError::from(GatewayConfigError::SecretForOtherServer { name, setting: key }));
                }
            }
            Ok(Some(bound.secret))
        }
    }
}

/// After setting `key` changed from `old` to `new` (values in force,
/// defaults included): removes the secrets bound to its old origin, or
/// binds those entered while it was unset. Returns the removed ones.
pub fn after_change(desk: &Desk, key: &str, old: Option<&str>, new: Option<&str>) -> Result<Vec<SecretName>> {
    let (old, new) = (origin_of(old), origin_of(new));
    if old == new {
        return Ok(Vec::new());
    }
    let mut removed = Vec::new();
    for name in SecretName::ALL.into_iter().filter(|n| bound_settings(*n).contains(&key)) {
        let Some(bound) = desk.credentials().get_bound(name)? else { continue };
        let was = bound.origins.as_ref().and_then(|o| o.get(key).cloned().flatten());
        match (&old, was) {
            // Entered before the server was set: it is for this one.
            (None, None) => {
                let mut origins = bound.origins.unwrap_or_default();
                origins.insert(key.to_string(), new.clone());
                desk.credentials().set_bound(name, &bound.secret, &origins)?;
            }
            _ => {
                desk.credentials().delete(name)?;
                tracing::info!(secret = %name, setting = key, "the server changed: its secret was removed");
                removed.push(name);
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        desk::secrets,
        desk::{DeskOptions, KeyringChoice},
    };

    fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(DeskOptions {
            data_dir: Some(dir.path().into()),
            keyring: KeyringChoice::Given(secrets::memory_store()),
        })
        .unwrap();
        (dir, desk)
    }

    fn usable(desk: &Desk, name: SecretName) -> std::result::Result<Option<String>, String> {
        for_use(desk, name).map(|s| s.map(|s| s.expose().to_string())).map_err(|e| e.to_string())
    }

    #[test]
    fn origins_ignore_paths_and_default_ports() {
        assert_eq!(origin_of(Some("https://a.example/sms/")).as_deref(), Some("https://a.example"));
        assert_eq!(origin_of(Some("https://a.example:443/x")).as_deref(), Some("https://a.example"));
        assert_eq!(origin_of(Some("https://a.example:8443/")).as_deref(), Some("https://a.example:8443"));
        assert_eq!(
            origin_of(Some("https://login.microsoftonline.com/{0}")).as_deref(),
            Some("https://login.microsoftonline.com")
        );
        assert_eq!(origin_of(None), None);
        assert_eq!(
            origin_of(Some("postgresql://ana@DB.clinic.example/caredesk")).as_deref(),
            Some("postgres://db.clinic.example:5432")
        );
        assert_eq!(
            origin_of(Some("postgres://ben@db.clinic.example:5432/x")).as_deref(),
            Some("postgres://db.clinic.example:5432")
        );
        assert_ne!(
            origin_of(Some("postgres://ana@db.clinic.example/caredesk")),
            origin_of(Some("postgres://ana@evil.example/caredesk"))
        );
    }

    #[test]
    fn the_team_password_is_bound_to_the_team_database_server() {
        let (_d, desk) = desk();
        desk.set_setting("team.database_url", "postgres://ana@db.clinic.example/caredesk").unwrap();
        desk.set_credential(SecretName::TeamPassword, &Secret::new("pg-secret-1")).unwrap();
        // Another database or role on the same server keeps it.
        desk.set_setting("team.database_url", "postgres://ana@db.clinic.example/caredesk2").unwrap();
        assert_eq!(usable(&desk, SecretName::TeamPassword).unwrap().as_deref(), Some("pg-secret-1"));
        // Another server removes it.
        desk.set_setting("team.database_url", "postgres://ana@db.elsewhere.example/caredesk").unwrap();
        assert!(!desk.credentials().is_stored(SecretName::TeamPassword).unwrap());
    }

    #[test]
    fn pointing_a_server_elsewhere_removes_its_secret() {
        let (_d, desk) = desk();
        desk.set_setting("his.base_url", "https://sms.hospital.example/api/").unwrap();
        desk.set_credential(SecretName::HisToken, &Secret::new("his-secret-1")).unwrap();
        desk.set_credential(SecretName::EcmToken, &Secret::new("ecm-secret-1")).unwrap();
        // Another path on the same server keeps it.
        desk.set_setting("his.base_url", "https://sms.hospital.example/v2/").unwrap();
        assert_eq!(usable(&desk, SecretName::HisToken).unwrap().as_deref(), Some("his-secret-1"));
        // Another host removes it; the ECM token is untouched by it.
        desk.set_setting("his.base_url", "https://attacker.example/").unwrap();
        assert_eq!(usable(&desk, SecretName::HisToken).unwrap(), None);
        assert!(!desk.credentials().is_stored(SecretName::HisToken).unwrap());
        // ECM's token was entered while ecm.base_url was unset: the first
        // address set adopts it, the next one removes it.
        desk.set_setting("ecm.base_url", "https://ecm.clinic.example/").unwrap();
        assert_eq!(usable(&desk, SecretName::EcmToken).unwrap().as_deref(), Some("ecm-secret-1"));
        desk.unset_setting("ecm.base_url").unwrap();
        assert!(!desk.credentials().is_stored(SecretName::EcmToken).unwrap());
    }

    #[test]
    fn the_azure_secret_follows_the_authority_and_the_server() {
        let (_d, desk) = desk();
        desk.set_setting("his.base_url", "https://sms.hospital.example/").unwrap();
        desk.set_credential(SecretName::HisClientSecret, &Secret::new("azure-secret")).unwrap();
        desk.set_setting("his.azure.authority", "https://login.microsoftonline.com/{0}/v2.0").unwrap();
        assert!(desk.credentials().is_stored(SecretName::HisClientSecret).unwrap(), "same origin as the default");
        desk.set_setting("his.azure.authority", "https://login.evil.example/{0}").unwrap();
        assert!(!desk.credentials().is_stored(SecretName::HisClientSecret).unwrap());
    }

    #[test]
    fn a_secret_bound_elsewhere_is_refused_before_it_is_sent() {
        let (_d, desk) = desk();
        desk.set_setting("his.base_url", "https://sms.hospital.example/").unwrap();
        desk.set_credential(SecretName::HisToken, &Secret::new("his-secret-1")).unwrap();
        // The settings table changed behind the desk's back.
        desk.db().set_setting("his.base_url", "https://attacker.example/").unwrap();
        let e = usable(&desk, SecretName::HisToken).unwrap_err();
        assert!(e.contains("his-token") && e.contains("his.base_url") && !e.contains("his-secret-1"), "{e}");
    }

    #[test]
    fn an_older_unbound_secret_is_bound_on_first_use_and_set_alone_binds_to_nothing() {
        let (_d, desk) = desk();
        desk.set_setting("his.base_url", "https://sms.hospital.example/").unwrap();
        desk.credentials().set_legacy(SecretName::HisToken, "legacy").unwrap();
        assert_eq!(usable(&desk, SecretName::HisToken).unwrap().as_deref(), Some("legacy"));
        desk.set_setting("his.base_url", "https://attacker.example/").unwrap();
        assert!(!desk.credentials().is_stored(SecretName::HisToken).unwrap(), "bound at first use");
        desk.credentials().set(SecretName::HisToken, &Secret::new("t")).unwrap();
        assert!(usable(&desk, SecretName::HisToken).is_err());
    }
}
