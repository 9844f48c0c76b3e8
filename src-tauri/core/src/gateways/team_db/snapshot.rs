//! A consistent copy of the team's state tables at a known change log
//! position: how a new desk joins a big team without applying the whole log
//! (`engine::team::snapshot`).
//!
//! [`TeamDb::snapshot`] starts a `REPEATABLE READ READ ONLY` transaction and
//! reads the log's head in it first. Every statement of the transaction then
//! sees the database as it was at that instant: the state rows of every
//! change up to that position (an append writes its state rows and its change
//! in one transaction, and positions follow commit order: see `log`) and
//! nothing of a later one. A desk that loads the snapshot and then follows
//! the log from [`Snapshot::position`] misses nothing and applies nothing
//! twice, however many changes commit meanwhile.
//!
//! [`Snapshot::rows`] streams a table with `COPY (SELECT …) TO STDOUT` in
//! PostgreSQL's binary format: one statement per table, rows decoded as they
//! arrive, so a million texts cost no more memory than the batch the desk is
//! storing. Such a statement runs as long as the desk takes to store what it
//! reads, so the snapshot allows its statements [`STATEMENT_LIMIT`].

use std::{pin::Pin, time::Duration};

use futures_util::StreamExt;
use tokio_postgres::{
    binary_copy::{BinaryCopyOutRow, BinaryCopyOutStream},
    types::Type,
    IsolationLevel, Transaction,
};

use crate::gateways::team_db::{connect::TeamDb, error::Context, TeamDbError};

/// How long one statement of a snapshot may run (the session's usual limit
/// is for short statements; a snapshot's COPY streams while the desk stores).
pub const STATEMENT_LIMIT: Duration = Duration::from_secs(900);

/// The team's state as of one change log position; dropped without
/// [`Snapshot::finish`], the transaction rolls back (it wrote nothing).
pub struct Snapshot<'a> {
    tx: Transaction<'a>,
    ctx: Context,
    position: i64,
}

impl TeamDb {
    /// Starts a snapshot of the state tables and reads the log position it
    /// stands at.
    pub async fn snapshot(&mut self) -> Result<Snapshot<'_>, TeamDbError> {
        let ctx = self.context().clone();
        let err = |e: tokio_postgres::Error| ctx.classify(&e, "start a snapshot of the team's state");
        let tx = self
            .client_mut()
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(err)?;
        tx.batch_execute(&format!("SET LOCAL statement_timeout = '{}s'", STATEMENT_LIMIT.as_secs()))
            .await
            .map_err(err)?;
        // The transaction's first query fixes what all of it sees.
        let position: i64 = tx.query_one("SELECT pos FROM caredesk.log_head", &[]).await.map_err(err)?.get(0);
        Ok(Snapshot { tx, ctx, position })
    }
}

impl Snapshot<'_> {
    /// The last change log position the snapshot holds: follow the log
    /// after it.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The rows of `select` (a query of the state tables, without a
    /// trailing semicolon), decoded as `types` (one per column, in order).
    pub async fn rows(&self, select: &str, types: &[Type]) -> Result<SnapshotRows, TeamDbError> {
        let copy = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
        let stream = self.tx.copy_out(&copy).await.map_err(|e| self.error(&e, "read the team's state"))?;
        Ok(SnapshotRows { rows: Box::pin(BinaryCopyOutStream::new(stream, types)), ctx: self.ctx.clone() })
    }

    /// Maps an error of this snapshot; `what` says what was being done.
    pub fn error(&self, e: &tokio_postgres::Error, what: &str) -> TeamDbError {
        self.ctx.classify(e, what)
    }

    /// Ends the snapshot (it wrote nothing).
    pub async fn finish(self) -> Result<(), TeamDbError> {
        let Snapshot { tx, ctx, .. } = self;
        tx.commit().await.map_err(|e| ctx.classify(&e, "end the snapshot"))
    }
}

/// The rows of one table of a [`Snapshot`], as they arrive.
pub struct SnapshotRows {
    rows: Pin<Box<BinaryCopyOutStream>>,
    ctx: Context,
}

impl SnapshotRows {
    /// The next row; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<BinaryCopyOutRow>, TeamDbError> {
        match self.rows.next().await {
            None => Ok(None),
            Some(Ok(row)) => Ok(Some(row)),
            Some(Err(e)) => Err(self.ctx.classify(&e, "read the team's state")),
        }
    }

    /// Maps an error of decoding a row's value; `what` names the table.
    pub fn error(&self, e: &tokio_postgres::Error, what: &str) -> TeamDbError {
        self.ctx.classify(e, what)
    }
}
