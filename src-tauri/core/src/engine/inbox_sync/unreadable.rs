//! Messages of a Get SMS page that could not be read: skipped, kept in the
//! database to be read again at every poll, listed in the sync status, and
//! forgotten once read (a later copy, or a newer CareDesk).

use crate::{
    gateways::his::{
        read::Unreadable,
        wire::{HisMessage, MessageType},
    },
    store::{Database, StoreError},
};

/// A stable key for a message that had no `Id`: `raw:` and a hash of its
/// JSON (FNV-1a, the same in every build).
fn unreadable_key(u: &Unreadable) -> String {
    match &u.id {
        Some(id) => id.clone(),
        None => {
            let hash = u
                .raw
                .to_string()
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
            format!("raw:{hash:016x}")
        }
    }
}

/// Records the messages of a page that could not be read (skipped, kept to
/// be read again) and forgets those now read; returns how many are skipped.
pub fn record_unreadable(
    db: &Database,
    kind: MessageType,
    read: &[HisMessage],
    unreadable: &[Unreadable],
) -> Result<usize, StoreError> {
    let kind = kind.as_str();
    for u in unreadable {
        tracing::warn!(kind, his_id = ?u.id, reason = %u.reason, "skipped a message CareDesk cannot read; it is kept and read again");
        db.record_unreadable(kind, &unreadable_key(u), &u.reason, &u.raw.to_string())?;
    }
    if !db.unreadable_raw(kind)?.is_empty() {
        for m in read {
            if db.forget_unreadable(kind, &m.id.to_string())? {
                tracing::info!(kind, his_id = m.id, "a message that could not be read before is now stored");
            }
        }
    }
    Ok(unreadable.len())
}

/// The kept messages of `kind` that can be read now (after an update of
/// CareDesk); they are applied with the next page.
pub fn readable_again(db: &Database, kind: MessageType) -> Result<Vec<HisMessage>, StoreError> {
    let mut out = Vec::new();
    for (key, raw) in db.unreadable_raw(kind.as_str())? {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&raw) else { continue };
        if let Ok(m) = crate::gateways::his::read::message(&value, kind) {
            if key.starts_with("raw:") {
                db.forget_unreadable(kind.as_str(), &key)?;
            }
            out.push(m);
        }
    }
    Ok(out)
}
