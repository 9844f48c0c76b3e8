//! Team mode's test set-up over [`crate::pg::PgServer`]: a server with
//! the team schema, the administrator's CLI, desks, members and the
//! connection options the core's API takes.

use std::path::Path;

use caredesk_core::{
    gateways::team_db::ConnectOptions,
    rules::{secret::Secret, team_url::TeamUrl},
};

use crate::{pg::PgServer, require_keyring, Cli, Run};

/// The team database's name in these tests.
pub const DB: &str = "caredesk";

/// A server with database `caredesk` and the team schema (`caredesk team init`).
pub fn team() -> PgServer {
    let pg = PgServer::start();
    pg.create_database(DB);
    let out = admin_cli(&pg, &["team", "init"], "").expect_ok();
    assert!(out.stdout.contains("created the team schema at version 3"), "{}", out.stdout);
    pg
}

/// The CLI's administrator commands (`--admin-url` for the team database;
/// the administrator's password, then `more`, on stdin). No data directory
/// is used: it points at a folder that does not exist.
pub fn admin_cli(pg: &PgServer, args: &[&str], more: &str) -> Run {
    let cli = Cli::new(Path::new("/nonexistent/caredesk-admin"));
    let admin_url = pg.url("admin", DB);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--admin-url", &admin_url]);
    cli.run_stdin(&all, &format!("{}\n{more}", pg.admin_password()))
}

/// A desk (its own data directory) set to the team database as `role`.
pub fn desk(pg: &PgServer, dir: &Path, role: &str, password: &str) -> Cli {
    require_keyring();
    let cli = Cli::new(&dir.join(role));
    cli.ok(&["config", "set", "team.database_url", &pg.url(role, DB)]);
    cli.run_stdin(&["credentials", "set", "team-password"], password).expect_ok();
    cli
}

/// A desk's session options as `role` (a new desk id).
pub fn options(pg: &PgServer, role: &str, password: &str) -> ConnectOptions {
    let url = TeamUrl::parse(&pg.url(role, DB)).unwrap();
    ConnectOptions::desk(url, Secret::new(password), uuid::Uuid::new_v4())
}

/// The administrator's session options.
pub fn admin_options(pg: &PgServer) -> ConnectOptions {
    ConnectOptions::admin(TeamUrl::parse(&pg.url("admin", DB)).unwrap(), Secret::new(pg.admin_password()))
}

/// Adds `role` with `--create-role`; its password is `<role>-pw`.
pub fn member(pg: &PgServer, role: &str, name: &str) {
    admin_cli(pg, &["team", "add-member", role, "--name", name, "--create-role"], &format!("{role}-pw\n")).expect_ok();
}

/// A runtime for the core's async API.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}
