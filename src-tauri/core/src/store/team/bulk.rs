//! A new desk's store filled from the team's snapshot in one transaction
//! (issue 15: a desk joining a team of a million texts is ready in a
//! minute, where applying the log one change at a time takes several).
//!
//! **The same rows as applying the log.** Each snapshot row is a change body
//! of the log's own kinds ([`super::kinds`]), written by the very functions
//! that apply a pulled change ([`super::apply`]) to a store that holds
//! nothing the team shares yet ([`Database::team_snapshot_possible`]): the
//! snapshot is the log's last word about each thing, and applying it to an
//! empty store gives what applying every change did.
//!
//! **Fast.** Inside the transaction the secondary indexes of `messages`,
//! `contact_points` and `patient_activity` are dropped and built again at
//! the end ([`CREATE INDEX`] sorts once instead of a random B-tree insert
//! per row), every statement is prepared once, and the recording triggers
//! stay quiet (the `applying` marker). What needs a text by its gid (a
//! consent's source, a Retry's new text, a member's reads) waits for the
//! indexes and is written last. The position is recorded with the rest, so
//! the load counts whole or not at all.

use std::collections::HashSet;

use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use super::{
    apply::{self, Outcome, Skip},
    key,
    kinds::{CallBody, ConsentBody, MessageBody, NoteBody, NumberBody, PatientBody, ReadBody, ThreadBody},
    set, unset,
};
use crate::store::{Database, StoreError};

/// The tables whose secondary indexes are built after the load.
const DEFERRED: [&str; 3] = ["messages", "contact_points", "patient_activity"];

/// A change body and the member who made it (a consent's, a note's author,
/// a read's reader): what the log's `actor` is for the same change.
#[derive(Debug, Clone, PartialEq)]
pub struct ByMember<T> {
    pub body: T,
    pub role: String,
}

/// A batch of the snapshot, in the order the tables are read: patients
/// before what names them, texts before what names a text.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotBatch {
    Patients(Vec<PatientBody>),
    Numbers(Vec<NumberBody>),
    Messages(Vec<MessageBody>),
    Calls(Vec<CallBody>),
    Threads(Vec<ThreadBody>),
    Notes(Vec<ByMember<NoteBody>>),
    Consent(Vec<ByMember<ConsentBody>>),
    Reads(Vec<ByMember<ReadBody>>),
    /// Changes read from the log itself, for what no state table holds:
    /// every `template.upsert` and each campaign's last `campaign.progress`.
    Logged(Vec<LoggedChange>),
}

/// A change as the log holds it (its body as JSON text).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedChange {
    pub kind: String,
    pub actor: String,
    pub body: String,
}

/// What the load stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkReport {
    pub patients: usize,
    pub numbers: usize,
    pub messages: usize,
    pub calls: usize,
    pub threads: usize,
    pub notes: usize,
    pub consents: usize,
    pub reads: usize,
    /// Templates and colleagues' campaign reports, from the log.
    pub outreach: usize,
    /// Rows left out, as applying the log leaves them out (a number of a
    /// patient the team does not have, a value CareDesk does not know).
    pub skipped: usize,
    /// The change log position the store now stands at.
    pub position: i64,
    /// How long the end took: building the indexes (`index_ms`), then
    /// what waited for them, and the commit (`commit_ms`, with SQLite's
    /// checkpoint of the write-ahead log).
    pub finish_ms: u64,
    pub index_ms: u64,
    pub commit_ms: u64,
}

/// A load under way: one transaction on the connection it borrows.
pub struct BulkJoin<'c> {
    tx: Transaction<'c>,
    indexes: Vec<String>,
    own_role: Option<String>,
    /// Written once the texts are indexed (see the module's note).
    retried: Vec<(String, String)>,
    consents: Vec<ByMember<ConsentBody>>,
    reads: Vec<ByMember<ReadBody>>,
    report: BulkReport,
}

impl Database {
    /// Whether this desk can join by snapshot: it has applied nothing of a
    /// team's log and holds nothing the team shares (a new desk, or one that
    /// joined with an empty store).
    pub fn team_snapshot_possible(&self) -> Result<bool, StoreError> {
        if self.team_applied()? != 0 {
            return Ok(false);
        }
        let holds: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM patients) OR EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM calls)
                 OR EXISTS (SELECT 1 FROM sms_consent) OR EXISTS (SELECT 1 FROM notes)
                 OR EXISTS (SELECT 1 FROM team_outbox)",
            [],
            |r| r.get(0),
        )?;
        Ok(!holds)
    }

    /// Starts loading a snapshot (see the module's note). Fails unless
    /// [`Database::team_snapshot_possible`], checked again inside the
    /// transaction.
    pub fn team_bulk_join(&self) -> Result<BulkJoin<'_>, StoreError> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        if !self.team_snapshot_possible()? {
            return Err(StoreError::Io(
                "this desk already holds team data: it follows the team's log instead of loading a snapshot".into(),
            ));
        }
        let own_role = super::get(&tx, key::ROLE)?;
        set(&tx, key::APPLYING, "1")?;
        let indexes = drop_indexes(&tx)?;
        Ok(BulkJoin {
            tx,
            indexes,
            own_role,
            retried: Vec::new(),
            consents: Vec::new(),
            reads: Vec::new(),
            report: BulkReport::default(),
        })
    }
}

/// Drops the secondary indexes of the [`DEFERRED`] tables; returns the SQL
/// that makes them again, exactly as the migrations wrote it.
fn drop_indexes(c: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT name, sql FROM sqlite_master
          WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?1, ?2, ?3) ORDER BY name",
    )?;
    let found: Vec<(String, String)> = stmt
        .query_map(params![DEFERRED[0], DEFERRED[1], DEFERRED[2]], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &found {
        c.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(found.into_iter().map(|(_, sql)| sql).collect())
}

impl BulkJoin<'_> {
    /// Stores one batch.
    pub fn add(&mut self, batch: SnapshotBatch) -> Result<(), StoreError> {
        let c: &Connection = &self.tx;
        let r = &mut self.report;
        match batch {
            SnapshotBatch::Patients(rows) => {
                count(rows.iter().map(|b| apply::patient(c, b)), &mut r.patients, &mut r.skipped)?
            }
            SnapshotBatch::Numbers(rows) => {
                count(rows.iter().map(|b| apply::number(c, b)), &mut r.numbers, &mut r.skipped)?
            }
            SnapshotBatch::Messages(rows) => {
                for mut m in rows {
                    // The text a Retry sent this one as may come later.
                    if let Some(later) = m.retried_as_gid.take() {
                        self.retried.push((m.gid.clone(), later));
                    }
                    apply::insert_message(c, &m)?;
                    r.messages += 1;
                }
            }
            SnapshotBatch::Calls(rows) => count(rows.iter().map(|b| apply::call(c, b)), &mut r.calls, &mut r.skipped)?,
            SnapshotBatch::Threads(rows) => {
                count(rows.iter().map(|b| apply::thread(c, b)), &mut r.threads, &mut r.skipped)?
            }
            SnapshotBatch::Notes(rows) => {
                count(rows.iter().map(|n| apply::note(c, &n.body, &n.role)), &mut r.notes, &mut r.skipped)?
            }
            SnapshotBatch::Consent(rows) => self.consents.extend(rows),
            SnapshotBatch::Reads(rows) => self.reads.extend(rows),
            SnapshotBatch::Logged(rows) => count(rows.iter().map(|l| logged(c, l)), &mut r.outreach, &mut r.skipped)?,
        }
        Ok(())
    }

    /// Builds the indexes, writes what waited for them, records `position`
    /// as the last one applied and commits.
    pub fn finish(mut self, position: i64) -> Result<BulkReport, StoreError> {
        let started = std::time::Instant::now();
        for sql in &self.indexes {
            self.tx.execute_batch(sql)?;
        }
        self.report.index_ms = started.elapsed().as_millis() as u64;
        let c: &Connection = &self.tx;
        let r = &mut self.report;
        let mut retry = c.prepare_cached(
            "UPDATE messages SET retried_as = (SELECT id FROM messages WHERE gid = ?2) WHERE gid = ?1",
        )?;
        for (gid, later) in &self.retried {
            retry.execute(params![gid, later])?;
        }
        drop(retry);
        count(self.consents.iter().map(|k| apply::consent(c, &k.body, &k.role)), &mut r.consents, &mut r.skipped)?;
        let own = self.own_role.as_deref();
        count(self.reads.iter().map(|k| apply::member_read(c, &k.body, &k.role, own)), &mut r.reads, &mut r.skipped)?;
        unset(c, key::APPLYING)?;
        set(c, key::APPLIED, &position.to_string())?;
        r.position = position;
        let commit = std::time::Instant::now();
        self.tx.commit()?;
        self.report.commit_ms = commit.elapsed().as_millis() as u64;
        self.report.finish_ms = started.elapsed().as_millis() as u64;
        Ok(self.report)
    }
}

/// A logged change of the kinds [`SnapshotBatch::Logged`] carries, applied
/// as a pulled change is.
fn logged(c: &Connection, l: &LoggedChange) -> Result<Outcome, StoreError> {
    fn de<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Skip> {
        serde_json::from_str(body).map_err(|e| Skip::Unreadable(format!("a logged change: {e}")))
    }
    match l.kind.as_str() {
        super::kinds::TEMPLATE => match de(&l.body) {
            Ok(b) => super::outreach::template(c, &b),
            Err(skip) => Ok(Err(skip)),
        },
        super::kinds::CAMPAIGN => match de(&l.body) {
            Ok(b) => super::outreach::campaign(c, &b, &l.actor),
            Err(skip) => Ok(Err(skip)),
        },
        _ => Ok(Err(Skip::Unknown("a kind of change this CareDesk does not know (update it)"))),
    }
}

/// Counts what `outcomes` stored; a row applying the log would leave out
/// is left out and counted as skipped (its reason logged, never its values).
fn count(
    outcomes: impl Iterator<Item = Result<Outcome, StoreError>>,
    stored: &mut usize,
    skipped: &mut usize,
) -> Result<(), StoreError> {
    let mut reasons = HashSet::new();
    for outcome in outcomes {
        match outcome? {
            Ok(_) => *stored += 1,
            Err(skip) => {
                *skipped += 1;
                reasons.insert(match skip {
                    Skip::Unreadable(e) => e,
                    Skip::Unknown(what) => what.to_string(),
                });
            }
        }
    }
    for reason in reasons {
        tracing::warn!(reason, "a row of the team's snapshot was not stored");
    }
    Ok(())
}
