//! The credential store against a real Secret Service (gnome-keyring inside
//! `dbus-run-session`, set up by tests/support/with-keyring.sh).

use caredesk_core::desk::secrets::{platform_store, Credentials, Secret, SecretName};
use caredesk_tests::require_keyring;

fn creds(instance: &str) -> Credentials {
    require_keyring();
    Credentials::new(
        platform_store().expect("the Secret Service is reachable"),
        format!("{instance}-{}", std::process::id()),
    )
}

#[test]
fn every_secret_round_trips_through_the_secret_service() {
    let c = creds("roundtrip");
    for (i, name) in SecretName::ALL.into_iter().enumerate() {
        assert!(c.get(name).unwrap().is_none(), "{name} starts empty");
        let value = format!("value-{i}-ünïcødé-🔑");
        c.set(name, &Secret::new(value.clone())).unwrap();
        assert_eq!(c.get(name).unwrap().unwrap().expose(), value);
    }
    c.set(SecretName::EcmToken, &Secret::new("replaced")).unwrap();
    assert_eq!(c.get(SecretName::EcmToken).unwrap().unwrap().expose(), "replaced");
    for name in SecretName::ALL {
        assert!(c.delete(name).unwrap());
        assert!(c.get(name).unwrap().is_none());
        assert!(!c.delete(name).unwrap(), "deleting twice is not an error");
    }
}

#[test]
fn data_directories_do_not_share_secrets_or_keys() {
    let a = creds("dir-a");
    let b = creds("dir-b");
    a.set(SecretName::HisToken, &Secret::new("token-a")).unwrap();
    assert!(b.get(SecretName::HisToken).unwrap().is_none());
    let ka = a.create_database_key().unwrap();
    let kb = b.create_database_key().unwrap();
    assert_ne!(ka.expose(), kb.expose());
    assert_eq!(a.database_key().unwrap().unwrap().expose(), ka.expose());
    a.delete(SecretName::HisToken).unwrap();
}

#[test]
fn a_fresh_store_reads_what_another_connection_wrote() {
    let a = creds("persist");
    a.set(SecretName::HisClientSecret, &Secret::new("azure-secret")).unwrap();
    let instance = a.account("x").trim_start_matches("x@").to_string();
    let b = Credentials::new(platform_store().unwrap(), instance);
    assert_eq!(b.get(SecretName::HisClientSecret).unwrap().unwrap().expose(), "azure-secret");
    b.delete(SecretName::HisClientSecret).unwrap();
}
