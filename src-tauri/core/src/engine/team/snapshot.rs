//! A new desk joins a big team from a snapshot of the team's state instead
//! of applying the whole change log (issue 15: a team of a million texts;
//! applying them one change at a time takes minutes).
//!
//! [`join_if_new`] runs when a pull finds a full first page of the log (so
//! an idle desk of a new team asks nothing more), and joins by snapshot when
//! this desk has applied nothing of the team's log, holds nothing the team
//! shares and the log holds [`SNAPSHOT_FROM`] changes or more. [`load`] then:
//! - reads the state tables in one `REPEATABLE READ` transaction whose
//!   position is the log's head as that transaction sees it
//!   ([`Snapshot`]), streaming each table with binary COPY
//!   ([`super::snapshot_rows`]);
//! - stores them as they arrive, on a connection of its own to the desk's
//!   database in a blocking thread, in one transaction that also records
//!   the position ([`crate::store::team::BulkJoin`]); the desk's own
//!   connection keeps answering the UI meanwhile;
//! - and the pull goes on from that position, so a change committed while
//!   the snapshot was read is applied from the log, once.
//!
//! If anything fails, nothing is stored (the transaction rolls back) and
//! the next exchange tries again.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use tokio::sync::{mpsc, oneshot};

use super::{exchange::Session, snapshot_rows};
use crate::{
    desk::{lock, Desk},
    gateways::team_db::{self, Snapshot},
    rules::error::{CodedError, ErrorCode, Result},
    store::{
        team::{BulkReport, SnapshotBatch},
        Database,
    },
};

/// From how many changes in the log a new desk joins by snapshot (below,
/// applying the log is as quick).
pub const SNAPSHOT_FROM: i64 = 1_000;
// A pull notices a long log by a full first page.
const _: () = assert!(super::exchange::PULL_PAGE <= SNAPSHOT_FROM);

/// Batches read ahead of the store (each [`snapshot_rows::BATCH`] rows).
const READ_AHEAD: usize = 4;

/// Why a snapshot could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the database key of this data directory is not in the keyring, so the team's snapshot cannot be stored")]
    NoKey,
    #[error("storing the team's snapshot stopped before its end: nothing was stored, the next sync tries again")]
    Stopped,
}

impl CodedError for SnapshotError {
    fn code(&self) -> ErrorCode {
        match self {
            SnapshotError::NoKey => ErrorCode::Secret,
            SnapshotError::Stopped => ErrorCode::Store,
        }
    }
}

/// What joining by snapshot did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotJoin {
    pub stored: BulkReport,
    /// Rows read from the team database.
    pub rows: usize,
    /// From the start until the snapshot was read (its transaction ended).
    pub read_ms: u64,
    /// From the start until the store committed.
    pub total_ms: u64,
}

/// Joins by snapshot when this desk is new to a team whose log is long
/// (see the module's note); `None` otherwise.
pub async fn join_if_new(session: &mut Session, desk: &Arc<Mutex<Desk>>) -> Result<Option<SnapshotJoin>> {
    let possible = super::exchange::blocking(desk, |d| Ok(d.db().team_snapshot_possible()?)).await?;
    if !possible || team_db::log_head(&session.db).await? < SNAPSHOT_FROM {
        return Ok(None);
    }
    let snapshot = session.db.snapshot().await?;
    load(snapshot, desk).await.map(Some)
}

/// Stores `snapshot` in the desk's database and records its position.
pub async fn load(snapshot: Snapshot<'_>, desk: &Arc<Mutex<Desk>>) -> Result<SnapshotJoin> {
    let started = Instant::now();
    let (path, key) = {
        let d = lock(desk)?;
        let key = d.credentials().database_key()?.ok_or(SnapshotError::NoKey)?;
        (d.db().path().to_path_buf(), key)
    };
    let position = snapshot.position();
    let (tx, mut rx) = mpsc::channel::<SnapshotBatch>(READ_AHEAD);
    // The position comes once everything was read: without it, nothing is stored.
    let (done_tx, done_rx) = oneshot::channel::<i64>();
    let store = tokio::task::spawn_blocking(move || -> Result<BulkReport> {
        // A connection of its own: the desk's keeps serving reads.
        let db = Database::open(&path, &key)?;
        drop(key);
        // Room for the indexes built at the end and the pages they read.
        db.conn().execute_batch("PRAGMA cache_size = -262144;").map_err(crate::store::StoreError::from)?;
        let mut bulk = db.team_bulk_join()?;
        while let Some(batch) = rx.blocking_recv() {
            bulk.add(batch)?;
        }
        match done_rx.blocking_recv() {
            Ok(position) => Ok(bulk.finish(position)?),
            Err(_) => Err(SnapshotError::Stopped.into()),
        }
    });
    let rows = snapshot_rows::read_all(&snapshot, &tx).await;
    drop(tx);
    let read = match rows {
        Ok(rows) => snapshot.finish().await.map(|()| rows).map_err(Into::into),
        Err(e) => Err(e),
    };
    let read_ms = started.elapsed().as_millis() as u64;
    match &read {
        Ok(_) => {
            let _ = done_tx.send(position);
        }
        Err(_) => drop(done_tx),
    }
    let stored = store.await.map_err(|_| SnapshotError::Stopped)?;
    // The store's failure says more than the reader's "stopped storing".
    let stored = stored?;
    let rows = read?;
    let joined = SnapshotJoin { stored, rows, read_ms, total_ms: started.elapsed().as_millis() as u64 };
    tracing::info!(
        position,
        patients = stored.patients,
        messages = stored.messages,
        skipped = stored.skipped,
        read_ms,
        finish_ms = stored.finish_ms,
        index_ms = stored.index_ms,
        commit_ms = stored.commit_ms,
        total_ms = joined.total_ms,
        "joined the team from a snapshot of its state"
    );
    super::exchange::blocking(desk, move |d| {
        let detail = format!(
            "snapshot at change {position}: {} patients, {} texts, {} calls, {} notes",
            stored.patients, stored.messages, stored.calls, stored.notes
        );
        Ok(d.db().audit(&d.actor(), "team.snapshot", None, &detail)?)
    })
    .await?;
    Ok(joined)
}
