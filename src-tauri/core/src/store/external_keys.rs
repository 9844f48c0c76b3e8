//! The ExternalKey sequence: each outbound SMS gets a key in 1..2^31-1 (a
//! server may keep it as a 32-bit integer), given once per data directory
//! and never reused (migration 0007).

use rusqlite::OptionalExtension;

use super::{Database, StoreError};

/// The largest ExternalKey: `i32::MAX`, what `System.Int32` holds.
pub const MAX_EXTERNAL_KEY: i64 = i32::MAX as i64;

impl Database {
    /// The next ExternalKey, skipping any an older CareDesk already used.
    /// One given to a message that is then not stored is not given again.
    pub fn next_external_key(&self) -> Result<i64, StoreError> {
        next_key(&self.conn)
    }
}

/// [`Database::next_external_key`] on a connection (inside the caller's
/// transaction, if any).
pub(super) fn next_key(conn: &rusqlite::Connection) -> Result<i64, StoreError> {
    // In team mode, a key of a block the team database gave this desk.
    if let Some(key) = next_team_key(conn)? {
        return Ok(key);
    }
    {
        for _ in 0..1_000 {
            let key: Option<i64> = conn
                .query_row(
                    "UPDATE external_keys SET next = next + 1 WHERE id = 1 AND next <= ?1 RETURNING next - 1",
                    [MAX_EXTERNAL_KEY],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(key) = key else {
                return Err(StoreError::KeysExhausted);
            };
            let used: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE external_key = ?1)",
                [key.to_string()],
                |r| r.get(0),
            )?;
            if !used {
                return Ok(key);
            }
        }
        Err(StoreError::KeysExhausted)
    }
}

/// The next key of the team's blocks this desk holds (oldest block first),
/// skipping any a message already holds; `None` when they are used up.
fn next_team_key(conn: &rusqlite::Connection) -> Result<Option<i64>, StoreError> {
    loop {
        let taken: Option<i64> = conn
            .query_row(
                "UPDATE team_key_blocks SET next = next + 1
                  WHERE id = (SELECT id FROM team_key_blocks WHERE next < end ORDER BY id LIMIT 1)
                 RETURNING next - 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(key) = taken else {
            conn.execute("DELETE FROM team_key_blocks WHERE next >= end", [])?;
            return Ok(None);
        };
        let used: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM messages WHERE external_key = ?1)", [key.to_string()], |r| {
                r.get(0)
            })?;
        if !used {
            return Ok(Some(key));
        }
    }
}

impl Database {
    /// Keys left in the team's blocks this desk holds.
    pub fn team_keys_left(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT COALESCE(sum(end - next), 0) FROM team_key_blocks", [], |r| r.get(0))?)
    }

    /// Keeps a block `[start, end)` the team database gave this desk.
    pub fn team_add_key_block(&self, start: i64, end: i64) -> Result<(), StoreError> {
        if !(1..=end).contains(&start) || end > MAX_EXTERNAL_KEY + 1 {
            return Err(StoreError::KeysExhausted);
        }
        self.conn.execute("INSERT INTO team_key_blocks (next, end) VALUES (?1, ?2)", [start, end])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

    #[test]
    fn a_team_block_is_used_first_then_the_local_sequence() {
        let (_d, db) = test_db();
        db.team_add_key_block(1_073_741_824, 1_073_741_827).unwrap();
        let keys: Vec<i64> = (0..3).map(|_| db.next_external_key().unwrap()).collect();
        assert_eq!(keys, vec![1_073_741_824, 1_073_741_825, 1_073_741_826]);
        assert_eq!(db.team_keys_left().unwrap(), 0);
        let local = db.next_external_key().unwrap();
        assert!(local <= MAX_EXTERNAL_KEY / 2 + 1, "the lower half: {local}");
        db.team_add_key_block(2_000_000_000, 2_000_001_000).unwrap();
        assert_eq!(db.team_keys_left().unwrap(), 1_000);
        assert!(db.team_add_key_block(0, 10).is_err());
        assert!(db.team_add_key_block(10, 5).is_err());
    }

    #[test]
    fn keys_count_up_in_the_32_bit_range_and_skip_used_ones() {
        let (_d, db) = test_db();
        let first = db.next_external_key().unwrap();
        assert!((1..=MAX_EXTERNAL_KEY / 2 + 1).contains(&first), "{first}");
        let second = db.next_external_key().unwrap();
        assert_eq!(second, first + 1);
        // A key an older CareDesk drew at random is not given again.
        let p = crate::store::test_patient(&db, "A");
        db.conn()
            .execute(
                "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, external_key, created_at, updated_at)
                 VALUES (?1, 'outbound', 'his', 'x', '+18055550100', 'Hi', 'sent', ?2, 'x', 'x')",
                rusqlite::params![p, (second + 1).to_string()],
            )
            .unwrap();
        assert_eq!(db.next_external_key().unwrap(), second + 2);
    }

    #[test]
    fn the_sequence_ends_at_int32_max_with_a_clear_error() {
        let (_d, db) = test_db();
        db.conn().execute("UPDATE external_keys SET next = ?1", [MAX_EXTERNAL_KEY]).unwrap();
        assert_eq!(db.next_external_key().unwrap(), MAX_EXTERNAL_KEY);
        let e = db.next_external_key().unwrap_err().to_string();
        assert!(e.contains("every ExternalKey"), "{e}");
    }

    #[test]
    fn two_data_directories_start_apart() {
        let starts: std::collections::HashSet<i64> = (0..4).map(|_| test_db().1.next_external_key().unwrap()).collect();
        assert!(starts.len() > 1, "random starting points: {starts:?}");
    }
}
