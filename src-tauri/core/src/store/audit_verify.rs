//! Checks the audit log's HMAC chain (see [`super::audit_chain`]) and names
//! the first entry that was changed, removed or reordered.

use rusqlite::Connection;

use super::{
    audit_chain::{self, AuditKey, SignedFields},
    StoreError,
};

/// What the check found first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AuditProblem {
    /// The key in the keyring is not the one that signed this log.
    OtherKey,
    /// The entry's contents do not match its MAC.
    Changed { id: i64 },
    /// The entry has no MAC: written outside CareDesk.
    Unsigned { id: i64 },
    /// The entry is missing: the next one chains to an entry not there.
    Removed { id: i64 },
    /// The entry holds what was signed as entry `was`.
    Reordered { id: i64, was: i64 },
    /// Entries from `id` on are missing from the end (the head says the
    /// log ended at `last`).
    RemovedAtEnd { id: i64, last: i64 },
    /// The chain's head row is missing or was changed.
    HeadChanged,
}

impl AuditProblem {
    /// The first bad entry's id, when the problem is one entry's.
    pub fn entry_id(&self) -> Option<i64> {
        match self {
            AuditProblem::Changed { id }
            | AuditProblem::Unsigned { id }
            | AuditProblem::Removed { id }
            | AuditProblem::Reordered { id, .. }
            | AuditProblem::RemovedAtEnd { id, .. } => Some(*id),
            AuditProblem::OtherKey | AuditProblem::HeadChanged => None,
        }
    }
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditProblem::OtherKey => {
                f.write_str("the audit key in the keyring did not sign this log (the keyring entry was replaced)")
            }
            AuditProblem::Changed { id } => write!(f, "entry {id} was changed: its contents do not match its MAC"),
            AuditProblem::Unsigned { id } => write!(f, "entry {id} has no MAC: it was written outside CareDesk"),
            AuditProblem::Removed { id } => write!(f, "entry {id} was removed: the entry after it chains to it"),
            AuditProblem::Reordered { id, was } => {
                write!(f, "entry {id} was reordered: it holds what was signed as entry {was}")
            }
            AuditProblem::RemovedAtEnd { id, last } => {
                write!(f, "entry {id} was removed: the log ended at entry {last}, entries from {id} on are missing")
            }
            AuditProblem::HeadChanged => f.write_str("the audit chain's head was removed or changed"),
        }
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditVerification {
    /// Entries checked.
    pub entries: usize,
    pub problem: Option<AuditProblem>,
}

/// One stored row.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    pub id: i64,
    at: String,
    actor: String,
    action: String,
    patient_id: Option<i64>,
    detail: String,
    os_user: String,
    profile: String,
    pub mac: Option<Vec<u8>>,
}

impl StoredRow {
    pub(crate) fn fields(&self) -> SignedFields<'_> {
        self.fields_as(self.id)
    }

    fn fields_as(&self, id: i64) -> SignedFields<'_> {
        SignedFields {
            id,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            patient_id: self.patient_id,
            detail: &self.detail,
            os_user: &self.os_user,
            profile: &self.profile,
        }
    }
}

pub(crate) fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        patient_id: r.get(4)?,
        detail: r.get(5)?,
        os_user: r.get(6)?,
        profile: r.get(7)?,
        mac: r.get(8)?,
    })
}

/// Walks the log in id order and checks every MAC against the one before,
/// then the head.
pub fn verify(conn: &Connection, key: &AuditKey) -> Result<AuditVerification, StoreError> {
    let rows: Vec<StoredRow> = conn
        .prepare("SELECT id, at, actor, action, patient_id, detail, os_user, profile, mac FROM audit_log ORDER BY id")?
        .query_map([], stored_row)?
        .collect::<Result<_, _>>()?;
    let entries = rows.len();
    let found = |problem| Ok(AuditVerification { entries, problem: Some(problem) });
    let head = audit_chain::head(conn)?;
    if let Some(check) = head.as_ref().and_then(|h| h.key_check.as_ref()) {
        if *check != key.key_check() {
            return found(AuditProblem::OtherKey);
        }
    }
    let mut prev: &[u8] = &[];
    let mut prev_id = 0;
    for (i, row) in rows.iter().enumerate() {
        let Some(mac) = row.mac.as_deref() else {
            return found(AuditProblem::Unsigned { id: row.id });
        };
        if !key.entry_ok(prev, &row.fields(), mac) {
            return found(diagnose(key, &rows, i, prev_id));
        }
        prev = mac;
        prev_id = row.id;
    }
    let Some(head) = head else {
        return found(AuditProblem::HeadChanged);
    };
    match (head.last_id, head.mac.as_deref()) {
        // Never signed: a database whose log was never opened with the key.
        (None, None) if rows.is_empty() => {}
        // The head's MAC covers the last entry's MAC, gone with it: a head
        // past the end is a removal (or a changed head, tampering as well).
        (Some(last), Some(_)) if last > prev_id => {
            return found(AuditProblem::RemovedAtEnd { id: prev_id + 1, last });
        }
        (Some(last), Some(mac)) if last == prev_id && key.head_ok(last, prev, mac) => {}
        _ => return found(AuditProblem::HeadChanged),
    }
    Ok(AuditVerification { entries, problem: None })
}

/// Why row `i` fails, given the entry before it was `prev_id`: a gap in the
/// ids is a removal; contents signed for another position are a reorder;
/// anything else a change.
fn diagnose(key: &AuditKey, rows: &[StoredRow], i: usize, prev_id: i64) -> AuditProblem {
    let row = &rows[i];
    if row.id > prev_id + 1 {
        return AuditProblem::Removed { id: prev_id + 1 };
    }
    let mac = row.mac.as_deref().unwrap_or_default();
    let mac_at = |j: usize| rows.get(j).and_then(|r| r.mac.as_deref()).unwrap_or_default();
    for (j, other) in rows.iter().enumerate() {
        if j == i {
            continue;
        }
        // Signed as entry `other.id`: chained to the entry before that
        // position, or (two neighbours swapped) to the one now in it.
        let before: &[u8] = if j == 0 { &[] } else { mac_at(j - 1) };
        let fields = row.fields_as(other.id);
        if key.entry_ok(before, &fields, mac) || key.entry_ok(mac_at(j), &fields, mac) {
            return AuditProblem::Reordered { id: row.id, was: other.id };
        }
    }
    AuditProblem::Changed { id: row.id }
}
