//! What the desk's audit entries record, and that each commits with the
//! change it records.

use super::*;

fn open(dir: &Path) -> Desk {
    Desk::open(DeskOptions {
        data_dir: Some(dir.to_path_buf()),
        keyring: KeyringChoice::Given(secrets::memory_store()),
    })
    .unwrap()
}

/// Makes every audit entry fail to be written, as a full disk would.
fn break_audit_log(desk: &Desk) {
    desk.db()
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
}

#[test]
fn a_rename_is_recorded_under_the_old_name_with_the_os_user_and_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    desk.set_setting("user.name", "Dana Coordinator").unwrap();
    desk.set_setting("user.name", "Mallory").unwrap();
    desk.set_setting("sms.via", "ecm").unwrap();
    desk.unset_setting("sms.via").unwrap();
    let log = desk.db().audit_entries(10).unwrap();
    let os_user = config::os_user_name();
    let instance = paths::instance_id(dir.path()).unwrap();
    let seen: Vec<(&str, &str, &str)> =
        log.iter().map(|e| (e.actor.as_str(), e.action.as_str(), e.detail.as_str())).collect();
    assert_eq!(
        seen,
        [
            (os_user.as_str(), "config.set", "user.name: (not set) → Dana Coordinator"),
            ("Dana Coordinator", "config.set", "user.name: Dana Coordinator → Mallory"),
            ("Mallory", "config.set", "sms.via: (not set) → ecm"),
            ("Mallory", "config.unset", "sms.via: ecm → (not set)"),
        ]
    );
    assert!(log.iter().all(|e| e.os_user == os_user && e.profile == instance), "{log:?}");
}

#[test]
fn a_setting_is_not_changed_when_its_audit_entry_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    desk.set_setting("sms.via", "his").unwrap();
    break_audit_log(&desk);
    assert!(desk.set_setting("sms.via", "ecm").is_err());
    assert!(desk.unset_setting("sms.via").is_err());
    assert_eq!(desk.db().setting("sms.via").unwrap().as_deref(), Some("his"));
}

#[test]
fn a_secret_is_not_stored_when_its_audit_entry_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    break_audit_log(&desk);
    assert!(desk.set_credential(SecretName::EcmToken, &Secret::new("tok")).is_err());
    assert!(!desk.credentials().is_stored(SecretName::EcmToken).unwrap());
}

#[test]
fn an_import_and_the_demo_roster_store_nothing_when_their_audit_entry_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = open(dir.path());
    break_audit_log(&desk);
    let csv = "name,phone\nZebulon Quixotic,+18055550142\n";
    assert!(desk.import_patients("r.csv", csv, &mut |_| {}).is_err());
    assert!(desk.seed_demo_roster().is_err());
    assert_eq!(desk.db().patient_count().unwrap(), 0);
}

#[test]
fn a_consent_change_is_not_kept_when_its_audit_entry_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    break_audit_log(&desk);
    assert!(desk.db().set_consent("+18055550100", false, "keyword", None, "system", "STOP").is_err());
    assert!(!desk.db().is_opted_out("+18055550100").unwrap());
    let logged: i64 = desk.db().conn().query_row("SELECT count(*) FROM consent_log", [], |r| r.get(0)).unwrap();
    assert_eq!(logged, 0);
}

#[test]
fn the_audit_key_is_created_once_and_a_lost_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = secrets::memory_store();
    let opts = || DeskOptions { data_dir: Some(dir.path().into()), keyring: KeyringChoice::Given(store.clone()) };
    let desk = Desk::open(opts()).unwrap();
    desk.set_setting("sms.via", "ecm").unwrap();
    let key = desk.credentials().audit_key().unwrap().expect("created at the first open");
    drop(desk);
    let again = Desk::open(opts()).unwrap();
    assert_eq!(again.credentials().audit_key().unwrap().unwrap().expose(), key.expose(), "not created again");
    assert_eq!(again.db().verify_audit().unwrap().problem, None);
    store
        .build(secrets::KEYRING_SERVICE, &again.credentials().account("audit-key"), None)
        .unwrap()
        .delete_credential()
        .unwrap();
    drop(again);
    let err = Desk::open(opts()).unwrap_err();
    assert!(matches!(err.downcast_ref(), Some(StoreError::AuditKeyMissing)), "{err}");
}
