//! Joining a team, and leaving it.
//!
//! **Global ids are given when a desk joins, not by the migration.** A desk
//! alone never needs them, so migration 0016 only adds the columns (instant,
//! whatever the size of the database) and a desk alone writes nothing more
//! than before. The first time the desk is in team mode ([`Database::team_join`],
//! called when `team.database_url` is set and whenever a desk in team mode
//! opens), one transaction gives every row a gid and queues what the desk
//! has, in the order later changes need (patients, their numbers, texts,
//! consent, calls, templates), then switches the recording on. The gids that several
//! desks can compute agree: a patient with an ECM id and a reply with the
//! hospital SMS server's Id get ids derived from them, so two desks that
//! imported one roster, or stored one reply, share one patient and one text.

use rusqlite::TransactionBehavior;

use super::{key, set, unset};
use crate::store::{Database, StoreError};

/// A random UUID version 4 in SQL, new for each row.
const NEW_GID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) \
     || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/// What joining queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Joined {
    pub patients: i64,
    pub numbers: i64,
    pub consents: i64,
    pub messages: i64,
    pub calls: i64,
    pub templates: i64,
}

impl Database {
    /// Joins the team as `role`: gives every row a gid and queues this
    /// desk's patients, numbers, consent, texts and calls, then records
    /// changes from now on; one transaction. `None` when already joined
    /// (the role is updated if it changed).
    pub fn team_join(&self, role: &str, now: &str) -> Result<Option<Joined>, StoreError> {
        // Every desk opening in team mode asks: answer without writing.
        if super::joined(&self.conn)? && super::get(&self.conn, key::ROLE)?.as_deref() == Some(role) {
            return Ok(None);
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        if super::joined(&tx)? {
            if super::get(&tx, key::ROLE)?.as_deref() != Some(role) {
                set(&tx, key::ROLE, role)?;
            }
            tx.commit()?;
            return Ok(None);
        }
        tx.execute(
            &format!(
                "UPDATE patients SET gid = CASE
                     WHEN ecm_patient_id BETWEEN 1 AND 281474976710655
                      AND NOT EXISTS (SELECT 1 FROM patients q
                                       WHERE q.gid = printf('00000000-0000-8000-8001-%012x', patients.ecm_patient_id))
                     THEN printf('00000000-0000-8000-8001-%012x', ecm_patient_id)
                     ELSE {NEW_GID} END
                  WHERE gid IS NULL"
            ),
            [],
        )?;
        tx.execute(
            &format!(
                "UPDATE messages SET gid = CASE
                     WHEN direction = 'inbound' AND his_id BETWEEN 1 AND 281474976710655
                     THEN printf('00000000-0000-8000-8000-%012x', his_id)
                     ELSE {NEW_GID} END
                  WHERE gid IS NULL"
            ),
            [],
        )?;
        tx.execute(&format!("UPDATE calls SET gid = {NEW_GID} WHERE gid IS NULL"), [])?;
        tx.execute(
            "UPDATE messages SET sent_by_role = ?1 WHERE direction = 'outbound' AND sent_by_role IS NULL",
            [role],
        )?;
        tx.execute(
            "UPDATE calls SET placed_by_role = ?1 WHERE direction = 'outbound' AND placed_by_role IS NULL",
            [role],
        )?;
        let queue = |kind: &str, entity: &str, from: &str| -> Result<i64, StoreError> {
            Ok(tx.execute(
                &format!(
                    "INSERT INTO team_outbox (kind, entity, body, created_at)
                     SELECT '{kind}', {entity}, body, ?1 FROM {from}"
                ),
                [now],
            )? as i64)
        };
        let joined = Joined {
            patients: queue("patient.upsert", "'patient:' || gid", "team_patient_body ORDER BY id")?,
            numbers: queue(
                "number.upsert",
                "'number:' || patient_gid || ':' || number",
                "team_number_body ORDER BY patient_id, rank, id",
            )?,
            messages: queue("message.upsert", "'message:' || gid", "team_message_body ORDER BY id")?,
            // After the texts: an opt-out names the reply that made it.
            consents: queue("consent.set", "'consent:' || number", "team_consent_body ORDER BY number")?,
            calls: queue("call.upsert", "'call:' || gid", "team_call_body ORDER BY id")?,
            // Tombstones too: a desk that removed a template removes it everywhere.
            templates: queue("template.upsert", "'template:' || gid", "team_template_body ORDER BY id")?,
        };
        set(&tx, key::ROLE, role)?;
        set(&tx, key::JOINED, now)?;
        tx.commit()?;
        tracing::info!(
            patients = joined.patients,
            messages = joined.messages,
            calls = joined.calls,
            "joined the team: this desk's records are queued for it"
        );
        Ok(Some(joined))
    }

    /// Stops recording changes for the team (team mode was switched off).
    /// What waits to be pushed stays, for when the desk joins again.
    pub fn team_leave(&self) -> Result<bool, StoreError> {
        let was = super::joined(&self.conn)?;
        unset(&self.conn, key::JOINED)?;
        Ok(was)
    }
}
