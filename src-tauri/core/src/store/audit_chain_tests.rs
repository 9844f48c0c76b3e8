//! The HMAC chain: a clean log verifies; a changed, removed, reordered or
//! unsigned entry is named; older entries are signed once at the upgrade.

use super::{attach_test_audit, test_db, AuditProblem, Database};
use crate::rules::secret::Secret;

/// A log of `n` entries, with its triggers dropped as an attacker with the
/// database key would.
fn log_of(n: usize) -> (tempfile::TempDir, Database) {
    let (dir, db) = test_db();
    for i in 1..=n {
        db.audit("ana", "config.set", Some(i as i64), &format!("entry {i}")).unwrap();
    }
    db.conn().execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").unwrap();
    (dir, db)
}

fn problem(db: &Database) -> Option<AuditProblem> {
    db.verify_audit().unwrap().problem
}

/// Swaps every column but the id of two entries.
fn swap(db: &Database, a: i64, b: i64) {
    db.conn()
        .execute_batch(&format!(
            "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE id IN ({a}, {b});
             UPDATE audit_log SET (at, actor, action, patient_id, detail, os_user, profile, mac) =
               (SELECT at, actor, action, patient_id, detail, os_user, profile, mac FROM t
                 WHERE t.id = CASE audit_log.id WHEN {a} THEN {b} ELSE {a} END)
              WHERE id IN ({a}, {b});
             DROP TABLE t;"
        ))
        .unwrap();
}

#[test]
fn an_untouched_log_verifies_with_its_count() {
    let (_d, db) = log_of(5);
    assert_eq!(db.verify_audit().unwrap(), super::AuditVerification { entries: 5, problem: None });
    let (_d, empty) = test_db();
    assert_eq!(empty.verify_audit().unwrap(), super::AuditVerification { entries: 0, problem: None });
}

/// What an attacker does to the database.
type Tamper = dyn Fn(&Database);

#[test]
fn tampering_is_named_at_the_first_bad_entry() {
    let cases: &[(&str, &Tamper, AuditProblem)] = &[
        (
            "edit",
            &|db| {
                db.conn().execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3", []).unwrap();
            },
            AuditProblem::Changed { id: 3 },
        ),
        (
            "edit the patient",
            &|db| {
                db.conn().execute("UPDATE audit_log SET patient_id = NULL WHERE id = 2", []).unwrap();
            },
            AuditProblem::Changed { id: 2 },
        ),
        (
            "delete",
            &|db| {
                db.conn().execute("DELETE FROM audit_log WHERE id = 3", []).unwrap();
            },
            AuditProblem::Removed { id: 3 },
        ),
        (
            "delete the first",
            &|db| {
                db.conn().execute("DELETE FROM audit_log WHERE id = 1", []).unwrap();
            },
            AuditProblem::Removed { id: 1 },
        ),
        (
            "delete the last",
            &|db| {
                db.conn().execute("DELETE FROM audit_log WHERE id = 5", []).unwrap();
            },
            AuditProblem::RemovedAtEnd { id: 5, last: 5 },
        ),
        ("swap", &|db| swap(db, 2, 4), AuditProblem::Reordered { id: 2, was: 4 }),
        ("swap neighbours", &|db| swap(db, 3, 4), AuditProblem::Reordered { id: 3, was: 4 }),
        (
            "renumber",
            &|db| {
                db.conn()
                    .execute_batch(
                        "UPDATE audit_log SET id = 100 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 4;
                                     UPDATE audit_log SET id = 4 WHERE id = 100;",
                    )
                    .unwrap();
            },
            AuditProblem::Reordered { id: 2, was: 4 },
        ),
        (
            "insert unsigned",
            &|db| {
                db.conn()
                    .execute("INSERT INTO audit_log (at, actor, action, detail) VALUES ('x', 'm', 'a', 'd')", [])
                    .unwrap();
            },
            AuditProblem::Unsigned { id: 6 },
        ),
        (
            "forge a MAC",
            &|db| {
                db.conn()
                    .execute("UPDATE audit_log SET mac = zeroblob(32), detail = 'forged' WHERE id = 4", [])
                    .unwrap();
            },
            AuditProblem::Changed { id: 4 },
        ),
        (
            "move the head back",
            &|db| {
                db.conn().execute("UPDATE audit_chain SET last_id = 4", []).unwrap();
            },
            AuditProblem::HeadChanged,
        ),
        (
            "delete the last and the head",
            &|db| {
                db.conn().execute_batch("DROP TRIGGER audit_chain_no_delete; DELETE FROM audit_chain; DELETE FROM audit_log WHERE id = 5;").unwrap();
            },
            AuditProblem::HeadChanged,
        ),
    ];
    for (what, tamper, want) in cases {
        let (_d, db) = log_of(5);
        tamper(&db);
        assert_eq!(problem(&db).as_ref(), Some(want), "{what}");
    }
}

#[test]
fn another_key_is_told_apart_from_changed_entries() {
    let (_d, mut db) = log_of(2);
    let other = super::AuditKey::from_hex(&Secret::new("77".repeat(32))).unwrap();
    db.attach_audit(|_| Ok::<_, super::StoreError>(other), "u".into(), "p".into()).unwrap();
    assert_eq!(problem(&db), Some(AuditProblem::OtherKey));
}

#[test]
fn entries_of_an_older_version_are_signed_once_at_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let key = Secret::new("ab".repeat(32));
    {
        let mut c = rusqlite::Connection::open(&path).unwrap();
        super::apply_key(&c, &key).unwrap();
        super::migrations::migrate_to(&mut c, 7);
        for i in 1..=3 {
            c.execute(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES ('2026-01-01T00:00:00Z', 'ana', 'config.set', ?1)",
                [format!("old {i}")],
            )
            .unwrap();
        }
    }
    let mut db = Database::open(&path, &key).unwrap();
    let signed = db.attach_audit(|_| super::test_audit_key(), "u".into(), "p".into()).unwrap();
    assert_eq!(signed, 3);
    db.audit("ana", "config.set", None, "new").unwrap();
    assert_eq!(db.verify_audit().unwrap(), super::AuditVerification { entries: 4, problem: None });
    // An unsigned entry slipped in later is never signed by a later open.
    db.conn().execute("DROP TRIGGER audit_log_no_update", []).unwrap();
    db.conn().execute("INSERT INTO audit_log (at, actor, action, detail) VALUES ('x', 'm', 'a', 'd')", []).unwrap();
    drop(db);
    let mut db = Database::open(&path, &key).unwrap();
    attach_test_audit(&mut db);
    assert_eq!(problem(&db), Some(AuditProblem::Unsigned { id: 5 }));
}

#[test]
fn only_the_chain_writer_inserts_audit_entries() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut writers = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "tests" {
                    stack.push(p);
                }
            } else if name.ends_with(".rs") && !name.contains("tests") && name != "audit_chain.rs" {
                let text = std::fs::read_to_string(&p).unwrap();
                // Test modules may forge rows on purpose; production code may not.
                let prod = text.split("#[cfg(test)]").next().unwrap_or_default();
                if prod.to_ascii_uppercase().contains("INTO AUDIT_LOG") {
                    writers.push(p.display().to_string());
                }
            }
        }
    }
    assert!(writers.is_empty(), "write audit entries through store::audit_chain::append: {writers:?}");
}
