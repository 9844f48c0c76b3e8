//! The data directory's two locks.
//!
//! **Opening.** Finding or creating the instance id and the database key,
//! and creating the database, happen under `open.lock`, so two first
//! starts at once (the CLI and the app) cannot each create a key and leave
//! the database under one that is no longer stored.
//!
//! **Sending.** One sender per data directory. The process that holds `sender.lock`
//! (an OS file lock, released when the process ends, however it ends) is
//! the only one that sends, checks and syncs; any other process on the same
//! directory (the app while `caredesk sync` runs, a `caredesk send` while
//! the app is open) puts its messages in the shared outbox and the holder
//! sends them. Only the holder recovers interrupted sends, so a claim held
//! by a live process is never voided.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Seek, Write},
    path::Path,
};

pub const LOCK_FILE: &str = "sender.lock";
pub const OPEN_LOCK_FILE: &str = "open.lock";

/// Held while a desk opens (a few milliseconds; others wait).
#[derive(Debug)]
pub struct OpeningLock {
    file: File,
}

impl OpeningLock {
    pub fn acquire(data_dir: &Path) -> std::io::Result<OpeningLock> {
        let file = open_file(&data_dir.join(OPEN_LOCK_FILE))?;
        file.lock()?;
        Ok(OpeningLock { file })
    }
}

impl Drop for OpeningLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The lock, held while this value lives.
#[derive(Debug)]
pub struct SenderLock {
    file: File,
}

/// Who holds the lock, as it wrote itself into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder(pub String);

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn open_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

impl SenderLock {
    /// Takes the lock, or says who has it. `who` describes this process
    /// ("the CareDesk app", "caredesk sync").
    pub fn try_acquire(data_dir: &Path, who: &str) -> std::io::Result<Result<SenderLock, Holder>> {
        let mut file = open_file(&data_dir.join(LOCK_FILE))?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                file.rewind()?;
                write!(file, "{who} (pid {})", std::process::id())?;
                file.flush()?;
                Ok(Ok(SenderLock { file }))
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let text = text.trim();
                let holder = if text.is_empty() { "another CareDesk process".to_string() } else { text.to_string() };
                Ok(Err(Holder(holder)))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

impl SenderLock {
    /// Who holds the lock now, without taking it: `None` when nobody does.
    /// (This process's own lock counts as held.)
    pub fn holder(data_dir: &Path) -> std::io::Result<Option<Holder>> {
        let path = data_dir.join(LOCK_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let mut file = open_file(&path)?;
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                Ok(None)
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let text = text.trim();
                Ok(Some(Holder(if text.is_empty() {
                    "another CareDesk process".to_string()
                } else {
                    text.to_string()
                })))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

impl Drop for SenderLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_others_learn_who() {
        let dir = tempfile::tempdir().unwrap();
        let held = SenderLock::try_acquire(dir.path(), "caredesk sync").unwrap().unwrap();
        let other = SenderLock::try_acquire(dir.path(), "the CareDesk app").unwrap().unwrap_err();
        assert_eq!(other.0, format!("caredesk sync (pid {})", std::process::id()));
        drop(held);
        let app = SenderLock::try_acquire(dir.path(), "the CareDesk app").unwrap();
        assert!(app.is_ok(), "released when dropped");
        let held = format!("the CareDesk app (pid {})", std::process::id());
        assert_eq!(SenderLock::holder(dir.path()).unwrap(), Some(Holder(held)));
        drop(app);
        assert_eq!(SenderLock::holder(dir.path()).unwrap(), None, "asking does not take it");
        assert!(SenderLock::try_acquire(dir.path(), "caredesk sync").unwrap().is_ok());
    }
}
