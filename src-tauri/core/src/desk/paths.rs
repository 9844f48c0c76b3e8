//! Where CareDesk keeps its data: the OS data directory unless `--data-dir`
//! or `CAREDESK_DATA_DIR` says otherwise.

use std::path::{Path, PathBuf};

pub const DATA_DIR_ENV: &str = "CAREDESK_DATA_DIR";
pub const DATABASE_FILE: &str = "caredesk.db";
/// A random, non-secret id of this data directory. Keyring entries are named
/// after it, so several data directories (a test's, a second clinic's) never
/// share a database key, and moving the directory keeps its key.
pub const INSTANCE_ID_FILE: &str = "instance-id";

/// The data directory: the explicit one, else `CAREDESK_DATA_DIR`, else the
/// OS data directory (`~/.local/share/caredesk` on Linux).
pub fn resolve_data_dir(explicit: Option<&Path>) -> Result<PathBuf, std::io::Error> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "CareDesk", "caredesk").map(|p| p.data_dir().to_path_buf()).ok_or_else(|| {
        std::io::Error::other("cannot find the OS data directory; pass --data-dir or set CAREDESK_DATA_DIR")
    })
}

/// Reads the instance id of `dir`, creating it on first use.
pub fn instance_id(dir: &Path) -> Result<String, std::io::Error> {
    let file = dir.join(INSTANCE_ID_FILE);
    match std::fs::read_to_string(&file) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let id = uuid::Uuid::new_v4().to_string();
    std::fs::write(&file, &id)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_wins() {
        let d = resolve_data_dir(Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(d, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn instance_id_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = instance_id(dir.path()).unwrap();
        let b = instance_id(dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 36);
    }
}
