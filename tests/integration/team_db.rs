//! Team mode's foundation against a real PostgreSQL (each test starts its
//! own server, tests/support/pg.rs): `caredesk team init|add-member|status`,
//! what a member may not do, the connection rules (a wrong password, plain
//! text to another computer, TLS), a schema newer than the desk, and the
//! change log (idempotent appends; positions gap-free and in commit order
//! under concurrent appenders). Tests that use a desk's keyring run inside
//! tests/support/with-keyring.sh.

use std::{
    collections::{BTreeMap, HashSet},
    path::Path,
    time::{Duration, Instant},
};

use caredesk_core::{
    gateways::team_db::{self, ConnectOptions, NewChange, TeamDb, POLLER_LOCK_KEY},
    rules::{
        error::{CodedError, ErrorCode},
        secret::Secret,
        team_url::{SslMode, TeamUrl},
    },
};
use caredesk_tests::{all_files, contains, pg::PgServer, require_keyring, Cli};
use serde_json::json;

const DB: &str = "caredesk";

/// A server with database `caredesk` and the team schema (`caredesk team init`).
fn team() -> PgServer {
    let pg = PgServer::start();
    pg.create_database(DB);
    let out = admin_cli(&pg, &["team", "init"], "").expect_ok();
    assert!(out.stdout.contains("created the team schema at version 1"), "{}", out.stdout);
    pg
}

/// The CLI's administrator commands (`--admin-url` for the team database;
/// the administrator's password, then `more`, on stdin). No data directory
/// is used: it points at a folder that does not exist.
fn admin_cli(pg: &PgServer, args: &[&str], more: &str) -> caredesk_tests::Run {
    let cli = Cli::new(Path::new("/nonexistent/caredesk-admin"));
    let admin_url = pg.url("admin", DB);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--admin-url", &admin_url]);
    cli.run_stdin(&all, &format!("{}\n{more}", pg.admin_password()))
}

/// A desk (its own data directory) set to the team database as `role`.
fn desk(pg: &PgServer, dir: &Path, role: &str, password: &str) -> Cli {
    require_keyring();
    let cli = Cli::new(&dir.join(role));
    cli.ok(&["config", "set", "team.database_url", &pg.url(role, DB)]);
    cli.run_stdin(&["credentials", "set", "team-password"], password).expect_ok();
    cli
}

fn options(pg: &PgServer, role: &str, password: &str) -> ConnectOptions {
    let url = TeamUrl::parse(&pg.url(role, DB)).unwrap();
    ConnectOptions::desk(url, Secret::new(password), uuid::Uuid::new_v4())
}

fn admin_options(pg: &PgServer) -> ConnectOptions {
    ConnectOptions::admin(TeamUrl::parse(&pg.url("admin", DB)).unwrap(), Secret::new(pg.admin_password()))
}

fn member(pg: &PgServer, role: &str, name: &str) {
    admin_cli(pg, &["team", "add-member", role, "--name", name, "--create-role"], &format!("{role}-pw\n")).expect_ok();
}

#[test]
fn team_init_creates_the_schema_and_a_second_run_changes_nothing() {
    let pg = team();
    let tables = pg
        .psql(DB, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'caredesk'")
        .expect_ok()
        .stdout;
    for table in [
        "audit",
        "calls",
        "changes",
        "consent",
        "his_cursor",
        "key_blocks",
        "log_head",
        "members",
        "messages",
        "notes",
        "patient_numbers",
        "patients",
        "read_state",
        "refinery_schema_history",
        "team_meta",
        "threads",
    ] {
        assert!(tables.split(',').any(|t| t.trim() == table), "{table} missing from {tables}");
    }
    let state = "SELECT (SELECT schema_version FROM caredesk.team_meta) || ' ' || \
                 (SELECT count(*) FROM caredesk.refinery_schema_history) || ' ' || (SELECT pos FROM caredesk.log_head) || ' ' || \
                 (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'caredesk_member')";
    assert_eq!(pg.psql(DB, state).expect_ok().stdout.trim(), "1 1 0 false");
    let again = admin_cli(&pg, &["team", "init"], "").expect_ok();
    assert!(again.stdout.contains("is at version 1: nothing to do"), "{}", again.stdout);
    assert_eq!(pg.psql(DB, state).expect_ok().stdout.trim(), "1 1 0 false", "the second run changed nothing");
    // A wrong administrator password says so, and never repeats it.
    let wrong = Cli::new(Path::new("/nonexistent/x"))
        .run_stdin(&["team", "init", "--admin-url", &pg.url("admin", DB)], "not-the-password\n")
        .expect_err();
    assert!(wrong.stderr.contains("refused the password for role admin"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-password"), "{}", wrong.stderr);
}

#[test]
fn added_members_see_the_team_status_and_others_are_told_how_to_join() {
    let pg = team();
    let dir = tempfile::tempdir().unwrap();
    // A new role created with its password; an existing role added as it is.
    member(&pg, "ana", "Ana Ruiz");
    pg.create_role("ben", "ben-pw");
    let out = admin_cli(&pg, &["team", "add-member", "ben", "--name", "Ben Carter"], "").expect_ok();
    assert!(out.stdout.contains("ben (Ben Carter) is a member"), "{}", out.stdout);
    // A role that does not exist is not made up without --create-role.
    let missing = admin_cli(&pg, &["team", "add-member", "cleo", "--name", "Cleo"], "").expect_err();
    assert!(
        missing.stderr.contains("there is no role cleo") && missing.stderr.contains("--create-role"),
        "{}",
        missing.stderr
    );
    // The password of a created role reached the server only as a SCRAM verifier.
    let verifier = pg.psql("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'ana'").expect_ok().stdout;
    assert!(verifier.trim().starts_with("SCRAM-SHA-256$"), "{verifier}");

    let ana = desk(&pg, dir.path(), "ana", "ana-pw");
    let status = ana.json(&["team", "status", "--json"]);
    assert_eq!(status["connected"], true);
    assert_eq!(status["role"], "ana");
    assert_eq!(status["database"], DB);
    assert_eq!(status["schema_version"], 1);
    assert_eq!(status["log_head"], 0);
    assert_eq!(status["poller"], serde_json::Value::Null);
    let members: Vec<(String, String)> = status["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap().into(), m["display_name"].as_str().unwrap().into()))
        .collect();
    assert_eq!(members, [("ana".into(), "Ana Ruiz".into()), ("ben".into(), "Ben Carter".into())]);

    // A desk holding the poller lock shows in the status, by its desk id.
    let rt = runtime();
    let poller_desk = uuid::Uuid::new_v4();
    let mut opts = options(&pg, "ben", "ben-pw");
    opts.application_name = team_db::application_name(&poller_desk);
    let holder = rt.block_on(async {
        let db = TeamDb::open(&opts).await.unwrap();
        db.client().execute("SELECT pg_advisory_lock($1)", &[&POLLER_LOCK_KEY]).await.unwrap();
        db
    });
    let status = ana.json(&["team", "status", "--json"]);
    assert_eq!(status["poller"]["role"], "ben");
    assert_eq!(status["poller"]["desk_id"], poller_desk.to_string());
    let text = ana.ok(&["team", "status"]).stdout;
    assert!(
        text.contains(&format!("poller: ben (desk {poller_desk})")) && text.contains("team schema version: 1"),
        "{text}"
    );
    drop(holder);

    // A role of the server that is not in the team is told how to join.
    pg.create_role("dana", "dana-pw");
    let dana = desk(&pg, dir.path(), "dana", "dana-pw");
    let refused = dana.run(&["team", "status"]).expect_err();
    assert!(
        refused.stderr.contains("role dana is not a member") && refused.stderr.contains("team add-member dana"),
        "{}",
        refused.stderr
    );
    let e = rt.block_on(TeamDb::open(&options(&pg, "dana", "dana-pw"))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TeamNotMember, "{e}");
}

#[test]
fn a_member_cannot_alter_the_schema_or_rewrite_the_log() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    let as_ana = |sql: &str| pg.psql_as("ana", "ana-pw", DB, sql);
    // Data: yes.
    as_ana(
        "INSERT INTO caredesk.patients (gid, name) VALUES (gen_random_uuid(), 'Zed'); \
         UPDATE caredesk.patients SET name = 'Zed Q'; SELECT count(*) FROM caredesk.changes",
    )
    .expect_ok();
    // The schema, the log, the audit trail, the team's metadata: no.
    let refused = [
        "ALTER TABLE caredesk.messages ADD COLUMN x int",
        "CREATE TABLE caredesk.evil (a int)",
        "DROP TABLE caredesk.notes",
        "CREATE INDEX evil ON caredesk.messages (body)",
        "TRUNCATE caredesk.changes",
        "DELETE FROM caredesk.changes",
        "UPDATE caredesk.audit SET actor = 'ben'",
        "UPDATE caredesk.team_meta SET schema_version = 2",
        "INSERT INTO caredesk.members (role, display_name) VALUES ('ana', 'Boss')",
        "CREATE SCHEMA evil",
        "GRANT caredesk_member TO ana WITH ADMIN OPTION",
        "ALTER ROLE ana SUPERUSER",
    ];
    for sql in refused {
        let run = as_ana(sql).expect_err();
        assert!(
            ["permission denied", "must be owner", "must have admin option", "must be superuser"]
                .iter()
                .any(|w| run.stderr.contains(w)),
            "{sql}: {}",
            run.stderr
        );
    }
    // The actor of a change is the role, whatever the desk claims.
    as_ana(
        "INSERT INTO caredesk.changes (pos, desk_id, desk_seq, actor, kind, body) \
         VALUES (1, gen_random_uuid(), 0, 'ben', 'x', '{}')",
    )
    .expect_ok();
    assert_eq!(pg.psql(DB, "SELECT actor FROM caredesk.changes").expect_ok().stdout.trim(), "ana");
}

#[test]
fn a_wrong_password_is_refused_with_a_clear_error() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    let dir = tempfile::tempdir().unwrap();
    let ana = desk(&pg, dir.path(), "ana", "Wrong-Horse-7");
    let out = ana.run(&["team", "status"]).expect_err();
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("PostgreSQL at 127.0.0.1:")
            && out.stderr.contains("refused the password for role ana")
            && out.stderr.contains("caredesk credentials set team-password"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Wrong-Horse-7") && !out.stdout.contains("Wrong-Horse-7"));
    let e = runtime().block_on(TeamDb::connect(&options(&pg, "ana", "Wrong-Horse-7"))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TeamAuth, "{e}");
    assert!(e.is_permanent());
    // The right password, stored again, connects.
    ana.run_stdin(&["credentials", "set", "team-password"], "ana-pw").expect_ok();
    assert_eq!(ana.json(&["team", "status", "--json"])["connected"], true);
}

#[test]
fn plain_text_to_another_computer_is_refused_before_any_connection() {
    let rt = runtime();
    // A TEST-NET address and a name that never resolves (.invalid): the
    // refusal comes before any lookup or socket, at once.
    for host in ["203.0.113.7", "db.clinic.invalid", "192.168.1.20"] {
        let url = TeamUrl {
            role: "ana".into(),
            host: host.into(),
            port: 5432,
            database: DB.into(),
            sslmode: Some(SslMode::Disable),
        };
        let opts = ConnectOptions::desk(url, Secret::new("pw"), uuid::Uuid::new_v4());
        let started = Instant::now();
        let e = rt.block_on(TeamDb::connect(&opts)).unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(200), "{host}: {:?}", started.elapsed());
        assert_eq!(e.code(), ErrorCode::TeamInsecure, "{host}: {e}");
        let text = e.to_string();
        assert!(text.contains(host) && text.contains("unencrypted") && text.contains("sslmode=disable"), "{text}");
    }
    // The setting refuses such an address too, with the same words.
    let dir = tempfile::tempdir().unwrap();
    require_keyring();
    let cli = Cli::new(dir.path());
    let out = cli
        .run(&["config", "set", "team.database_url", "postgres://ana@203.0.113.7/caredesk?sslmode=disable"])
        .expect_err();
    assert!(out.stderr.contains("unencrypted") && out.stderr.contains("203.0.113.7"), "{}", out.stderr);
    // And a password in the address points to the keyring.
    let out = cli
        .run(&["config", "set", "team.database_url", "postgres://ana:hunter2@db.clinic.example/caredesk"])
        .expect_err();
    assert!(out.stderr.contains("credentials set team-password") && !out.stderr.contains("hunter2"), "{}", out.stderr);
}

#[test]
fn tls_is_used_and_the_certificate_verified() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let pg = PgServer::start_with(&[
        ("ssl", "on"),
        ("ssl_cert_file", &pg_file(&certs.path().join("server.crt"))),
        ("ssl_key_file", &pg_file(&certs.path().join("server.key"))),
    ]);
    pg.create_database(DB);
    admin_cli(&pg, &["team", "init"], "").expect_ok();
    member(&pg, "ana", "Ana Ruiz");
    let dir = tempfile::tempdir().unwrap();
    let ana = desk(&pg, dir.path(), "ana", "ana-pw");
    let tls_url = format!("{}?sslmode=verify-full", pg.url("ana", DB));
    ana.ok(&["config", "set", "team.database_url", &tls_url]);
    ana.run_stdin(&["credentials", "set", "team-password"], "ana-pw").expect_ok();
    // Trusting the clinic's CA: connected, over TLS.
    let mut trusted = ana.command(&["team", "status", "--json"]);
    trusted.env("SSL_CERT_FILE", certs.path().join("ca.crt"));
    let out = caredesk_tests::run_with_limit(trusted, None, Duration::from_secs(60)).expect_ok();
    assert!(out.stdout.contains("\"connected\": true"), "{}", out.stdout);
    // Trusting another CA only: refused, saying why.
    let mut untrusted = ana.command(&["team", "status"]);
    untrusted.env("SSL_CERT_FILE", certs.path().join("other-ca.crt"));
    let out = caredesk_tests::run_with_limit(untrusted, None, Duration::from_secs(60)).expect_err();
    assert!(out.stderr.contains("TLS connection") && out.stderr.contains("certificate"), "{}", out.stderr);
    // A server without TLS is not talked to in plain text when TLS was asked for.
    let plain = PgServer::start();
    let url = TeamUrl::parse(&format!("{}?sslmode=verify-full", plain.url("admin", "postgres"))).unwrap();
    let e = runtime()
        .block_on(TeamDb::connect(&ConnectOptions::admin(url, Secret::new(plain.admin_password()))))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TeamTls, "{e}");
    assert!(e.to_string().contains("does not offer TLS"), "{e}");
}

#[test]
fn a_desk_refuses_a_schema_newer_than_it_knows() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    pg.psql(DB, "UPDATE caredesk.team_meta SET schema_version = 99").expect_ok();
    let e = runtime().block_on(TeamDb::open(&options(&pg, "ana", "ana-pw"))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TeamSchemaNewer, "{e}");
    let dir = tempfile::tempdir().unwrap();
    let out = desk(&pg, dir.path(), "ana", "ana-pw").run(&["team", "status"]).expect_err();
    assert!(
        out.stderr.contains("set up by a newer CareDesk")
            && out.stderr.contains("version 99")
            && out.stderr.contains("update this desk"),
        "{}",
        out.stderr
    );
    // Nor does an older CareDesk's `team init` touch it.
    let init = admin_cli(&pg, &["team", "init"], "").expect_err();
    assert!(init.stderr.contains("newer CareDesk"), "{}", init.stderr);
    // A database without the schema says who sets it up.
    pg.create_database("empty");
    let url = TeamUrl::parse(&pg.url("admin", "empty")).unwrap();
    let e =
        runtime().block_on(TeamDb::open(&ConnectOptions::admin(url, Secret::new(pg.admin_password())))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TeamNotInitialized, "{e}");
    assert!(e.to_string().contains("caredesk team init"), "{e}");
}

#[test]
fn append_is_idempotent_per_desk_and_sequence_and_wakes_listeners() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    let rt = runtime();
    rt.block_on(async {
        let mut db = TeamDb::open(&options(&pg, "ana", "ana-pw")).await.unwrap();
        let listening = TeamDb::open(&admin_options(&pg)).await.unwrap();
        let mut listener = listening.listen().await.unwrap();
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let body = json!({"text": "assigned"});
        let change = |desk_id, desk_seq| NewChange { desk_id, desk_seq, kind: "thread.assign", body: &body };
        assert_eq!(team_db::append(db.transaction().await.unwrap(), &change(a, 0)).await.unwrap(), Some(1));
        // Pushed again (its answer was lost): nothing new.
        assert_eq!(team_db::append(db.transaction().await.unwrap(), &change(a, 0)).await.unwrap(), None);
        let batch = [change(a, 0), change(b, 0), change(a, 1), change(b, 0)];
        assert_eq!(
            team_db::append_all(db.transaction().await.unwrap(), &batch).await.unwrap(),
            [None, Some(2), Some(3), None]
        );
        assert_eq!(team_db::log_head(&db).await.unwrap(), 3);
        let log = team_db::read_after(&db, 0, 100).await.unwrap();
        let keys: Vec<_> = log.iter().map(|c| (c.pos, c.desk_id, c.desk_seq, c.actor.as_str())).collect();
        assert_eq!(keys, [(1, a, 0, "ana"), (2, b, 0, "ana"), (3, a, 1, "ana")]);
        assert_eq!(log[0].body, body);
        assert_eq!(team_db::read_after(&db, 2, 100).await.unwrap().len(), 1);
        // The listener heard of position 3.
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.wait_after(2)).await.unwrap().unwrap();
        assert_eq!(heard, 3);
        // A listener whose session ends is told so.
        drop(listening);
        let lost = tokio::time::timeout(Duration::from_secs(5), listener.wait_after(3)).await.unwrap().unwrap_err();
        assert_eq!(lost.code(), ErrorCode::TeamUnreachable, "{lost}");
    });
}

#[test]
fn positions_are_gap_free_and_in_commit_order_under_concurrent_appenders() {
    const DESKS: usize = 8;
    const CHANGES: i64 = 200;
    const TOTAL: i64 = DESKS as i64 * CHANGES;
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    let rt = runtime();
    rt.block_on(async {
        let opts = options(&pg, "ana", "ana-pw");
        // Readers follow the log while the desks append: each must see
        // positions 1, 2, 3… with no gap at any moment.
        let mut readers = Vec::new();
        for _ in 0..2 {
            let opts = opts.clone();
            readers.push(tokio::spawn(async move {
                let db = TeamDb::open(&opts).await.unwrap();
                let mut seen = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(120);
                while (seen.len() as i64) < TOTAL {
                    assert!(Instant::now() < deadline, "the reader saw only {} changes", seen.len());
                    let after = seen.last().map(|c: &team_db::Change| c.pos).unwrap_or(0);
                    for c in team_db::read_after(&db, after, 50).await.unwrap() {
                        assert_eq!(c.pos, seen.len() as i64 + 1, "a reader saw a gap: {} after {after}", c.pos);
                        seen.push(c);
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                seen
            }));
        }
        let mut desks = Vec::new();
        for d in 0..DESKS {
            let opts = opts.clone();
            desks.push(tokio::spawn(async move {
                let mut db = TeamDb::open(&opts).await.unwrap();
                let desk_id = uuid::Uuid::new_v4();
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (d as u64 + 1);
                for seq in 0..CHANGES {
                    let body = json!({"desk": d, "seq": seq});
                    let tx = db.transaction().await.unwrap();
                    // The state write, then the transaction held open a
                    // random short time before its position is taken.
                    tx.sql()
                        .execute("INSERT INTO caredesk.audit (action, desk_id) VALUES ('test.append', $1)", &[&desk_id])
                        .await
                        .unwrap();
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    tokio::time::sleep(Duration::from_micros(rng % 3000)).await;
                    let change = NewChange { desk_id, desk_seq: seq, kind: "test", body: &body };
                    assert!(team_db::append(tx, &change).await.unwrap().is_some());
                }
                desk_id
            }));
        }
        let mut desk_ids = HashSet::new();
        for d in desks {
            desk_ids.insert(d.await.unwrap());
        }
        for r in readers {
            let seen = r.await.unwrap();
            assert_eq!(seen.len() as i64, TOTAL);
            // Each desk's changes are in its own order, each exactly once.
            let mut next: BTreeMap<uuid::Uuid, i64> = BTreeMap::new();
            for c in &seen {
                assert!(desk_ids.contains(&c.desk_id));
                let expected = next.entry(c.desk_id).or_insert(0);
                assert_eq!(c.desk_seq, *expected, "desk {} out of order at position {}", c.desk_id, c.pos);
                *expected += 1;
            }
            assert!(next.values().all(|n| *n == CHANGES), "{next:?}");
        }
        let db = TeamDb::open(&opts).await.unwrap();
        assert_eq!(team_db::log_head(&db).await.unwrap(), TOTAL);
    });
}

#[test]
fn the_keyring_holds_the_team_password_and_no_file_does() {
    let pg = team();
    pg.create_role("ana", "Kestrel-Umbrella-42");
    admin_cli(&pg, &["team", "add-member", "ana", "--name", "Ana Ruiz"], "").expect_ok();
    let dir = tempfile::tempdir().unwrap();
    let ana = desk(&pg, dir.path(), "ana", "Kestrel-Umbrella-42");
    let listed = ana.json(&["credentials", "list", "--json"]);
    let team = listed.as_array().unwrap().iter().find(|c| c["name"] == "team-password").cloned().unwrap();
    assert_eq!(team["stored"], true);
    // In the Secret Service, under this data directory's instance id.
    let instance = std::fs::read_to_string(ana.data_dir.join("instance-id")).unwrap();
    let creds = caredesk_core::desk::secrets::Credentials::new(
        caredesk_core::desk::secrets::platform_store().unwrap(),
        instance.trim(),
    );
    let stored = creds.get(caredesk_core::desk::secrets::SecretName::TeamPassword).unwrap().unwrap();
    assert_eq!(stored.expose(), "Kestrel-Umbrella-42");
    assert_eq!(ana.json(&["team", "status", "--json"])["connected"], true);
    for (path, bytes) in all_files(&ana.data_dir) {
        assert!(!contains(&bytes, "Kestrel-Umbrella-42"), "the password is in {}", path.display());
    }
    // Pointing the desk at another server removes it.
    ana.ok(&["config", "set", "team.database_url", "postgres://ana@db.clinic.example/caredesk"]);
    assert!(creds.get(caredesk_core::desk::secrets::SecretName::TeamPassword).unwrap().is_none());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A test CA with a server certificate for 127.0.0.1 and localhost, and
/// another CA that signed nothing here (openssl).
fn make_certificates(dir: &Path) {
    let sh = format!(
        r#"set -e
cd '{dir}'
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj '/CN=CareDesk test CA' 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj '/CN=Another CA' 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext.cnf 2>/dev/null
"#,
        dir = dir.display()
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(sh);
    caredesk_tests::run_with_limit(cmd, None, Duration::from_secs(60)).expect_ok();
}

/// The server's certificate and key where the server (the `postgres` user)
/// can read them, the key with mode 0600 as PostgreSQL demands.
fn pg_file(src: &Path) -> String {
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(format!(
        "chmod 755 '{d}' && chmod 644 '{f}' && case '{f}' in *.key) chmod 600 '{f}';; esac && \
         if [ \"$(id -u)\" = 0 ]; then chown postgres '{f}'; fi",
        d = src.parent().unwrap().display(),
        f = src.display()
    ));
    caredesk_tests::run_with_limit(c, None, Duration::from_secs(30)).expect_ok();
    src.display().to_string()
}
