//! The keyring the bench keeps the database key in: the OS keyring (Secret
//! Service) when one answers, else keyring-core's in-memory mock store, said
//! on stderr. Either way the key is read back through the keyring API when
//! the desk opens, as in the app.

use std::sync::Arc;

use caredesk_core::desk::secrets::{self, Credentials, Secret, KEYRING_SERVICE};
use keyring_core::CredentialStore;

pub struct Keyring {
    pub store: Arc<CredentialStore>,
    /// `true`: the OS keyring; `false`: the in-memory mock.
    pub platform: bool,
}

/// Whether the platform store works: write, read back and delete a probe.
fn probe(store: &Arc<CredentialStore>) -> Result<(), String> {
    let entry = store.build(KEYRING_SERVICE, "bench-probe@caredesk-bench", None).map_err(|e| e.to_string())?;
    entry.set_password("probe").map_err(|e| e.to_string())?;
    let back = entry.get_password().map_err(|e| e.to_string())?;
    let _ = entry.delete_credential();
    if back == "probe" {
        Ok(())
    } else {
        Err("the keyring returned another value".into())
    }
}

/// The OS keyring if it works; else the mock (`require_platform` makes that
/// an error: the app can only read the OS keyring).
pub fn open(require_platform: bool) -> Result<Keyring, String> {
    let platform = secrets::platform_store().map_err(|e| e.to_string()).and_then(|s| probe(&s).map(|_| s));
    match platform {
        Ok(store) => Ok(Keyring { store, platform: true }),
        Err(e) if require_platform => Err(format!("no usable OS keyring: {e}")),
        Err(e) => {
            eprintln!(
                "  note: no usable OS keyring ({e}); the database key is kept in keyring-core's in-memory mock \
                 store for this run (run under tests/support/with-keyring.sh for the Secret Service)"
            );
            Ok(Keyring { store: secrets::memory_store(), platform: false })
        }
    }
}

/// Stores `key` as the database key of data directory instance `instance`,
/// where `Desk::open` looks for it.
pub fn put_database_key(k: &Keyring, instance: &str, key: &Secret) -> Result<(), String> {
    let creds = Credentials::new(k.store.clone(), instance);
    let entry = k.store.build(KEYRING_SERVICE, &creds.account("database-key"), None).map_err(|e| e.to_string())?;
    entry.set_password(key.expose()).map_err(|e| e.to_string())?;
    match creds.database_key() {
        Ok(Some(back)) if back.expose() == key.expose() => Ok(()),
        Ok(_) => Err("the desk does not find the database key where the bench stored it".into()),
        Err(e) => Err(e.to_string()),
    }
}
