//! The audit log's HMAC chain. Each entry stores
//! `mac = HMAC-SHA256(key, prev_mac || canonical(entry))`, where `prev_mac`
//! is the MAC of the entry before (empty for the first) and the canonical
//! encoding covers every field, the id included. The head row
//! (`audit_chain`) holds the last id and MAC under a MAC of its own, so
//! entries removed from the end show as well. The key is 256 random bits in
//! the OS keyring (`audit-key@<instance>`); whoever holds only the database
//! key can still drop the triggers and edit rows, but cannot write a MAC that
//! `caredesk audit verify` accepts.
//!
//! The writer, [`append`], runs on the caller's connection or transaction, so
//! an entry commits with the change it records or not at all.

use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{now_rfc3339, StoreError};
use crate::rules::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The fields an entry is signed over.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SignedFields<'a> {
    pub id: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub patient_id: Option<i64>,
    pub detail: &'a str,
    pub os_user: &'a str,
    pub profile: &'a str,
}

/// The audit log's signing key (256 bits), wiped on drop.
#[derive(Clone)]
pub struct AuditKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

impl AuditKey {
    /// The key as stored in the keyring: 64 hex digits.
    pub fn from_hex(secret: &Secret) -> Result<AuditKey, StoreError> {
        match hex::decode(secret.expose().trim()) {
            Ok(bytes) if bytes.len() == 32 => Ok(AuditKey(Zeroizing::new(bytes))),
            _ => Err(StoreError::AuditKeyInvalid),
        }
    }

    fn mac(&self, domain: &[u8], parts: &[&[u8]]) -> HmacSha256 {
        // A 32-byte key always fits HMAC.
        let mut m = <HmacSha256 as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(domain);
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m
    }

    /// The MAC of an entry chained to `prev`.
    pub(crate) fn entry_mac(&self, prev: &[u8], f: &SignedFields<'_>) -> Vec<u8> {
        self.entry_hmac(prev, f).finalize().into_bytes().to_vec()
    }

    /// Whether `mac` is the entry's MAC chained to `prev` (constant time).
    pub(crate) fn entry_ok(&self, prev: &[u8], f: &SignedFields<'_>, mac: &[u8]) -> bool {
        self.entry_hmac(prev, f).verify_slice(mac).is_ok()
    }

    fn entry_hmac(&self, prev: &[u8], f: &SignedFields<'_>) -> HmacSha256 {
        let patient = match f.patient_id {
            Some(p) => format!("1:{p}"),
            None => "0".to_string(),
        };
        self.mac(
            b"caredesk.audit.entry.v1",
            &[
                prev,
                &f.id.to_be_bytes(),
                f.at.as_bytes(),
                f.actor.as_bytes(),
                f.action.as_bytes(),
                patient.as_bytes(),
                f.detail.as_bytes(),
                f.os_user.as_bytes(),
                f.profile.as_bytes(),
            ],
        )
    }

    /// The head's MAC: the last entry's id and MAC.
    pub(crate) fn head_mac(&self, last_id: i64, last_mac: &[u8]) -> Vec<u8> {
        self.mac(b"caredesk.audit.head.v1", &[&last_id.to_be_bytes(), last_mac]).finalize().into_bytes().to_vec()
    }

    pub(crate) fn head_ok(&self, last_id: i64, last_mac: &[u8], mac: &[u8]) -> bool {
        self.mac(b"caredesk.audit.head.v1", &[&last_id.to_be_bytes(), last_mac]).verify_slice(mac).is_ok()
    }

    /// A fixed value only this key gives: tells "another key" apart from
    /// "changed entries".
    pub(crate) fn key_check(&self) -> Vec<u8> {
        self.mac(b"caredesk.audit.key-check.v1", &[]).finalize().into_bytes().to_vec()
    }
}

/// Who writes the entries of one open database: the key, and what every
/// entry records beside the actor.
#[derive(Debug, Clone)]
pub struct AuditSigner {
    pub key: AuditKey,
    /// The OS account running CareDesk (whoami).
    pub os_user: String,
    /// The data directory's profile: its instance id (CareDesk has no
    /// other notion of a profile).
    pub profile: String,
}

/// An entry to record.
#[derive(Debug, Clone, Copy)]
pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub patient_id: Option<i64>,
    pub detail: &'a str,
}

/// The head row: what the chain was last seen to end with.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub legacy_through: i64,
    pub key_check: Option<Vec<u8>>,
    pub last_id: Option<i64>,
    pub mac: Option<Vec<u8>>,
}

pub(crate) fn head(conn: &Connection) -> Result<Option<Head>, StoreError> {
    Ok(conn
        .query_row("SELECT legacy_through, key_check, last_id, mac FROM audit_chain WHERE id = 1", [], |r| {
            Ok(Head { legacy_through: r.get(0)?, key_check: r.get(1)?, last_id: r.get(2)?, mac: r.get(3)? })
        })
        .optional()?)
}

/// Whether the chain was ever signed (the key then must not change).
pub(crate) fn is_signed(conn: &Connection) -> Result<bool, StoreError> {
    Ok(head(conn)?.is_some_and(|h| h.last_id.is_some() || h.key_check.is_some()))
}

/// Appends an entry, chained to the last one, on `conn`: the caller's open
/// transaction (the entry then commits with the change it records), or a
/// savepoint of its own. Returns the entry's id.
pub fn append(conn: &Connection, signer: &AuditSigner, e: &NewAuditEntry<'_>) -> Result<i64, StoreError> {
    within_savepoint(conn, || {
        let last: Option<(i64, Option<Vec<u8>>)> = conn
            .query_row("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (prev_id, prev_mac) = last.unwrap_or((0, Some(Vec::new())));
        let id = prev_id + 1;
        let at = now_rfc3339();
        let fields = SignedFields {
            id,
            at: &at,
            actor: e.actor,
            action: e.action,
            patient_id: e.patient_id,
            detail: e.detail,
            os_user: &signer.os_user,
            profile: &signer.profile,
        };
        // An entry before without a MAC (added outside CareDesk) breaks the
        // chain there; `verify` names it. This one chains to nothing of it.
        let mac = signer.key.entry_mac(prev_mac.as_deref().unwrap_or_default(), &fields);
        conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, patient_id, detail, os_user, profile, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, at, e.actor, e.action, e.patient_id, e.detail, signer.os_user, signer.profile, mac],
        )?;
        conn.execute(
            "UPDATE audit_chain SET last_id = ?1, mac = ?2 WHERE id = 1",
            params![id, signer.key.head_mac(id, &mac)],
        )?;
        Ok(id)
    })
}

/// Signs the entries written before the chain existed, once: at the first
/// open with the key after the migration. Later opens change nothing (an
/// entry without a MAC added after that stays unsigned, and `verify` names
/// it). Returns how many entries were signed.
pub(crate) fn sign_legacy(conn: &Connection, key: &AuditKey) -> Result<usize, StoreError> {
    within_savepoint(conn, || {
        let Some(h) = head(conn)? else {
            // The head row was removed: nothing is signed now; verify says so.
            return Ok(0);
        };
        if h.last_id.is_some() || h.key_check.is_some() {
            return Ok(0);
        }
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, patient_id, detail, os_user, profile, mac FROM audit_log
              WHERE id <= ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([h.legacy_through], super::audit_verify::stored_row)?;
        let mut prev: Vec<u8> = Vec::new();
        let mut last_id = 0;
        let mut signed = 0;
        for row in rows {
            let row = row?;
            let mac = key.entry_mac(&prev, &row.fields());
            conn.execute("UPDATE audit_log SET mac = ?2 WHERE id = ?1 AND mac IS NULL", params![row.id, mac])?;
            prev = mac;
            last_id = row.id;
            signed += 1;
        }
        conn.execute(
            "UPDATE audit_chain SET key_check = ?1, last_id = ?2, mac = ?3 WHERE id = 1",
            params![key.key_check(), last_id, key.head_mac(last_id, &prev)],
        )?;
        Ok(signed)
    })
}

/// Runs `f` under a savepoint: inside the caller's transaction if one is
/// open, else as a transaction of its own.
pub(crate) fn within_savepoint<T, E>(conn: &Connection, f: impl FnOnce() -> Result<T, E>) -> Result<T, E>
where
    E: From<StoreError>,
{
    conn.execute_batch("SAVEPOINT caredesk_audit").map_err(StoreError::from)?;
    match f() {
        Ok(v) => {
            conn.execute_batch("RELEASE caredesk_audit").map_err(StoreError::from)?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO caredesk_audit; RELEASE caredesk_audit");
            Err(e)
        }
    }
}
