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

/// The installed binary a process runs.
fn exe_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// Starts the installed app the way a user's session would, in a D-Bus
/// session and keyring of its own (`tests/support/with-keyring.sh`), so
/// nothing an earlier test left in the shared session can hold it up; finds
/// its window by title and by the binary behind the window's pid; stops it.
fn installed_app_shows_its_window(home: &Path) {
    let wrapper = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/with-keyring.sh");
    let mut app = Command::new(wrapper);
    app.arg("/usr/bin/caredesk-desktop")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("CAREDESK_KEYRING_HOME", home.join("keyring"))
        .env("CAREDESK_DATA_DIR", home.join("data"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("RUST_LOG", "warn")
        .stdout(std::fs::File::create(home.join("app.log")).unwrap())
        .stderr(std::fs::File::create(home.join("app.err")).unwrap());
    std::fs::create_dir_all(home.join("keyring")).unwrap();
    let mut session = ChildGuard::spawn(&mut app);
    let started = Instant::now();
    let (window, pid) = wait_for_window("CareDesk", &mut session, home, Duration::from_secs(90));
    eprintln!(
        "package: the installed app (pid {pid}, /usr/bin/caredesk-desktop) showed window {window} titled \"CareDesk\" after {:?}",
        started.elapsed()
    );
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while exe_of(pid).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // The app gone, dbus-run-session stops its bus (and with it the keyring
    // and accessibility daemons it started); signalled only if it does not.
    let deadline = Instant::now() + Duration::from_secs(15);
    while session.0.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    session.stop(Duration::from_secs(10));
    assert!(windows_titled("CareDesk").iter().all(|id| window_pid(id) != Some(pid)), "the window closed");
}

/// Waits for a window titled `title` whose process runs the installed
/// binary; on failure says whether the session is still running, what the
/// app printed, and which windows there are.
fn wait_for_window(title: &str, session: &mut ChildGuard, home: &Path, limit: Duration) -> (String, u32) {
    let installed = Path::new("/usr/bin/caredesk-desktop");
    let deadline = Instant::now() + limit;
    loop {
        for id in windows_titled(title) {
            if let Some(pid) = window_pid(&id).filter(|pid| exe_of(*pid).as_deref() == Some(installed)) {
                return (id, pid);
            }
        }
        let exited = session.0.as_mut().and_then(|c| c.try_wait().ok().flatten());
        if exited.is_some() || Instant::now() >= deadline {
            let tree = Command::new("xwininfo").args(["-root", "-tree"]).output().map(|o| o.stdout).unwrap_or_default();
            panic!(
                "no window titled {title:?} from {} within {limit:?} (session exit: {exited:?})\nstdout:\n{}\nstderr:\n{}\nwindows:\n{}",
                installed.display(),
                std::fs::read_to_string(home.join("app.log")).unwrap_or_default(),
                std::fs::read_to_string(home.join("app.err")).unwrap_or_default(),
                String::from_utf8_lossy(&tree)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
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
