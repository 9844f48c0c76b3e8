//! The team's change log (`caredesk.changes`, `caredesk.log_head`).
//!
//! **Positions follow commit order.** [`append`] takes its positions as the
//! last statement of its transaction (`UPDATE log_head SET pos = pos + n
//! RETURNING pos`) and commits at once. The `log_head` row stays locked
//! until that commit, so a second appender waits for the first to end and
//! gets the next positions: positions are handed out in commit order, with
//! no gap (a rolled-back append gives its positions back). A reader that has
//! seen position N has seen every position below N, and nothing can commit
//! later with a smaller one: [`read_after`] from the last position applied
//! never skips a change that committed late.
//!
//! **A change pushed twice is one change.** Each desk numbers its own
//! changes (`desk_seq`); the `(desk_id, desk_seq)` key is unique, and
//! [`append`] answers `None` for a change already in the log, so a push
//! retried after a lost answer is harmless.

use serde::Serialize;
use tokio_postgres::types::ToSql;

use crate::gateways::team_db::{
    connect::{TeamDb, TeamTx},
    TeamDbError, CHANGES_CHANNEL,
};

/// A change to append: one desk's `desk_seq`-th change, of `kind`, with
/// its `body` (JSON, the later parts' wire shape).
#[derive(Debug, Clone, Copy)]
pub struct NewChange<'a> {
    pub desk_id: uuid::Uuid,
    /// This desk's own number for the change (its local outbox's sequence),
    /// from 0 up; with `desk_id`, the change's identity.
    pub desk_seq: i64,
    pub kind: &'a str,
    pub body: &'a serde_json::Value,
}

/// A change read from the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Its position: 1, 2, 3… in commit order, no gaps.
    pub pos: i64,
    pub desk_id: uuid::Uuid,
    pub desk_seq: i64,
    /// The PostgreSQL role that appended it (set by the server, never by a desk).
    pub actor: String,
    pub kind: String,
    pub body: serde_json::Value,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// How often [`append_all`] retries when a concurrent push of the same change
/// committed between its check and its insert.
const APPEND_TRIES: usize = 3;

/// Appends one change as the transaction's last statement and commits.
/// `Some(position)`, or `None` when this `(desk_id, desk_seq)` was already
/// in the log (nothing appended; idempotent). When the commit's answer is
/// lost the change may or may not be in the log: append it again.
pub async fn append(tx: TeamTx<'_>, change: &NewChange<'_>) -> Result<Option<i64>, TeamDbError> {
    Ok(append_all(tx, std::slice::from_ref(change)).await?.pop().flatten())
}

/// Appends changes (in the order given, on consecutive positions) as the
/// transaction's last statements and commits. One answer per change:
/// `Some(position)`, or `None` for a change already in the log (or given
/// twice). One round trip for the check, one for the positions and rows.
pub async fn append_all(mut tx: TeamTx<'_>, changes: &[NewChange<'_>]) -> Result<Vec<Option<i64>>, TeamDbError> {
    let ctx = tx.ctx;
    let err = |e: tokio_postgres::Error| ctx.classify(&e, "append to the change log");
    for _ in 0..APPEND_TRIES {
        let fresh = fresh_changes(&tx, changes).await.map_err(err)?;
        if fresh.is_empty() {
            tx.commit().await?;
            return Ok(vec![None; changes.len()]);
        }
        let sp = tx.tx.savepoint("caredesk_append").await.map_err(err)?;
        let n = fresh.len() as i64;
        let head: i64 =
            sp.query_one("UPDATE caredesk.log_head SET pos = pos + $1 RETURNING pos", &[&n]).await.map_err(err)?.get(0);
        let positions: Vec<i64> = (head - n + 1..=head).collect();
        let rows: Vec<&NewChange> = fresh.iter().map(|&i| &changes[i]).collect();
        let desk_ids: Vec<uuid::Uuid> = rows.iter().map(|c| c.desk_id).collect();
        let seqs: Vec<i64> = rows.iter().map(|c| c.desk_seq).collect();
        let kinds: Vec<&str> = rows.iter().map(|c| c.kind).collect();
        let bodies: Vec<&serde_json::Value> = rows.iter().map(|c| c.body).collect();
        let params: [&(dyn ToSql + Sync); 5] = [&positions, &desk_ids, &seqs, &kinds, &bodies];
        let inserted = sp
            .execute(
                "INSERT INTO caredesk.changes (pos, desk_id, desk_seq, kind, body) \
                 SELECT * FROM unnest($1::int8[], $2::uuid[], $3::int8[], $4::text[], $5::jsonb[]) \
                 ON CONFLICT (desk_id, desk_seq) DO NOTHING",
                &params,
            )
            .await
            .map_err(err)?;
        if inserted as i64 != n {
            // Another session appended one of these meanwhile: give the
            // positions back and look again.
            sp.rollback().await.map_err(err)?;
            continue;
        }
        sp.execute("SELECT pg_notify($1, $2)", &[&CHANGES_CHANNEL, &head.to_string()]).await.map_err(err)?;
        sp.commit().await.map_err(err)?;
        tx.commit().await?;
        let mut out = vec![None; changes.len()];
        for (i, pos) in fresh.into_iter().zip(positions) {
            out[i] = Some(pos);
        }
        return Ok(out);
    }
    Err(TeamDbError::Database {
        detail: "the change log stayed busy with the same changes from another session".into(),
        sqlstate: None,
        retryable: true,
    })
}

/// The indexes of `changes` not yet in the log (the first of any given twice).
async fn fresh_changes(tx: &TeamTx<'_>, changes: &[NewChange<'_>]) -> Result<Vec<usize>, tokio_postgres::Error> {
    let desk_ids: Vec<uuid::Uuid> = changes.iter().map(|c| c.desk_id).collect();
    let seqs: Vec<i64> = changes.iter().map(|c| c.desk_seq).collect();
    let present: std::collections::HashSet<(uuid::Uuid, i64)> = tx
        .tx
        .query(
            "SELECT c.desk_id, c.desk_seq FROM caredesk.changes c \
             JOIN unnest($1::uuid[], $2::int8[]) AS k(desk_id, desk_seq) USING (desk_id, desk_seq)",
            &[&desk_ids, &seqs],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    Ok((0..changes.len())
        .filter(|&i| {
            let key = (changes[i].desk_id, changes[i].desk_seq);
            !present.contains(&key) && seen.insert(key)
        })
        .collect())
}

/// The changes after position `after`, in position order, at most `limit`
/// (1 to 10,000). Safe to call from the last position applied: see the
/// module's note on commit order.
pub async fn read_after(db: &TeamDb, after: i64, limit: i64) -> Result<Vec<Change>, TeamDbError> {
    let limit = limit.clamp(1, 10_000);
    let rows = db
        .client()
        .query(
            "SELECT pos, desk_id, desk_seq, actor::text, kind, body, at FROM caredesk.changes \
             WHERE pos > $1 ORDER BY pos LIMIT $2",
            &[&after, &limit],
        )
        .await
        .map_err(|e| db.error(&e, "read the change log"))?;
    Ok(rows
        .iter()
        .map(|r| Change {
            pos: r.get(0),
            desk_id: r.get(1),
            desk_seq: r.get(2),
            actor: r.get(3),
            kind: r.get(4),
            body: r.get(5),
            at: r.get(6),
        })
        .collect())
}

/// The newest position handed out (0 for an empty log).
pub async fn log_head(db: &TeamDb) -> Result<i64, TeamDbError> {
    db.client()
        .query_one("SELECT pos FROM caredesk.log_head", &[])
        .await
        .map(|r| r.get(0))
        .map_err(|e| db.error(&e, "read the change log's head"))
}
