//! Process hardening: memory that holds the database key, tokens and PHI
//! must not end up in a core dump (a file any admin, crash reporter or
//! backup can read) or be readable by a debugger attached by another
//! process of the same user.

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hardened {
    /// Core dumps are off for this process and every process it starts
    /// (the limit is inherited across `exec`, so WebKit's web process too).
    pub core_dumps_off: bool,
    /// Linux: the process is not dumpable (no core, no ptrace by same-user
    /// processes, /proc/PID/mem closed to them).
    pub non_dumpable: bool,
}

/// Turns core dumps off and makes the process non-dumpable where the OS
/// offers it. Failures are reported, not raised: a desk still works.
pub fn harden_process() -> Hardened {
    Hardened { core_dumps_off: core_dumps_off(), non_dumpable: non_dumpable() }
}

/// [`harden_process`] in release builds; debug builds keep core dumps and
/// debuggers for development.
pub fn harden_release_process() -> Option<Hardened> {
    if cfg!(debug_assertions) && std::env::var_os("CAREDESK_HARDEN").is_none() {
        return None;
    }
    let h = harden_process();
    if !h.core_dumps_off || (cfg!(target_os = "linux") && !h.non_dumpable) {
        tracing::warn!(?h, "could not fully turn off core dumps for this process");
    }
    Some(h)
}

#[cfg(unix)]
fn core_dumps_off() -> bool {
    let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: setrlimit reads the struct it is given and nothing else.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) == 0 }
}

#[cfg(not(unix))]
fn core_dumps_off() -> bool {
    false
}

#[cfg(target_os = "linux")]
fn non_dumpable() -> bool {
    // SAFETY: PR_SET_DUMPABLE takes plain integers.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn non_dumpable() -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn dumpable() -> i32 {
        // SAFETY: PR_GET_DUMPABLE takes no pointers.
        unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }
    }

    fn core_limit() -> (u64, u64) {
        let mut l = libc::rlimit { rlim_cur: 1, rlim_max: 1 };
        // SAFETY: getrlimit writes into the struct it is given.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut l) }, 0);
        (l.rlim_cur, l.rlim_max)
    }

    /// Runs in a child process (this test binary again), so the test
    /// runner itself keeps its limits.
    #[test]
    fn no_core_dumps_and_not_dumpable() {
        if std::env::var_os("CAREDESK_HARDEN_CHILD").is_some() {
            let before = dumpable();
            let h = harden_process();
            println!("before={before} after={} core={:?} {h:?}", dumpable(), core_limit());
            assert_eq!(h, Hardened { core_dumps_off: true, non_dumpable: true });
            assert_eq!((dumpable(), core_limit()), (0, (0, 0)));
            return;
        }
        // This test's name as the runner knows it: its module path without the crate.
        let name = format!("{}::no_core_dumps_and_not_dumpable", module_path!().split_once("::").unwrap().1);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name.as_str(), "--nocapture"])
            .env("CAREDESK_HARDEN_CHILD", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("after=0 core=(0, 0)"), "{text}");
    }
}
