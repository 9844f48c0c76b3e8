//! How every export reaches the disk, from the CLI (`-o FILE`) and the app
//! alike: a new file readable by its owner only (0600), never over an
//! existing file or through a symbolic link at its name, and never seen
//! half-written under its final name.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use crate::rules::error::CoreError;

/// Writes `bytes` to the new file `path`: a private temporary file in the
/// same folder (tempfile creates it 0600 with `O_EXCL`), synced, then linked
/// to `path` without replacing anything (`persist_noclobber`: `link(2)` or
/// `renameat2(RENAME_NOREPLACE)`, which fail on any existing name, a
/// symbolic link included, and do not follow it). `AlreadyExists` if `path`
/// is taken.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Checked first only for a clearer error; the link below is what refuses.
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the file exists"));
    }
    let mut tmp = tempfile::Builder::new().prefix(".caredesk-export-").tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_new_private`] with an error that says what to do.
pub fn write_export(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    write_new_private(path, bytes).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CoreError::Io(format!(
            "{} already exists: exports never replace a file (choose a new name)",
            path.display()
        )),
        _ => CoreError::Io(format!("cannot write {}: {e}", path.display())),
    })
}

/// The folder exports go to: `export.dir` when set (it must be absolute),
/// else `default`. Created private (0700) if missing.
pub fn export_dir(setting: Option<String>, default: PathBuf) -> Result<PathBuf, CoreError> {
    let dir = match setting {
        Some(d) => {
            let d = PathBuf::from(d);
            if !d.is_absolute() {
                return Err(CoreError::Io(format!("export.dir {}: {RELATIVE}", d.display())));
            }
            d
        }
        None => default,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| CoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// Why a relative export folder is refused (config validation says the same).
pub use crate::rules::config::RELATIVE_FOLDER as RELATIVE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_private_file_and_never_over_an_existing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        write_export(&path, b"one").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let e = write_export(&path, b"two").unwrap_err().to_string();
        assert!(e.contains("already exists"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"one", "the existing file is untouched");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["report.csv"], "no temporary file left");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_at_the_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let link = dir.path().join("report.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(write_export(&link, b"evil").is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(write_export(&dangling, b"evil").is_err());
        assert!(!dir.path().join("nowhere").exists(), "a dangling link's target is not created");
    }

    #[test]
    fn export_folders_must_be_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let e = export_dir(Some("exports".into()), dir.path().into()).unwrap_err().to_string();
        assert!(e.contains("absolute"), "{e}");
        let made = export_dir(Some(dir.path().join("a/b").display().to_string()), dir.path().into()).unwrap();
        assert!(made.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&made).unwrap().permissions().mode() & 0o777, 0o700);
        }
        assert_eq!(export_dir(None, dir.path().into()).unwrap(), dir.path());
    }
}
