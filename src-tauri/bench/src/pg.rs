//! The benchmark's own PostgreSQL: a cluster made with `initdb` in a
//! temporary folder (as the `postgres` user when the bench runs as root:
//! initdb refuses root), SCRAM passwords, a free port on 127.0.0.1, and
//! `pg_stat_statements` loaded so the bench can count each role's
//! statements. [`Cluster`] stops it (`pg_ctl stop -m fast`) when dropped,
//! also when the run fails half-way; Ctrl-C stops it too ([`stop_on_signal`]).
//! Debian's `postgresql` package provides the binaries; `CAREDESK_PG_BIN`
//! names another folder of them.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Mutex, Weak},
    time::{Duration, Instant},
};

/// The superuser `initdb` creates.
pub const ADMIN: &str = "admin";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    pub admin_password: String,
    running: bool,
}

impl Cluster {
    /// Creates and starts a cluster; `settings` are extra `-c name=value`.
    pub fn start(settings: &[(&str, &str)]) -> Result<Cluster, String> {
        let bin = server_bin()?;
        let dir = tempfile::Builder::new().prefix("caredesk-bench-pg-").tempdir().map_err(|e| e.to_string())?;
        let admin_password = format!("bench-{}", std::process::id());
        std::fs::write(dir.path().join("pw"), &admin_password).map_err(|e| e.to_string())?;
        if is_root() {
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(dir.path()), 30)?;
        }
        let data = dir.path().join("data");
        run(
            as_owner(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-A", "scram-sha-256", "-U", ADMIN, "-E", "UTF8", "--locale=C", "--no-sync"])
                .arg(format!("--pwfile={}", dir.path().join("pw").display())),
            120,
        )?;
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let mut options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", dir.path().display());
        for (k, v) in settings {
            options.push_str(&format!(" -c {k}={v}"));
        }
        let log = dir.path().join("log");
        let started = run(
            as_owner(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(options)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "start"]),
            90,
        );
        if let Err(e) = started {
            return Err(format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()));
        }
        Ok(Cluster { dir, bin, port, admin_password, running: true })
    }

    /// How much disk the cluster uses (its data folder), in bytes.
    pub fn disk_bytes(&self) -> u64 {
        dir_size(&self.dir.path().join("data"))
    }

    /// Stops it, waiting at most a minute; killed if it will not stop.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let data = self.dir.path().join("data");
        let stop = run(as_owner(&self.bin.join("pg_ctl")).arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"]), 60);
        if let Err(e) = stop {
            eprintln!("  pg_ctl stop failed ({e}); killing the server");
            if let Ok(pid) = std::fs::read_to_string(data.join("postmaster.pid")) {
                if let Some(pid) = pid.lines().next() {
                    let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
                }
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Stops `cluster` and exits when the bench is interrupted (Ctrl-C,
/// SIGTERM), so no server outlives the run. Holds it weakly: dropping the
/// last `Arc` still stops it.
pub fn stop_on_signal(cluster: Weak<Mutex<Cluster>>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async {
            let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        eprintln!("caredesk-bench: interrupted; stopping PostgreSQL");
        if let Some(cluster) = cluster.upgrade() {
            if let Ok(mut c) = cluster.lock() {
                c.stop();
            }
        }
        std::process::exit(130);
    });
}

/// The folder of `initdb`, `pg_ctl` and `postgres`: `CAREDESK_PG_BIN`, else
/// the newest `/usr/lib/postgresql/*/bin`.
fn server_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CAREDESK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    // Debian's layout, newest version first.
    (10..=30)
        .rev()
        .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
        .find(|bin| bin.join("initdb").exists())
        .ok_or_else(|| "no PostgreSQL server binaries: apt-get install postgresql".into())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// `program` as the `postgres` user when the bench runs as root.
fn as_owner(program: &Path) -> Command {
    let root = is_root();
    let mut c = Command::new(if root { Path::new("runuser") } else { program });
    if root {
        c.args(["-u", "postgres", "--"]).arg(program);
    }
    c
}

/// Runs `cmd` to the end, at most `secs` seconds.
fn run(cmd: &mut Command, secs: u64) -> Result<(), String> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            if status.success() {
                return Ok(());
            }
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            return Err(format!("{cmd:?} failed ({status}): {err}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!("{cmd:?} took more than {secs} s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
