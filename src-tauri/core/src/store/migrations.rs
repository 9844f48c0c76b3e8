//! Versioned schema migrations (rusqlite_migration, tracked in SQLite's
//! `user_version`). Each migration is an SQL file beside this one; a shipped
//! file is never edited.

use std::sync::LazyLock;

use rusqlite::{Connection, Transaction};
use rusqlite_migration::{HookError, HookResult, Migrations, M};

use super::StoreError;

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(MIGRATION_SQL.iter().map(|sql| migration(sql)).collect()));

/// Issue 13: numbers linked before it become the patients' numbers.
const PEOPLE: &str = include_str!("migrations/0014_people.sql");

/// A migration: its SQL, and for some a step in Rust in the same transaction.
fn migration(sql: &'static str) -> M<'static> {
    if sql == PEOPLE {
        M::up_with_hook(sql, backfill_linked_numbers)
    } else {
        M::up(sql)
    }
}

fn backfill_linked_numbers(tx: &Transaction<'_>) -> HookResult {
    let added = super::linked_numbers::backfill(tx).map_err(|e| HookError::Hook(e.to_string()))?;
    if added > 0 {
        tracing::info!(numbers = added, "numbers linked from Unmatched are now the patients' numbers");
    }
    Ok(())
}

/// Every migration, in order. Append only.
const MIGRATION_SQL: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_inbox.sql"),
    include_str!("migrations/0003_outbox.sql"),
    include_str!("migrations/0004_thread_summary.sql"),
    include_str!("migrations/0005_read_indexes.sql"),
    include_str!("migrations/0006_search_words.sql"),
    include_str!("migrations/0007_real_servers.sql"),
    include_str!("migrations/0008_number_history.sql"),
    include_str!("migrations/0009_audit_chain.sql"),
    include_str!("migrations/0012_activity_people.sql"),
    include_str!("migrations/0013_undo_send.sql"),
    PEOPLE,
    include_str!("migrations/0015_fhir_roster.sql"),
    include_str!("migrations/0016_team.sql"),
    include_str!("migrations/0017_team_cursor.sql"),
    include_str!("migrations/0018_team_keys.sql"),
    include_str!("migrations/0019_outreach.sql"),
    include_str!("migrations/0020_fhir_writes.sql"),
    include_str!("migrations/0021_campaigns.sql"),
    include_str!("migrations/0022_consent_invitations.sql"),
    include_str!("migrations/0023_team_outreach.sql"),
];

pub fn latest_version() -> usize {
    MIGRATION_SQL.len()
}

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > latest_version() as i64 {
        return Err(StoreError::NewerSchema { found, known: latest_version() });
    }
    MIGRATIONS.to_latest(conn).map_err(|e| StoreError::Migration(e.to_string()))
}

/// Brings `conn` to schema `version` only (an older CareDesk's database).
#[cfg(test)]
pub(crate) fn migrate_to(conn: &mut Connection, version: usize) {
    MIGRATIONS.to_version(conn, version).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(migrate(&mut c), Err(StoreError::NewerSchema { found: 99, .. })));
    }
}
