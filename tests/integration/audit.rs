//! `caredesk audit verify` on a real data directory: OK on an untouched log,
//! and the first bad entry named after rows are edited, deleted or swapped
//! directly through SQLCipher with the keyring's key and the triggers
//! dropped, as anyone holding the database key could.

use std::path::Path;

use caredesk_core::{
    desk::paths,
    desk::secrets::{platform_store, Credentials},
};
use caredesk_tests::{require_keyring, write_file, Cli, ROSTER_CSV};

/// A data directory with an import and five setting changes: six entries.
fn desk_with_a_log(root: &Path) -> Cli {
    let cli = Cli::new(&root.join("data"));
    let roster = write_file(root, "roster.csv", ROSTER_CSV);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);
    for (key, value) in [
        ("user.name", "Dana Coordinator"),
        ("sms.via", "ecm"),
        ("sync.interval_secs", "20"),
        ("user.name", "Mallory"),
        ("sms.via", "his"),
    ] {
        cli.ok(&["config", "set", key, value]);
    }
    cli
}

/// A copy of the data directory (same instance id, so the same keyring
/// entries).
fn copy_of(cli: &Cli, to: &Path) -> Cli {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(&cli.data_dir).unwrap().flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    Cli::new(to)
}

/// Runs `sql` on the database as an attacker with the database key would:
/// raw SQLCipher, the key from the keyring, the triggers dropped.
fn tamper(data: &Path, sql: &str) {
    let instance = paths::instance_id(data).unwrap();
    let key = Credentials::new(platform_store().unwrap(), instance).database_key().unwrap().unwrap();
    let conn = rusqlite::Connection::open(data.join(paths::DATABASE_FILE)).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.expose())).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn verify_passes_untouched_and_names_the_first_changed_removed_or_reordered_entry() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = desk_with_a_log(dir.path());
    let ok = cli.ok(&["audit", "verify"]);
    assert_eq!(ok.stdout.trim(), "OK: 6 audit entries, the chain is intact");
    let listed = cli.json(&["audit", "list", "--limit", "3", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["detail"], "sync.interval_secs: (not set) → 20");
    assert_eq!(listed[1]["actor"], "Dana Coordinator", "a rename is recorded under the name before it");
    assert_eq!(listed[1]["detail"], "user.name: Dana Coordinator → Mallory");
    assert!(!listed[1]["os_user"].as_str().unwrap().is_empty());

    let swap = "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE id IN (2, 5);
        UPDATE audit_log SET (at, actor, action, patient_id, detail, os_user, profile, mac) =
          (SELECT at, actor, action, patient_id, detail, os_user, profile, mac FROM t
            WHERE t.id = CASE audit_log.id WHEN 2 THEN 5 ELSE 2 END)
         WHERE id IN (2, 5);";
    let cases = [
        ("edited", "UPDATE audit_log SET actor = 'Someone Else' WHERE id = 4", "changed", 4, "entry 4 was changed"),
        ("deleted", "DELETE FROM audit_log WHERE id = 3", "removed", 3, "entry 3 was removed"),
        ("swapped", swap, "reordered", 2, "entry 2 was reordered: it holds what was signed as entry 5"),
        ("deleted last", "DELETE FROM audit_log WHERE id = 6", "removed_at_end", 6, "entry 6 was removed"),
    ];
    for (what, sql, problem, id, says) in cases {
        let copy = copy_of(&cli, &dir.path().join(what.replace(' ', "-")));
        tamper(&copy.data_dir, sql);
        let out = copy.run(&["audit", "verify"]);
        assert_eq!(out.code, Some(1), "{what}: {out:?}");
        assert!(out.stdout.starts_with(&format!("FAILED: {says}")), "{what}: {}", out.stdout);
        let json = copy.run(&["audit", "verify", "--json"]);
        assert_eq!(json.code, Some(1), "{what}");
        let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(
            (v["problem"]["problem"].as_str(), v["problem"]["id"].as_i64()),
            (Some(problem), Some(id)),
            "{what}"
        );
    }
    // The untouched original still verifies.
    cli.ok(&["audit", "verify"]);
}

#[test]
fn the_cli_records_thread_views_and_searches_without_the_search_text() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    let roster = write_file(dir.path(), "roster.csv", ROSTER_CSV);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);
    cli.ok(&["thread", "--patient", "ecm:9101"]);
    let found = cli.ok(&["patients", "list", "--search", "Zebulon"]);
    assert!(found.stdout.contains("Zebulon Quixotic"));
    let log = cli.json(&["audit", "list", "--json"]);
    let log = log.as_array().unwrap();
    let view = log.iter().find(|e| e["action"] == "patient.view").expect("the thread view is audited");
    assert!(view["patient_id"].is_i64());
    let search = log.iter().find(|e| e["action"] == "patients.search").expect("the search is audited");
    assert_eq!(search["detail"], "1 patients found");
    assert!(log.iter().all(|e| !e["detail"].as_str().unwrap().contains("Zebulon")), "{log:?}");
    cli.ok(&["audit", "verify"]);
}
