//! `caredesk backup`, `restore` and `rekey`: the database key's safety net.

use std::{
    io::{IsTerminal, Read},
    path::{Path, PathBuf},
};

use caredesk_core::{desk::backup, desk::secrets::Secret, desk::Desk, desk::DeskOptions, rules::error::CoreError};

use crate::output::line;

/// The passphrase from standard input (the first line).
fn read_passphrase(prompt: &str) -> Result<Secret, CoreError> {
    if std::io::stdin().is_terminal() {
        eprintln!("{prompt}, then press Enter and Ctrl+D:");
    }
    let mut buf = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|e| CoreError::Io(format!("cannot read the passphrase from standard input: {e}")))?;
    Ok(Secret::new(buf.lines().next().unwrap_or_default().to_string()))
}

pub fn backup(desk: &Desk, file: &Path) -> Result<(), CoreError> {
    let passphrase = read_passphrase(&format!(
        "Choose a passphrase for the backup (at least {} characters; without it the backup cannot be read)",
        backup::MIN_PASSPHRASE_CHARS
    ))?;
    let made = backup::backup(desk, file, &passphrase)?;
    line(format!(
        "backup written to {} ({} bytes: {} patients, {} messages), encrypted under the passphrase",
        made.path, made.bytes, made.patients, made.messages
    ));
    Ok(())
}

pub fn restore(data_dir: Option<PathBuf>, file: &Path) -> Result<(), CoreError> {
    let passphrase = read_passphrase("Enter the backup's passphrase")?;
    let desk = Desk::restore(DeskOptions { data_dir, ..Default::default() }, file, &passphrase)?;
    line(format!(
        "restored {} into {} ({} patients), under a new key in this OS keyring",
        file.display(),
        desk.data_dir().display(),
        desk.db().patient_count().map_err(CoreError::from)?
    ));
    Ok(())
}

pub fn rekey(mut desk: Desk) -> Result<(), CoreError> {
    desk.set_role("caredesk rekey");
    backup::rekey(&mut desk)?;
    line("the database is encrypted under a new key, stored in the OS keyring");
    Ok(())
}
