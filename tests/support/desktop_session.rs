//! A second desktop session for a test that runs two apps at once: a D-Bus
//! session bus of its own (the app is single-instance per bus) and an
//! unlocked gnome-keyring on it, with its own folder (a desk's keys are not
//! the other desk's). Pass [`DesktopSession::env`] to whatever must run in
//! it (the CLI that stores the desk's secrets, tauri-driver and so the
//! app). The bus stops when the guard drops, and the keyring with it.

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::ChildGuard;

/// The keyring's password (as `with-keyring.sh` uses).
const KEYRING_PASSWORD: &str = "caredesk-test";

pub struct DesktopSession {
    bus: ChildGuard,
    address: String,
    data_home: PathBuf,
}

impl DesktopSession {
    /// Starts a session bus and a keyring whose files live under `dir`.
    pub fn start(dir: &Path) -> DesktopSession {
        let data_home = dir.join("xdg-data");
        std::fs::create_dir_all(&data_home).unwrap();
        let mut cmd = Command::new("dbus-daemon");
        cmd.args(["--session", "--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut bus = ChildGuard::spawn(&mut cmd);
        let stdout = bus.0.as_mut().and_then(|c| c.stdout.take()).expect("dbus-daemon's output");
        let mut address = String::new();
        BufReader::new(stdout).read_line(&mut address).expect("dbus-daemon prints its address");
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon gave no address: {address:?}");
        let session = DesktopSession { bus, address, data_home };
        // It forks its daemon and exits; its output is not read (the daemon may keep it open).
        // Its control socket goes in a folder of its own: inheriting the outer session's
        // GNOME_KEYRING_CONTROL would make it take over (and, when it leaves, remove) the
        // outer keyring's control socket, and the outer keyring would quit under later tests.
        let runtime = dir.join("xdg-runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let mut keyring = Command::new("gnome-keyring-daemon");
        keyring
            .args(["--unlock", "--components=secrets"])
            .envs(session.env())
            .env_remove("GNOME_KEYRING_CONTROL")
            .env_remove("SSH_AUTH_SOCK")
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut unlock = ChildGuard::spawn(&mut keyring);
        let child = unlock.0.as_mut().expect("gnome-keyring-daemon");
        child.stdin.take().expect("its input").write_all(KEYRING_PASSWORD.as_bytes()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "gnome-keyring-daemon --unlock did not finish in 30 s");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "gnome-keyring-daemon --unlock failed: {status}");
        session
    }

    /// The environment that puts a process in this session.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("XDG_DATA_HOME".into(), self.data_home.display().to_string()),
            ("NO_AT_BRIDGE".into(), "1".into()),
        ]
    }

    /// Stops the bus (the keyring daemon leaves with it).
    pub fn stop(&mut self) {
        self.bus.stop(Duration::from_secs(5));
    }
}

impl Drop for DesktopSession {
    fn drop(&mut self) {
        self.stop();
    }
}
