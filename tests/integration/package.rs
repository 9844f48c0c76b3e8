//! The Debian package a clinic's IT installs: `./tasks.sh package` builds it,
//! and this test installs it with apt on this machine, starts the installed
//! app under the test's X display and finds its window by title and pid,
//! runs the installed `caredesk --version`, then purges the package and checks
//! that none of its files is left.
//!
//! It changes the system (it installs and removes a package), so it runs only
//! when `CAREDESK_PACKAGE_DEB` names the package, as the README's test
//! command does; as root, or through `sudo -n`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use caredesk_tests::{run_with_limit, ChildGuard, Run};

const PACKAGE: &str = "caredesk";

fn deb() -> Option<PathBuf> {
    let path = std::env::var_os("CAREDESK_PACKAGE_DEB").filter(|v| !v.is_empty()).map(PathBuf::from);
    if path.is_none() {
        eprintln!("CAREDESK_PACKAGE_DEB is not set: the package test is skipped (./tasks.sh test sets it)");
    }
    path
}

/// A command run as root: directly when this is root, else through `sudo -n`.
fn as_root(program: &str) -> Command {
    let uid = Command::new("id").arg("-u").output().expect("id runs");
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg(program);
        c
    }
}

fn run(mut cmd: Command, limit: Duration) -> Run {
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    run_with_limit(cmd, None, limit)
}

fn installed() -> bool {
    let out = Command::new("dpkg-query").args(["-W", "-f=${Status}", PACKAGE]).output().expect("dpkg-query runs");
    String::from_utf8_lossy(&out.stdout).contains("install ok installed")
}

/// The package's files (not its directories), as dpkg lists them.
fn package_files() -> Vec<PathBuf> {
    let listed = run(cmd("dpkg", &["-L", PACKAGE]), Duration::from_secs(30)).expect_ok();
    listed.stdout.lines().map(PathBuf::from).filter(|p| p.is_file()).collect()
}

fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// The X window ids whose name is exactly `title`.
fn windows_titled(title: &str) -> Vec<String> {
    let out = Command::new("xwininfo").args(["-root", "-tree"]).output().expect("xwininfo (x11-utils) runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&format!("\"{title}\"")))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

/// The pid a window's owner recorded in `_NET_WM_PID`.
fn window_pid(id: &str) -> Option<u32> {
    let out = Command::new("xprop").args(["-id", id, "_NET_WM_PID"]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).rsplit(' ').next()?.trim().parse().ok()
}

fn wait_for_window(title: &str, pid: u32, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(id) = windows_titled(title).into_iter().find(|id| window_pid(id) == Some(pid)) {
            return id;
        }
        assert!(Instant::now() < deadline, "no window titled {title:?} from pid {pid} within {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn installed_app_shows_its_window(home: &Path) {
    let mut app = Command::new("/usr/bin/caredesk-desktop");
    app.env("CAREDESK_DATA_DIR", home.join("data"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("RUST_LOG", "warn");
    let mut app = ChildGuard::spawn(&mut app);
    let started = Instant::now();
    let window = wait_for_window("CareDesk", app.id(), Duration::from_secs(60));
    eprintln!("package: the installed app showed window {window} titled \"CareDesk\" after {:?}", started.elapsed());
    app.stop(Duration::from_secs(10));
    assert!(windows_titled("CareDesk").iter().all(|id| window_pid(id) != Some(app.id())), "the window closed");
}

#[test]
fn the_package_installs_runs_and_removes_cleanly() {
    let Some(deb) = deb() else {
        return;
    };
    let deb = deb.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", deb.display()));
    assert!(!installed(), "{PACKAGE} is already installed here; this test installs and purges it, so remove it first");
    let size = std::fs::metadata(&deb).unwrap().len();

    // Install with apt, which resolves the Depends (webkit2gtk, a keyring, D-Bus).
    let started = Instant::now();
    let mut install = as_root("apt-get");
    install.args(["install", "-y", "-q", "--no-install-recommends"]).arg(&deb);
    let result = run(install, Duration::from_secs(900));
    let install_time = started.elapsed();
    let removal = scopeguard(|| {
        let mut purge = as_root("apt-get");
        purge.args(["purge", "-y", "-q", PACKAGE]);
        run(purge, Duration::from_secs(300))
    });
    let result = result.expect_ok();
    assert!(installed(), "apt installed {PACKAGE}: {}", result.stdout);
    let files = package_files();
    for expected in ["/usr/bin/caredesk", "/usr/bin/caredesk-desktop", "/usr/share/applications/CareDesk.desktop"] {
        assert!(files.iter().any(|f| f == Path::new(expected)), "{expected} is installed: {files:?}");
    }
    assert!(files.iter().any(|f| f.starts_with("/usr/share/icons/hicolor")), "icons installed: {files:?}");
    let entry = std::fs::read_to_string("/usr/share/applications/CareDesk.desktop").unwrap();
    assert!(entry.contains("Exec=caredesk-desktop") && entry.contains("Name=CareDesk"), "{entry}");

    // The CLI is on the PATH of a login shell, and says its version.
    let version =
        run(cmd("sh", &["-lc", "command -v caredesk && caredesk --version"]), Duration::from_secs(30)).expect_ok();
    let expected_version = format!("caredesk {}", env!("CARGO_PKG_VERSION"));
    assert!(
        version.stdout.contains("/usr/bin/caredesk") && version.stdout.contains(&expected_version),
        "{}",
        version.stdout
    );

    // The installed app starts and shows its window.
    let home = tempfile::tempdir().unwrap();
    installed_app_shows_its_window(home.path());

    // Purge: the package and every file it installed are gone.
    let purged = removal.run().expect_ok();
    assert!(!installed(), "{PACKAGE} is removed: {}", purged.stdout);
    let left: Vec<_> = files.iter().filter(|f| f.exists()).collect();
    assert!(left.is_empty(), "files left after purge: {left:?}");
    eprintln!(
        "package: {} ({:.1} MiB), {} files, installed by apt in {:.1} s, purged with nothing left",
        deb.display(),
        size as f64 / 1_048_576.0,
        files.len(),
        install_time.as_secs_f64()
    );
}

/// Runs `f` when dropped unless it was run already: a failing assertion still
/// removes the package it installed.
fn scopeguard<F: FnMut() -> Run>(f: F) -> Removal<F> {
    Removal(Some(f))
}

struct Removal<F: FnMut() -> Run>(Option<F>);

impl<F: FnMut() -> Run> Removal<F> {
    fn run(mut self) -> Run {
        (self.0.take().unwrap())()
    }
}

impl<F: FnMut() -> Run> Drop for Removal<F> {
    fn drop(&mut self) {
        if let Some(mut f) = self.0.take() {
            let _ = f();
        }
    }
}
