//! The FHIR write-back queue (`fhir_writes`, migration 0020): one row per
//! text or call, added and made due again by triggers in the transaction
//! that stores the text or changes its state. A worker *claims* a due row
//! (a token and a time limit, taken in one statement, so two workers never
//! hold one row), reads what to write, and records the result only while
//! its claim holds, for the revision it read: a change made meanwhile
//! leaves the row due. Also the conversations' Encounters
//! (`fhir_encounters`) and each item's mark for the thread view.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use super::{Database, StoreError};
use crate::rules::fhir::{roster::RosterRelatedPerson, writeback::Participants};

/// A text or a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Message,
    Call,
}

impl WriteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Message => "message",
            WriteKind::Call => "call",
        }
    }
}

/// A row a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteClaim {
    pub id: i64,
    pub kind: WriteKind,
    pub item_id: i64,
    pub revision: i64,
    pub token: i64,
    pub attempts: i64,
    /// The Communication written before (a state change updates it).
    pub fhir_id: Option<String>,
    pub version_id: Option<String>,
}

/// What a claimed text or call is, read for its Communication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteItem {
    pub kind: WriteKind,
    /// The team gid, else `local-<id>`: `Communication.identifier.value`.
    pub stable_id: String,
    pub outbound: bool,
    pub state: String,
    pub error_code: Option<String>,
    pub created_at: String,
    /// A text's body; a call has none.
    pub text: Option<String>,
    /// The patient's side: the number texted or called (the one an override
    /// number stood in for), or the one that wrote.
    pub number: String,
    pub patient_id: Option<i64>,
    /// `Patient.id` on the FHIR server, for a patient it manages.
    pub patient_fhir_id: Option<String>,
    /// `RelatedPerson.id` whose number `number` is, if any.
    pub related_person: Option<String>,
}

/// A conversation's Encounter as last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncounterRow {
    pub fhir_id: String,
    pub version_id: Option<String>,
    pub participants: Participants,
}

/// The queue, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    pub pending: usize,
    /// Of the pending, those that failed at least once (waiting to retry).
    pub retrying: usize,
    pub failed: usize,
    pub written: usize,
    pub skipped: usize,
}

/// A text's or call's standing on the FHIR server, for the "recorded in
/// FHIR" mark of the thread view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "FhirMark")]
pub struct FhirMark {
    /// `recorded` (the server has it as it is now), `pending` (to write,
    /// or to write again after a change), `failed` (the server refused it:
    /// `reason` says why) or `skipped` (nothing to write: `reason` says why,
    /// e.g. the patient is not on the FHIR server).
    pub state: String,
    #[ts(optional = nullable)]
    pub reason: Option<String>,
    /// `Communication/<id>` once written.
    #[ts(optional = nullable)]
    pub reference: Option<String>,
}

/// Why nothing is written for a patient CareDesk has from elsewhere.
pub const NOT_ON_SERVER: &str = "patient not on the FHIR server";
/// Why nothing is written for a text from (or to) an unknown number.
pub const NO_PATIENT: &str = "no patient: an unmatched number";

impl Database {
    /// Claims the oldest due row (a text still queued waits: it may be
    /// undone) for `token` until `until`; `None` when nothing is due.
    pub fn claim_fhir_write(&self, now: &str, until: &str, token: i64) -> Result<Option<WriteClaim>, StoreError> {
        let row = self
            .conn
            .query_row(
                "UPDATE fhir_writes SET claim_token = ?3, claimed_until = ?2
                  WHERE id = (SELECT w.id FROM fhir_writes w
                               WHERE w.state = 'pending'
                                 AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= ?1)
                                 AND (w.claimed_until IS NULL OR w.claimed_until <= ?1)
                                 AND NOT (w.kind = 'message' AND EXISTS
                                      (SELECT 1 FROM messages m WHERE m.id = w.item_id AND m.state = 'queued'))
                               ORDER BY w.id LIMIT 1)
                 RETURNING id, kind, item_id, revision, attempts, fhir_id, version_id",
                params![now, until, token],
                |r| {
                    let kind: String = r.get(1)?;
                    Ok(WriteClaim {
                        id: r.get(0)?,
                        kind: if kind == "call" { WriteKind::Call } else { WriteKind::Message },
                        item_id: r.get(2)?,
                        revision: r.get(3)?,
                        token,
                        attempts: r.get(4)?,
                        fhir_id: r.get(5)?,
                        version_id: r.get(6)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Voids every claim: the process that drains the queue is the one
    /// that sends for the data directory, so a claim it did not take is
    /// from a process that is gone.
    pub fn release_fhir_claims(&self) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE fhir_writes SET claim_token = NULL, claimed_until = NULL WHERE claim_token IS NOT NULL",
            [],
        )?)
    }

    /// What to write for a claimed row; `None` when the text or call is gone.
    pub fn fhir_write_item(&self, claim: &WriteClaim) -> Result<Option<WriteItem>, StoreError> {
        let sql = match claim.kind {
            WriteKind::Message => {
                "SELECT m.gid, m.direction, m.state, m.error_code, m.created_at, m.body,
                        CASE m.direction WHEN 'outbound' THEN COALESCE(m.intended_to, m.to_number) ELSE m.from_number END,
                        m.patient_id, p.fhir_id, p.fhir_status
                   FROM messages m LEFT JOIN patients p ON p.id = m.patient_id WHERE m.id = ?1"
            }
            WriteKind::Call => {
                "SELECT c.gid, c.direction, c.status, NULL, c.created_at, NULL,
                        CASE c.direction WHEN 'outbound' THEN c.to_number ELSE COALESCE(c.from_number, c.to_number) END,
                        c.patient_id, p.fhir_id, p.fhir_status
                   FROM calls c LEFT JOIN patients p ON p.id = c.patient_id WHERE c.id = ?1"
            }
        };
        let row = self
            .conn
            .query_row(sql, [claim.item_id], |r| {
                let gid: Option<String> = r.get(0)?;
                let fhir_status: Option<String> = r.get(9)?;
                Ok(WriteItem {
                    kind: claim.kind,
                    stable_id: gid.unwrap_or_else(|| format!("local-{}", claim.item_id)),
                    outbound: r.get::<_, String>(1)? == "outbound",
                    state: r.get(2)?,
                    error_code: r.get(3)?,
                    created_at: r.get(4)?,
                    text: r.get(5)?,
                    number: r.get(6)?,
                    patient_id: r.get(7)?,
                    // A patient the server no longer manages is not written to.
                    patient_fhir_id: r.get::<_, Option<String>>(8)?.filter(|_| fhir_status.is_some()),
                    related_person: None,
                })
            })
            .optional()?;
        let Some(mut item) = row else { return Ok(None) };
        if let Some(fhir_id) = &item.patient_fhir_id {
            item.related_person = self.related_person_of(fhir_id, &item.number)?;
        }
        Ok(Some(item))
    }

    /// The active RelatedPerson of Patient `fhir_id` with `number`.
    fn related_person_of(&self, fhir_id: &str, number: &str) -> Result<Option<String>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT record FROM fhir_resources WHERE type = 'RelatedPerson' AND patient = ?1 AND state = 'active' ORDER BY id",
        )?;
        let records = q.query_map([fhir_id], |r| r.get::<_, Option<String>>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(records
            .iter()
            .flatten()
            .filter_map(|r| serde_json::from_str::<RosterRelatedPerson>(r).ok())
            .find(|rp| rp.numbers.iter().any(|n| n.number.as_str() == number))
            .and_then(|rp| rp.id))
    }

    /// The Encounter of a patient's conversation, once written.
    pub fn fhir_encounter(&self, patient_id: i64) -> Result<Option<EncounterRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT fhir_id, version_id, participants, others FROM fhir_encounters WHERE patient_id = ?1",
                [patient_id],
                |r| {
                    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
                    Ok(EncounterRow {
                        fhir_id: r.get(0)?,
                        version_id: r.get(1)?,
                        participants: Participants { participants: list(r.get(2)?), others: list(r.get(3)?) },
                    })
                },
            )
            .optional()?)
    }

    pub fn put_fhir_encounter(&self, patient_id: i64, row: &EncounterRow, now: &str) -> Result<(), StoreError> {
        let json = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
        self.conn.execute(
            "INSERT INTO fhir_encounters (patient_id, fhir_id, version_id, participants, others, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (patient_id) DO UPDATE SET fhir_id = excluded.fhir_id, version_id = excluded.version_id,
                participants = excluded.participants, others = excluded.others, updated_at = excluded.updated_at",
            params![
                patient_id,
                row.fhir_id,
                row.version_id,
                json(&row.participants.participants),
                json(&row.participants.others),
                now
            ],
        )?;
        Ok(())
    }

    /// Points the write-back at the server `base_url`: when it is another
    /// one than last time, the Encounters remembered (the old server's) are
    /// forgotten, so each conversation gets its Encounter there. Whether it changed.
    pub fn fhir_write_target(&self, base_url: &str) -> Result<bool, StoreError> {
        let key = "write_base_url";
        let old: Option<String> =
            self.conn.query_row("SELECT value FROM fhir_sync WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        if old.as_deref() == Some(base_url) {
            return Ok(false);
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM fhir_encounters", [])?;
        tx.execute(
            "INSERT INTO fhir_sync (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, base_url],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// The write is done for the revision the claim read (a later change
    /// leaves the row due). Whether the claim still held.
    pub fn fhir_write_done(
        &self,
        claim: &WriteClaim,
        fhir_id: &str,
        version_id: Option<&str>,
        encounter_id: Option<&str>,
        now: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE fhir_writes SET state = CASE WHEN revision = ?3 THEN 'written' ELSE 'pending' END,
                    written_revision = ?3, fhir_id = ?4, version_id = ?5, encounter_id = COALESCE(?6, encounter_id),
                    written_at = ?7, updated_at = ?7, attempts = 0, next_attempt_at = NULL,
                    last_error = NULL, last_error_code = NULL, claim_token = NULL, claimed_until = NULL
              WHERE id = ?1 AND claim_token = ?2",
            params![claim.id, claim.token, claim.revision, fhir_id, version_id, encounter_id, now],
        )? > 0)
    }

    /// A failure worth another try at `next_at`.
    pub fn fhir_write_retry(
        &self,
        claim: &WriteClaim,
        code: &str,
        error: &str,
        next_at: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE fhir_writes SET attempts = attempts + 1, last_error = ?3, last_error_code = ?4,
                    next_attempt_at = ?5, updated_at = ?6, claim_token = NULL, claimed_until = NULL
              WHERE id = ?1 AND claim_token = ?2",
            params![claim.id, claim.token, error, code, next_at, now],
        )? > 0)
    }

    /// The row ends `failed` (a permanent refusal) or `skipped` (nothing to
    /// write) with `reason`, unless the text changed meanwhile.
    pub fn fhir_write_stop(
        &self,
        claim: &WriteClaim,
        state: &str,
        code: Option<&str>,
        reason: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        debug_assert!(state == "failed" || state == "skipped");
        Ok(self.conn.execute(
            "UPDATE fhir_writes SET state = CASE WHEN revision = ?3 THEN ?4 ELSE 'pending' END,
                    attempts = attempts + (?4 = 'failed'), last_error = ?5, last_error_code = ?6,
                    next_attempt_at = NULL, updated_at = ?7, claim_token = NULL, claimed_until = NULL
              WHERE id = ?1 AND claim_token = ?2",
            params![claim.id, claim.token, claim.revision, state, reason, code, now],
        )? > 0)
    }

    /// Failed writes are due again (`caredesk fhir retry`). How many.
    pub fn retry_failed_fhir_writes(&self, now: &str) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE fhir_writes SET state = 'pending', attempts = 0, next_attempt_at = NULL, updated_at = ?1
              WHERE state = 'failed'",
            [now],
        )?)
    }

    pub fn fhir_write_counts(&self) -> Result<WriteCounts, StoreError> {
        let mut c = WriteCounts::default();
        let mut q = self.conn.prepare_cached(
            "SELECT state, count(*), sum(attempts > 0 AND state = 'pending') FROM fhir_writes GROUP BY state",
        )?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (state, n, retrying) = row?;
            let n = n as usize;
            match state.as_str() {
                "pending" => {
                    c.pending = n;
                    c.retrying = retrying as usize;
                }
                "failed" => c.failed = n,
                "written" => c.written = n,
                _ => c.skipped = n,
            }
        }
        Ok(c)
    }

    /// The failed rows and the rows waiting after a failure, newest change
    /// first: `(kind, item id, state, error)`.
    pub fn fhir_write_failures(&self, limit: usize) -> Result<Vec<(String, i64, String, String)>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT kind, item_id, state, COALESCE(last_error, '') FROM fhir_writes
              WHERE state = 'failed' OR (state = 'pending' AND attempts > 0)
              ORDER BY updated_at DESC, id DESC LIMIT ?1",
        )?;
        let rows = q.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The marks of some texts or calls (those with a queue row).
    pub fn fhir_marks(&self, kind: WriteKind, ids: &[i64]) -> Result<HashMap<i64, FhirMark>, StoreError> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut q = self.conn.prepare_cached(
            "SELECT item_id, state, attempts, last_error, fhir_id, revision, written_revision FROM fhir_writes
              WHERE kind = ?1 AND item_id IN (SELECT value FROM json_each(?2))",
        )?;
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let rows = q.query_map(params![kind.as_str(), list], |r| {
            let state: String = r.get(1)?;
            let attempts: i64 = r.get(2)?;
            let error: Option<String> = r.get(3)?;
            let fhir_id: Option<String> = r.get(4)?;
            let reason = match state.as_str() {
                "written" => None,
                "pending" if attempts > 0 => error.map(|e| format!("not yet: {e}")),
                "pending" if fhir_id.is_some() => Some("a change is being written".to_string()),
                "pending" => Some("waiting to be written".to_string()),
                _ => error,
            };
            let state = if state == "written" { "recorded".to_string() } else { state };
            let reference = fhir_id.map(|id| format!("Communication/{id}"));
            Ok((r.get::<_, i64>(0)?, FhirMark { state, reason, reference }))
        })?;
        for row in rows {
            let (id, mark) = row?;
            out.insert(id, mark);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "fhir_writes_tests.rs"]
mod tests;
