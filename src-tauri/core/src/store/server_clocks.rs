//! What CareDesk knows of a server's clock (migration 0007); the estimate
//! itself is `inbox_sync::clock`'s.

use rusqlite::{params, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};

/// The name of the hospital SMS server's row in `server_clocks`.
pub const HIS_CLOCK: &str = "his";

/// One server's clock, as last learnt.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServerClockRow {
    /// Its `Date` header minus this desk's clock, in milliseconds.
    pub skew_ms: Option<i64>,
    /// Seconds east of UTC of the zone-less times in its lists.
    pub list_offset: Option<i32>,
    /// How `list_offset` was learnt: `list` (its list matched to its send
    /// answers), `answer` (its send answers).
    pub list_source: Option<String>,
    /// Seconds east of UTC of its send answers' times.
    pub answer_offset: Option<i32>,
    pub updated_at: Option<String>,
}

impl Database {
    pub fn server_clock(&self, name: &str) -> Result<ServerClockRow, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT skew_ms, list_offset, list_source, answer_offset, updated_at FROM server_clocks WHERE name = ?1",
                [name],
                |r| {
                    Ok(ServerClockRow {
                        skew_ms: r.get(0)?,
                        list_offset: r.get(1)?,
                        list_source: r.get(2)?,
                        answer_offset: r.get(3)?,
                        updated_at: r.get(4)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Forgets what was learnt (the server's address changed).
    pub fn forget_server_clock(&self, name: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM server_clocks WHERE name = ?1", [name])?;
        Ok(())
    }

    pub fn set_server_clock(&self, name: &str, row: &ServerClockRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO server_clocks (name, skew_ms, list_offset, list_source, answer_offset, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(name) DO UPDATE SET skew_ms = excluded.skew_ms, list_offset = excluded.list_offset,
                list_source = excluded.list_source, answer_offset = excluded.answer_offset, updated_at = excluded.updated_at",
            params![name, row.skew_ms, row.list_offset, row.list_source, row.answer_offset, now_rfc3339()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

    #[test]
    fn a_clock_row_round_trips() {
        let (_d, db) = test_db();
        assert_eq!(db.server_clock("his").unwrap(), ServerClockRow::default());
        let row = ServerClockRow {
            skew_ms: Some(-420_000),
            list_offset: Some(0),
            list_source: Some("list".into()),
            answer_offset: Some(7200),
            updated_at: None,
        };
        db.set_server_clock("his", &row).unwrap();
        let back = db.server_clock("his").unwrap();
        assert_eq!(ServerClockRow { updated_at: None, ..back.clone() }, row);
        assert!(back.updated_at.is_some());
        db.forget_server_clock("his").unwrap();
        assert_eq!(db.server_clock("his").unwrap(), ServerClockRow::default());
    }
}
