//! A private PostgreSQL server for a test: `initdb` into a temporary folder
//! (as the `postgres` user when the tests run as root: initdb refuses root),
//! SCRAM passwords, an administrator `admin` whose password is in a file in
//! that folder, a free port on 127.0.0.1 and the Unix socket in the folder.
//! Stopped (`pg_ctl stop -m fast`) when the guard drops. Every process it
//! runs has a time limit. Debian's `postgresql` package provides the
//! binaries (`./tasks.sh test` installs it); `CAREDESK_PG_BIN` names
//! another folder of them.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use crate::{run_with_limit, Run};

/// The administrator role `initdb` creates (a superuser).
pub const ADMIN: &str = "admin";

/// How long `initdb`, `pg_ctl` and `psql` may take.
const LIMIT: Duration = Duration::from_secs(60);

pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    admin_password: String,
    /// Extra `-c name=value` settings of the server.
    settings: Vec<(String, String)>,
    running: bool,
}

impl PgServer {
    /// A new server, started.
    pub fn start() -> PgServer {
        PgServer::start_with(&[])
    }

    /// A new server with extra settings (`("ssl", "on")`, ...), started.
    pub fn start_with(settings: &[(&str, &str)]) -> PgServer {
        let bin = pg_bin();
        let dir = tempfile::Builder::new().prefix("caredesk-pg-").tempdir().expect("a temporary folder");
        let admin_password = format!("admin-{}-{}", std::process::id(), nanos());
        std::fs::write(dir.path().join("admin-password"), &admin_password).unwrap();
        give_to_postgres(dir.path());
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-A", "scram-sha-256", "-U", ADMIN, "-E", "UTF8", "--locale=C", "--no-sync"])
            .arg(format!("--pwfile={}", dir.path().join("admin-password").display()));
        run_with_limit(initdb, None, LIMIT).expect_ok();
        let settings = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut server = PgServer { dir, bin, port: 0, admin_password, settings, running: false };
        // A free port can be taken between the probe and the start: try again.
        for attempt in 0.. {
            server.port = free_port();
            match server.try_start() {
                Ok(()) => break,
                Err(log) if attempt < 3 => eprintln!("PostgreSQL did not start on port {}, again: {log}", server.port),
                Err(log) => panic!("PostgreSQL did not start:\n{log}"),
            }
        }
        server
    }

    fn try_start(&mut self) -> Result<(), String> {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        for (k, v) in &self.settings {
            options.push_str(&format!(" -c {k}={v}"));
        }
        let mut pg_ctl = as_postgres(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(self.data_dir())
            .arg("-o")
            .arg(options)
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "30", "start"]);
        let run = run_with_limit(pg_ctl, None, LIMIT);
        if run.ok() {
            self.running = true;
            Ok(())
        } else {
            Err(format!(
                "{}{}\n{}",
                run.stdout,
                run.stderr,
                std::fs::read_to_string(self.log_file()).unwrap_or_default()
            ))
        }
    }

    /// Stops the server (fast shutdown: sessions are ended), waiting at most 30 s.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        let mut pg_ctl = as_postgres(&self.bin.join("pg_ctl"));
        pg_ctl.arg("-D").arg(self.data_dir()).args(["-m", "fast", "-w", "-t", "30", "stop"]);
        let run = run_with_limit(pg_ctl, None, LIMIT);
        if !run.ok() {
            eprintln!("pg_ctl stop failed: {}{}", run.stdout, run.stderr);
            self.kill();
        }
        self.running = false;
    }

    /// Stops and starts it again on the same port, with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.try_start().unwrap_or_else(|log| panic!("PostgreSQL did not start again:\n{log}"));
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn admin_password(&self) -> &str {
        &self.admin_password
    }

    /// `postgres://admin@127.0.0.1:PORT/postgres` (the password: [`PgServer::admin_password`]).
    pub fn admin_url(&self) -> String {
        self.url(ADMIN, "postgres")
    }

    /// `postgres://ROLE@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, role: &str, database: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL as the administrator in `database` with psql (stops at the first error).
    pub fn psql(&self, database: &str, sql: &str) -> Run {
        self.psql_as(ADMIN, &self.admin_password.clone(), database, sql)
    }

    /// Runs SQL as `role` with `password` in `database` with psql.
    pub fn psql_as(&self, role: &str, password: &str, database: &str, sql: &str) -> Run {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", role, "-d", database, "-c", sql])
            .env("PGPASSWORD", password)
            .env("PGCONNECT_TIMEOUT", "10");
        run_with_limit(psql, None, LIMIT)
    }

    /// A login role with a SCRAM password.
    pub fn create_role(&self, name: &str, password: &str) {
        let sql = format!("CREATE ROLE \"{name}\" LOGIN PASSWORD '{}'", password.replace('\'', "''"));
        self.psql("postgres", &sql).expect_ok();
    }

    pub fn create_database(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\"")).expect_ok();
    }

    /// The server's folder (its `data/`, `log`, socket).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    /// The last resort when `pg_ctl stop` fails: SIGKILL the postmaster.
    fn kill(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.data_dir().join("postmaster.pid")) {
            if let Some(pid) = pid.lines().next() {
                let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
            }
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder of `initdb`, `pg_ctl`, `postgres` and `psql`: `CAREDESK_PG_BIN`,
/// else the newest `/usr/lib/postgresql/*/bin` (Debian's layout).
pub fn pg_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAREDESK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!("PostgreSQL's server binaries are missing: apt-get install postgresql (./tasks.sh test installs it), or set CAREDESK_PG_BIN")
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// `program`, run as the `postgres` user when the tests run as root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn give_to_postgres(dir: &Path) {
    if is_root() {
        let run = run_with_limit(
            {
                let mut c = Command::new("chown");
                c.arg("-R").arg("postgres:postgres").arg(dir);
                c
            },
            None,
            LIMIT,
        );
        assert!(run.ok(), "chown postgres {}: {}", dir.display(), run.stderr);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}
