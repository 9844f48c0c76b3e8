//! Team mode's foundation against a real PostgreSQL (each test starts its
//! own server, tests/support/pg.rs): `caredesk team init|add-member|status`,
//! what a member may not do, the connection rules (a wrong password, plain
//! text to another computer, TLS), a schema newer than the desk, and the
//! keyring's `team-password`. The change log has its own file (team_log.rs).
//! Tests that use a desk's keyring run inside tests/support/with-keyring.sh.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use caredesk_core::{
    gateways::team_db::{self, ConnectOptions, TeamDb, POLLER_LOCK_KEY},
    rules::{
        error::{CodedError, ErrorCode},
        secret::Secret,
        team_url::{SslMode, TeamUrl},
    },
};
use caredesk_tests::{
    all_files, contains,
    pg::PgServer,
    require_keyring,
    team::{admin_cli, desk, member, options, runtime, team, DB},
    Cli,
};

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
    assert_eq!(pg.psql(DB, state).expect_ok().stdout.trim(), "3 3 0 false");
    let again = admin_cli(&pg, &["team", "init"], "").expect_ok();
    assert!(again.stdout.contains("is at version 3: nothing to do"), "{}", again.stdout);
    assert_eq!(pg.psql(DB, state).expect_ok().stdout.trim(), "3 3 0 false", "the second run changed nothing");
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
    assert_eq!(status["schema_version"], 3);
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
        text.contains(&format!("poller: ben (desk {poller_desk})")) && text.contains("team schema version: 3"),
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
        "UPDATE caredesk.team_meta SET schema_version = 4",
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
