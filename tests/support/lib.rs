//! Shared support for CareDesk's integration and end-to-end suites: finding
//! the built binaries, running them with a time limit, and stopping every
//! process a test starts.

pub mod desktop_session;
pub mod fault_proxy;
pub mod fhir;
pub mod pg;
pub mod team;
pub mod team_desks;

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// The desk's time zone in the chaos and crash suites: away from every
/// sandbox profile's server zone.
pub const DESK_TZ: &str = "America/Los_Angeles";

/// `target/debug` (or whichever profile built this test).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test>-<hash>
    exe.parent().and_then(Path::parent).expect("target profile dir").to_path_buf()
}

/// A built binary of the workspace; the README's test command builds them
/// before the suites run.
pub fn binary(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build --workspace --features caredesk-desktop/custom-protocol)",
        path.display()
    );
    path
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
    #[track_caller]
    pub fn expect_ok(self) -> Run {
        assert!(self.ok(), "command failed ({:?})\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }
    #[track_caller]
    pub fn expect_err(self) -> Run {
        assert!(!self.ok(), "command should have failed\nstdout:\n{}", self.stdout);
        self
    }
}

/// Runs `cmd` to completion, feeding `stdin`; kills it after `limit`. Its
/// output is read while it runs, so a command that prints more than a pipe
/// holds (64 KiB) does not wait for a reader forever.
pub fn run_with_limit(mut cmd: Command, stdin: Option<&str>, limit: Duration) -> Run {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = ChildGuard::spawn(&mut cmd);
    if let Some(input) = stdin {
        let mut pipe = child.0.as_mut().unwrap().stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.0.as_mut().unwrap().stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = drain(child.0.as_mut().unwrap().stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.0.as_mut().unwrap().try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    child.0.take();
    let out = Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() };
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// A child process that is stopped when the guard drops: SIGTERM first
/// (tauri-driver must get SIGTERM to stop its WebKitWebDriver), then SIGKILL
/// after a grace period.
pub struct ChildGuard(pub Option<Child>);

impl ChildGuard {
    pub fn spawn(cmd: &mut Command) -> ChildGuard {
        ChildGuard(Some(cmd.spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))))
    }

    pub fn id(&self) -> u32 {
        self.0.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Kills the process at once (SIGKILL: no chance to clean up, as in a
    /// crash or a power cut) and reaps it.
    pub fn kill_now(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}

/// The `caredesk` CLI on a data directory.
pub struct Cli {
    pub data_dir: PathBuf,
    /// Set in the CLI's environment (another desktop session's D-Bus and keyring).
    env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(data_dir: &Path) -> Cli {
        Cli { data_dir: data_dir.to_path_buf(), env: Vec::new() }
    }

    /// The same CLI with `vars` in its environment.
    pub fn with_env(mut self, vars: &[(String, String)]) -> Cli {
        self.env.extend(vars.iter().cloned());
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary("caredesk"));
        c.arg("--data-dir").arg(&self.data_dir).args(args).env_remove("CAREDESK_DATA_DIR");
        c.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_with_limit(self.command(args), None, Duration::from_secs(60))
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        run_with_limit(self.command(args), Some(stdin), Duration::from_secs(60))
    }

    pub fn ok(&self, args: &[&str]) -> Run {
        self.run(args).expect_ok()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout))
    }
}

/// A seeded xorshift64*: kill points and other random choices of a suite
/// repeat from run to run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// Starts `cli` with `args`, its output appended to `log`.
pub fn spawn_logged(cli: &Cli, args: &[&str], log: &Path) -> ChildGuard {
    let out = std::fs::File::options().create(true).append(true).open(log).unwrap();
    let err = out.try_clone().unwrap();
    let mut cmd = cli.command(args);
    cmd.stdin(Stdio::null()).stdout(Stdio::from(out)).stderr(Stdio::from(err));
    ChildGuard::spawn(&mut cmd)
}

/// SIGKILL, as in a crash; true when the process was still running.
pub fn kill_running(guard: &mut ChildGuard) -> bool {
    let Some(mut child) = guard.0.take() else { return false };
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

/// Turns quiet hours (`sms.quiet_hours`, on by default: 08:00-21:00 in the
/// recipient's zone) off on `cli`'s data directory, so a test that sends
/// does not depend on the hour it runs at. The quiet-hours tests leave
/// them on.
pub fn quiet_hours_off(cli: &Cli) {
    cli.ok(&["config", "set", "sms.quiet_hours", "off"]);
}

/// Ana Lopez (ECM 1001) and Ben Carter (ECM 1002).
pub const TWO_PATIENTS: &str = "ecm_patient_id,name,phone\n1001,Ana Lopez,+18055550100\n1002,Ben Carter,+18055550102\n";

/// A CLI on a fresh data directory (`dir/data`) with the sandbox `sim` as
/// its real servers (bearer tokens, 5 s timeout) and [`TWO_PATIENTS`].
pub fn configured_cli(sim: &Sim, dir: &Path) -> Cli {
    configure(sim, dir, Cli::new(&dir.join("data")))
}

/// [`configured_cli`] for a given CLI (its data directory and environment).
pub fn configure(sim: &Sim, dir: &Path, cli: Cli) -> Cli {
    use caredesk_core::sandbox::{self, magic};
    require_keyring();
    let h = sim.h();
    quiet_hours_off(&cli);
    cli.ok(&["config", "set", "his.base_url", h.his_base_url().as_str()]);
    cli.ok(&["config", "set", "his.from", magic::HOSPITAL_NUMBER]);
    cli.ok(&["config", "set", "ecm.base_url", h.ecm_base_url().as_str()]);
    cli.ok(&["config", "set", "http.timeout_secs", "5"]);
    cli.run_stdin(&["credentials", "set", "his-token"], sandbox::SANDBOX_HIS_TOKEN).expect_ok();
    cli.run_stdin(&["credentials", "set", "ecm-token"], sandbox::SANDBOX_ECM_TOKEN).expect_ok();
    let roster = write_file(dir, "roster.csv", TWO_PATIENTS);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);
    cli
}

/// Writes `content` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Every byte of every file under `dir`, with its path.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, bytes));
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && haystack.windows(n.len()).any(|w| w == n)
}

/// Whether a real Secret Service is reachable (the suites run inside
/// `tests/support/with-keyring.sh`). Tests that need one fail with a clear
/// message when it is not.
#[track_caller]
pub fn require_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a real Secret Service: run it through tests/support/with-keyring.sh (the README's test command does)"
    );
}

/// A roster with distinctive names and numbers, to look for in files.
pub const ROSTER_CSV: &str = "\
ecm_patient_id,name,phone,contact_name,contact_relationship,contact_phone
9101,Zebulon Quixotic,(805) 555-0142,Ximena Quixotic,daughter,805-555-0143
9102,Philomena Farnsworth,+14155550177,,,
9102,Philomena Farnsworth,+14155550177,Bartholomew Farnsworth,caregiver,415 555 0178
,Broken Number,12345,,,
9104,,8055550144,,,
";

/// A sandbox served by its own runtime while a test drives the CLI against
/// it over loopback HTTP; shut down when dropped.
pub struct Sim {
    pub rt: tokio::runtime::Runtime,
    handle: Option<caredesk_core::sandbox::SandboxHandle>,
}

impl Sim {
    pub fn start(options: caredesk_core::sandbox::SandboxOptions) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let handle = rt.block_on(caredesk_core::sandbox::Sandbox::start(options)).unwrap();
        Sim { rt, handle: Some(handle) }
    }

    pub fn h(&self) -> &caredesk_core::sandbox::SandboxHandle {
        self.handle.as_ref().expect("the sandbox runs until dropped")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.shutdown());
        }
    }
}
