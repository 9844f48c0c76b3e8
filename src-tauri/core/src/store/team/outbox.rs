//! `team_outbox`: this desk's changes waiting to be pushed, in order. A row
//! is written in the transaction of its change (by a trigger of migration
//! 0016, or by [`record`] for the team's own operations) and deleted once
//! the team database has it.

use rusqlite::{params, Connection};

use crate::store::{Database, StoreError};

/// A change waiting to be pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxChange {
    /// Its number in this desk's log (`desk_seq`).
    pub seq: i64,
    pub kind: String,
    pub entity: String,
    pub body: serde_json::Value,
}

/// Records a change of this desk's on `conn`, inside the caller's
/// transaction (the one that makes the change).
pub(crate) fn record(conn: &Connection, kind: &str, entity: &str, body: &serde_json::Value) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO team_outbox (kind, entity, body, created_at) VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    )?
    .execute(params![kind, entity, body.to_string()])?;
    Ok(())
}

impl Database {
    /// The oldest `limit` changes waiting, in order. A body that is not JSON
    /// (never written so) is passed on as a JSON string.
    /// A batch never splits a group of changes that go together (an inbox
    /// page and its cursor, see `store::team::cursor`): it runs on to the
    /// group's last change.
    pub fn team_outbox_batch(&self, limit: usize) -> Result<Vec<OutboxChange>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "WITH first AS (SELECT seq, txn FROM team_outbox ORDER BY seq LIMIT ?1),
                  upto AS (SELECT max(seq) AS seq FROM (
                               SELECT seq FROM first
                               UNION ALL
                               SELECT o.seq FROM team_outbox o
                                WHERE o.txn IS NOT NULL
                                  AND o.txn = (SELECT txn FROM first ORDER BY seq DESC LIMIT 1)))
             SELECT seq, kind, entity, body FROM team_outbox WHERE seq <= (SELECT seq FROM upto) ORDER BY seq",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            let body: String = r.get(3)?;
            Ok(OutboxChange {
                seq: r.get(0)?,
                kind: r.get(1)?,
                entity: r.get(2)?,
                body: serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets changes the team database has (or refused for good).
    pub fn team_outbox_done(&self, seqs: &[i64]) -> Result<usize, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM team_outbox WHERE seq = ?1")?;
            for s in seqs {
                n += stmt.execute([s])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// How many changes wait to be pushed.
    pub fn team_waiting(&self) -> Result<i64, StoreError> {
        Ok(self.conn.prepare_cached("SELECT count(*) FROM team_outbox")?.query_row([], |r| r.get(0))?)
    }

    /// Makes the next change's number larger than `seq` (the highest this
    /// desk has in the team's log), so a number is never given twice even
    /// if this database is older than the log (restored from a backup).
    pub fn team_outbox_after(&self, seq: i64) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let current: i64 = tx.query_row(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'team_outbox'), 0)",
            [],
            |r| r.get(0),
        )?;
        if current < seq {
            let updated = tx.execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'team_outbox'", [seq])?;
            if updated == 0 {
                tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('team_outbox', ?1)", [seq])?;
            }
            tracing::warn!(from = current, to = seq, "the team outbox's numbering was behind the team's log; moved on");
        }
        tx.commit()?;
        Ok(())
    }
}
