//! The database file alone reveals nothing: no imported name, number or text
//! in plaintext, unreadable without the key, and the key is in the keyring.

use std::process::Command;

use caredesk_core::{
    desk::paths,
    desk::secrets::{platform_store, Credentials},
    store::Database,
};
use caredesk_tests::{all_files, contains, require_keyring, write_file, Cli, ROSTER_CSV};

const PLAINTEXTS: &[&str] = &[
    "Zebulon",
    "Quixotic",
    "Ximena",
    "daughter",
    "Philomena",
    "Farnsworth",
    "Bartholomew",
    "caregiver",
    "+18055550142",
    "18055550142",
    "8055550142",
    "4155550177",
    "4155550178",
    "Dana Coordinator",
];

#[test]
fn database_file_reveals_nothing_and_needs_the_keyring_key() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cli = Cli::new(&data);
    let roster = write_file(dir.path(), "roster.csv", ROSTER_CSV);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);
    cli.ok(&["config", "set", "user.name", "Dana Coordinator"]);
    // The import really stored the plaintexts we look for.
    let listed = cli.ok(&["patients", "list"]).stdout;
    assert!(listed.contains("Zebulon Quixotic") && listed.contains("+18055550142"));

    let files = all_files(&data);
    assert!(files.iter().any(|(p, _)| p.ends_with("caredesk.db")));
    for (path, bytes) in &files {
        assert!(!bytes.starts_with(b"SQLite format 3"), "{} has a plaintext SQLite header", path.display());
        for needle in PLAINTEXTS {
            assert!(!contains(bytes, needle), "{} contains {needle:?} in plaintext", path.display());
        }
    }

    let db_path = data.join(paths::DATABASE_FILE);
    // sqlite3 cannot read it.
    if let Ok(out) = Command::new("sqlite3").arg(&db_path).arg("SELECT name FROM patients;").output() {
        assert!(!out.status.success(), "sqlite3 read the database: {}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a database"));
    }
    // Nor can SQLite without a key, nor with a wrong one.
    let plain = rusqlite::Connection::open(&db_path).unwrap();
    assert!(plain.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).is_err());
    let wrong = caredesk_core::desk::secrets::Secret::new("00".repeat(32));
    assert!(Database::open(&db_path, &wrong).is_err());

    // The key that opens it is the one in the keyring.
    let instance = paths::instance_id(&data).unwrap();
    let creds = Credentials::new(platform_store().unwrap(), instance);
    let key = creds.database_key().unwrap().expect("the database key is in the keyring");
    assert_eq!(key.expose().len(), 64, "a 256-bit key in hex");
    let db = Database::open(&db_path, &key).unwrap();
    let n: i64 =
        db.conn().query_row("SELECT count(*) FROM patients WHERE name = 'Zebulon Quixotic'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    assert_eq!(db.integrity_check().unwrap(), "ok");
    // And the key is nowhere in the data directory.
    for (path, bytes) in all_files(&data) {
        assert!(!contains(&bytes, key.expose()), "{} holds the key", path.display());
    }
}
