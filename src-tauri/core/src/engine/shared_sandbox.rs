//! One sandbox per data directory. The process that sends for a data
//! directory (it holds the sender lock of [`crate::desk::data_dir_lock`]: the app,
//! or `caredesk sync`) and runs the sandbox publishes where the sandbox
//! listens in `sandbox.json` there (0600, written atomically, removed on a
//! clean exit); every other CareDesk process on that directory (`caredesk
//! send`, `call`, `numbers`...) connects to that sandbox instead of starting
//! its own, so what it does shows in the app.
//!
//! A file is trusted only while its writer still holds the sender lock: a
//! file left by a process that crashed names a pid the lock no longer does,
//! and is ignored (and replaced by the next sender).

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use url::Url;

use crate::desk::data_dir_lock::{self, Holder};

pub const FILE: &str = "sandbox.json";

/// Where a running sandbox listens, as published.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Published {
    /// The writer's process id (the sender lock names it too).
    pub pid: u32,
    /// `http://127.0.0.1:PORT/`
    pub base_url: Url,
    /// `X-Sandbox-Token` of its control API.
    pub control_token: String,
}

impl Published {
    pub fn his_base_url(&self) -> Option<Url> {
        self.base_url.join("his/").ok()
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Writes `published` atomically (a private temporary file renamed over
/// the name), readable by the owner only.
pub fn publish(data_dir: &Path, published: &Published) -> std::io::Result<()> {
    let json = serde_json::to_vec(published).map_err(std::io::Error::other)?;
    let mut tmp = tempfile::Builder::new().prefix(".sandbox-").tempfile_in(data_dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(&json)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path(data_dir)).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the file if it still holds `published` (a newer sandbox of the
/// same process may have replaced it).
pub fn withdraw(data_dir: &Path, published: &Published) {
    if read_file(data_dir).as_ref() == Some(published) {
        let _ = std::fs::remove_file(path(data_dir));
    }
}

fn read_file(data_dir: &Path) -> Option<Published> {
    let bytes = std::fs::read(path(data_dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether the sender lock's holder is the process `pid`.
fn held_by(holder: &Holder, pid: u32) -> bool {
    holder.0.ends_with(&format!("(pid {pid})"))
}

/// The sandbox another live process publishes for `data_dir`, if any: the
/// file's writer holds the sender lock, and is not this process.
pub fn discover(data_dir: &Path) -> Option<Published> {
    let published = read_file(data_dir)?;
    if published.pid == std::process::id() {
        return None;
    }
    match data_dir_lock::SenderLock::holder(data_dir) {
        Ok(Some(holder)) if held_by(&holder, published.pid) => Some(published),
        Ok(_) => {
            tracing::info!("a stale sandbox.json (its writer no longer sends for this data directory) is ignored");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot check the sender lock; sandbox.json is ignored");
            None
        }
    }
}

/// The published file while it lives: removed when dropped.
#[derive(Debug)]
pub struct Publication {
    data_dir: PathBuf,
    published: Published,
}

impl Publication {
    pub fn new(data_dir: &Path, published: Published) -> std::io::Result<Publication> {
        publish(data_dir, &published)?;
        Ok(Publication { data_dir: data_dir.to_path_buf(), published })
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        withdraw(&self.data_dir, &self.published);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::data_dir_lock::SenderLock;

    fn sample(pid: u32) -> Published {
        Published { pid, base_url: Url::parse("http://127.0.0.1:4321/").unwrap(), control_token: "t0ken".into() }
    }

    /// Another process's lock, as the file's writer: a child that holds it.
    fn other_holder(dir: &Path) -> (std::process::Child, u32) {
        // `flock` on the lock file, then wait: the lock is the child's.
        let lock = dir.join(data_dir_lock::LOCK_FILE);
        // -o: the lock stays with flock(1) itself, so killing it releases it.
        let mut child = std::process::Command::new("flock")
            .arg("-o")
            .arg(&lock)
            .args(["sh", "-c", "echo \"caredesk sync (pid $PPID)\" > \"$0\"; sleep 30", lock.to_str().unwrap()])
            .spawn()
            .expect("flock(1) runs");
        let pid = child.id();
        for _ in 0..100 {
            // Held, and the holder has written its name (pid) into the file.
            if SenderLock::holder(dir).unwrap().is_some_and(|h| h.0.contains("(pid ")) {
                return (child, pid);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the child never took the lock");
    }

    #[test]
    fn written_private_and_read_back_while_its_writer_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, pid) = other_holder(dir.path());
        publish(dir.path(), &sample(pid)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(discover(dir.path()), Some(sample(pid)));
        // Its writer ends (however it ends): the lock goes, the file is stale.
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(discover(dir.path()), None, "a file whose writer no longer holds the lock is stale");
        assert!(dir.path().join(FILE).exists(), "a stale file is ignored, not removed by readers");
    }

    #[test]
    fn stale_when_another_process_holds_the_lock_or_nobody_does() {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), &sample(999_999)).unwrap();
        assert_eq!(discover(dir.path()), None, "nobody holds the lock");
        let (mut child, _pid) = other_holder(dir.path());
        assert_eq!(discover(dir.path()), None, "the lock's holder is not the file's writer");
        child.kill().unwrap();
        child.wait().unwrap();
        // This process's own file is never used to connect to itself.
        let _lock = SenderLock::try_acquire(dir.path(), "the CareDesk app").unwrap().unwrap();
        publish(dir.path(), &sample(std::process::id())).unwrap();
        assert_eq!(discover(dir.path()), None);
    }

    #[test]
    fn a_publication_is_removed_when_dropped_unless_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = Publication::new(dir.path(), sample(1)).unwrap();
        let second = Publication::new(dir.path(), sample(2)).unwrap();
        drop(first);
        assert_eq!(read_file(dir.path()), Some(sample(2)), "the newer file stays");
        drop(second);
        assert!(!dir.path().join(FILE).exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary files left");
    }
}
