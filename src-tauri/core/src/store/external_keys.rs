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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

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
