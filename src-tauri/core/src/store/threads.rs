//! Threads in the store: who a number belongs to, number links, the thread
//! list with unread counts, and marking a thread read. The rules live in
//! [`crate::engine::threads`].

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::{
    linked_numbers::{add_linked_number, as_e164, LinkContact, Linked},
    now_rfc3339,
    thread_listing::{preview, LAST_PREVIEW},
    Database, StoreError,
};
use serde::{Deserialize, Serialize};

use crate::{
    rules::phone::{self, E164},
    rules::redact,
};

/// One row of the thread list: a patient with messages or calls, or one
/// unmatched number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadRow {
    /// `None` for an unmatched number.
    pub patient_id: Option<i64>,
    /// The patient's name, or the unmatched number formatted for people.
    pub name: String,
    /// The unmatched number (E.164, or `+digits` as the server sent them).
    pub number: Option<String>,
    /// Inbound messages not yet read.
    pub unread: i64,
    /// `created_at` of the newest message or call (RFC 3339 UTC).
    pub last_at: String,
    /// The start of the newest message's text, or "Call: <status>".
    pub last_preview: String,
    /// Team mode: the member (role) the patient's thread is assigned to.
    pub assigned_to: Option<String>,
    /// Team mode: `open` or `closed` for a patient's thread (`None` for an
    /// unmatched number's).
    pub status: Option<String>,
}

/// A thread: a patient's, or an unmatched number's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThreadRef {
    Patient(i64),
    Unmatched(String),
}

/// One row per patient with messages or calls (the newest item and its
/// time, from the `patient_activity` summary), one row per unmatched sender
/// number.
const THREAD_LIST_SQL: &str = "
WITH unmatched AS (
    SELECT from_number, created_at, body,
           ROW_NUMBER() OVER (PARTITION BY from_number ORDER BY created_at DESC, id DESC) AS rn,
           count(*) FILTER (WHERE read_at IS NULL) OVER (PARTITION BY from_number) AS n
    FROM messages WHERE patient_id IS NULL AND direction = 'inbound'
)
SELECT * FROM (
    SELECT a.patient_id AS patient_id, p.name AS name, NULL AS number, a.unread AS unread, a.last_at AS at,
           {LAST_PREVIEW} AS preview, t.assigned_to AS assigned_to, COALESCE(t.status, 'open') AS status
      FROM patient_activity a JOIN patients p ON p.id = a.patient_id
      LEFT JOIN team_threads t ON t.patient_id = a.patient_id
    UNION ALL
    SELECT NULL, from_number, from_number, n, created_at, body, NULL, NULL FROM unmatched WHERE rn = 1
)
ORDER BY at DESC, patient_id IS NULL, patient_id, number";

/// [`THREAD_LIST_SQL`] with the preview that follows the newest item's state.
fn thread_list_sql() -> String {
    THREAD_LIST_SQL.replace("{LAST_PREVIEW}", LAST_PREVIEW)
}

impl Database {
    /// Patients with `number` (E.164) as their own or a contact's current
    /// number (a number a patient no longer uses may be someone else's now).
    pub fn patients_with_number(&self, number: &str) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT patient_id FROM contact_points WHERE number = ?1 AND active = 1 ORDER BY patient_id",
        )?;
        let rows = stmt.query_map([number], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Of `among`, the patient most recently messaged at `number` (outbound,
    /// not failed), if any was.
    pub fn last_messaged_at(&self, number: &str, among: &[i64]) -> Result<Option<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT patient_id FROM messages
             WHERE direction = 'outbound' AND to_number = ?1 AND patient_id IS NOT NULL AND state <> 'failed'
             ORDER BY created_at DESC, id DESC",
        )?;
        let mut rows = stmt.query([number])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if among.contains(&id) {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Whether `number` wrote texts no patient claims (it is in the Unmatched inbox).
    pub fn has_unmatched_texts(&self, number: &str) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE patient_id IS NULL AND from_number = ?1 AND direction = 'inbound')",
            [number],
            |r| r.get(0),
        )?)
    }

    /// The patient staff linked `number` to, if any.
    pub fn linked_patient(&self, number: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT patient_id FROM number_links WHERE number = ?1", [number], |r| r.get(0))
            .optional()?)
    }

    /// Remembers that `number` belongs to `patient_id` and makes it one of
    /// the patient's numbers (a contact: `contact` says who, if staff know),
    /// moves the number's unmatched texts and the replies staff sent it to
    /// the patient, and audits it, in one transaction. See
    /// [`crate::engine::threads::link_number`] for the checked entry point.
    pub fn link_number(
        &self,
        number: &str,
        patient_id: i64,
        actor: &str,
        contact: &LinkContact,
    ) -> Result<Linked, StoreError> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let now = now_rfc3339();
        tx.execute(
            "INSERT INTO number_links (number, patient_id, linked_by, linked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(number) DO UPDATE SET patient_id = excluded.patient_id, linked_by = excluded.linked_by,
                linked_at = excluded.linked_at",
            params![number, patient_id, actor, now],
        )?;
        let number_added = match as_e164(number) {
            Some(e164) => {
                let added = add_linked_number(&tx, patient_id, &e164, contact, &now, |_| true)?;
                super::people::rank_numbers(&tx, patient_id)?;
                added
            }
            None => false,
        };
        let moved = tx.execute(
            "UPDATE messages SET patient_id = ?2, updated_at = ?3
             WHERE patient_id IS NULL AND direction = 'inbound' AND from_number = ?1",
            params![number, patient_id, now],
        )?;
        // Replies staff sent it from the Unmatched inbox follow (marked as such).
        let replies = tx.execute(
            "UPDATE messages SET patient_id = ?2, updated_at = ?3
             WHERE patient_id IS NULL AND direction = 'outbound' AND COALESCE(intended_to, to_number) = ?1",
            params![number, patient_id, now],
        )?;
        // Their activities and events follow them to the patient.
        tx.execute(
            "UPDATE activities SET patient_id = ?2
             WHERE patient_id IS NULL AND text_message_id IN
                   (SELECT id FROM messages WHERE patient_id = ?2
                      AND ((direction = 'inbound' AND from_number = ?1)
                           OR (direction = 'outbound' AND COALESCE(intended_to, to_number) = ?1)))",
            params![number, patient_id],
        )?;
        tx.execute(
            "UPDATE events SET patient_id = ?1
             WHERE patient_id IS NULL AND activity_id IN (SELECT id FROM activities WHERE patient_id = ?1)",
            params![patient_id],
        )?;
        let as_number = if number_added { " as one of the patient's numbers" } else { "" };
        self.audit_on(
            &tx,
            actor,
            "number.link",
            Some(patient_id),
            &format!(
                "number {} linked{as_number}; {moved} unmatched messages and {replies} replies moved",
                redact::phone(number)
            ),
        )?;
        tx.commit()?;
        Ok(Linked { moved: moved + replies, number_added })
    }

    /// Every thread, most recent activity first.
    pub fn thread_list(&self) -> Result<Vec<ThreadRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&thread_list_sql())?;
        let rows = stmt.query_map([], |r| {
            let number: Option<String> = r.get(2)?;
            let name: String = r.get(1)?;
            let text: String = r.get(5)?;
            Ok(ThreadRow {
                patient_id: r.get(0)?,
                name: match &number {
                    Some(n) if n.starts_with('+') => phone::display(&E164::from_trusted(n.clone())),
                    _ => name,
                },
                number,
                unread: r.get(3)?,
                last_at: r.get(4)?,
                last_preview: preview(&text),
                assigned_to: r.get(6)?,
                status: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a thread's inbound messages read; returns how many were unread.
    pub fn mark_thread_read(&self, thread: &ThreadRef) -> Result<usize, StoreError> {
        let now = now_rfc3339();
        Ok(match thread {
            ThreadRef::Patient(id) => {
                // In team mode, what this member read is shared in the same
                // transaction (`store::team`).
                let tx = self.conn.unchecked_transaction()?;
                let n = tx.execute(
                    "UPDATE messages SET read_at = ?2, updated_at = ?2
                     WHERE patient_id = ?1 AND read_at IS NULL AND direction = 'inbound'",
                    params![id, now],
                )?;
                super::team::threads::record_read(&tx, *id)?;
                tx.commit()?;
                n
            }
            ThreadRef::Unmatched(number) => self.conn.execute(
                "UPDATE messages SET read_at = ?2, updated_at = ?2
                 WHERE patient_id IS NULL AND from_number = ?1 AND read_at IS NULL AND direction = 'inbound'",
                params![number, now],
            )?,
        })
    }

    /// Unread inbound messages in one thread.
    pub fn unread_count(&self, thread: &ThreadRef) -> Result<i64, StoreError> {
        Ok(match thread {
            ThreadRef::Patient(id) => self.conn.query_row(
                "SELECT count(*) FROM messages WHERE patient_id = ?1 AND read_at IS NULL AND direction = 'inbound'",
                [id],
                |r| r.get(0),
            )?,
            ThreadRef::Unmatched(number) => self.conn.query_row(
                "SELECT count(*) FROM messages
                 WHERE patient_id IS NULL AND from_number = ?1 AND read_at IS NULL AND direction = 'inbound'",
                [number],
                |r| r.get(0),
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{inbox::NewInbound, query_plan, test_db, test_patient as patient};

    fn inbound(db: &Database, his_id: i64, patient_id: Option<i64>, from: &str, text: &str, at: &str) -> i64 {
        db.insert_inbound(&NewInbound {
            patient_id,
            from,
            to: "15550100000",
            body: text,
            his_id,
            reply_to_his_id: None,
            server_state: "Delivered",
            flagged: None,
            created_at: at,
            server_created_at: "2024-01-01T00:00:00.0000000",
            server_updated_at: "2024-01-01T00:00:00.0000000",
        })
        .unwrap()
    }

    #[test]
    fn thread_list_has_patients_and_unmatched_numbers_by_last_activity() {
        let (_d, db) = test_db();
        let ana = patient(&db, "Ana Lopez");
        let ben = patient(&db, "Ben Carter");
        let _quiet = patient(&db, "No Messages");
        inbound(&db, 1, Some(ana), "+18055550100", "Yes", "2024-01-01T10:00:00.000000Z");
        inbound(&db, 2, Some(ana), "+18055550100", "See you", "2024-01-01T10:05:00.000000Z");
        inbound(&db, 3, Some(ben), "+18055550102", "No", "2024-01-01T09:00:00.000000Z");
        db.conn()
            .execute(
                "INSERT INTO calls (patient_id, direction, to_number, status, created_at, updated_at)
                 VALUES (?1, 'outbound', '+18055550102', 'completed', '2024-01-01T11:00:00.000000Z', 'x')",
                [ben],
            )
            .unwrap();
        let long = "word ".repeat(40);
        inbound(&db, 4, None, "+18055550199", "who is this", "2024-01-01T08:00:00.000000Z");
        inbound(&db, 5, None, "+18055550199", &long, "2024-01-01T08:30:00.000000Z");
        inbound(&db, 6, None, "+999", "raw", "2024-01-01T07:00:00.000000Z");

        let rows = db.thread_list().unwrap();
        let summary: Vec<_> =
            rows.iter().map(|r| (r.patient_id, r.number.as_deref(), r.unread, r.last_preview.as_str())).collect();
        assert_eq!(summary.len(), 4, "{summary:?}");
        assert_eq!(summary[0], (Some(ben), None, 1, "Call placed: completed"));
        assert_eq!(summary[1], (Some(ana), None, 2, "See you"));
        assert_eq!(rows[2].number.as_deref(), Some("+18055550199"));
        assert_eq!((rows[2].patient_id, rows[2].unread), (None, 2));
        assert_eq!(rows[2].name, "+1 (805) 555-0199");
        assert_eq!(rows[2].last_preview.chars().count(), 80);
        assert_eq!((rows[3].name.as_str(), rows[3].number.as_deref()), ("+999", Some("+999")));
        assert_eq!(rows[0].name, "Ben Carter");

        assert_eq!(db.mark_thread_read(&ThreadRef::Patient(ana)).unwrap(), 2);
        assert_eq!(db.mark_thread_read(&ThreadRef::Patient(ana)).unwrap(), 0);
        assert_eq!(db.mark_thread_read(&ThreadRef::Unmatched("+18055550199".into())).unwrap(), 2);
        assert_eq!(db.unread_count(&ThreadRef::Unmatched("+999".into())).unwrap(), 1);
        let rows = db.thread_list().unwrap();
        assert_eq!(rows.iter().map(|r| r.unread).collect::<Vec<_>>(), [1, 0, 0, 1]);
    }

    #[test]
    fn linking_moves_unmatched_messages_once() {
        let (_d, db) = test_db();
        let ana = patient(&db, "Ana");
        inbound(&db, 1, None, "+18055550199", "hi", "2024-01-01T08:00:00.000000Z");
        inbound(&db, 2, None, "+18055550199", "it's Ana's son", "2024-01-01T08:01:00.000000Z");
        let link = || db.link_number("+18055550199", ana, "dana", &LinkContact::default()).unwrap();
        assert_eq!(link(), Linked { moved: 2, number_added: true });
        assert_eq!(link(), Linked { moved: 0, number_added: false });
        let rows = db.thread_list().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].patient_id, rows[0].unread), (Some(ana), 2));
    }

    #[test]
    fn unread_queries_use_the_partial_index() {
        let (_d, db) = test_db();
        let plan = |sql: &str| query_plan(&db, sql, []);
        let per_patient =
            plan("SELECT count(*) FROM messages WHERE patient_id = 1 AND read_at IS NULL AND direction = 'inbound'");
        assert!(per_patient.contains("messages_unread"), "{per_patient}");
        let list = plan(&thread_list_sql());
        // Unmatched texts come through an index; patients from the summary table.
        assert!(list.contains("SEARCH messages USING INDEX"), "{list}");
        assert!(!list.lines().any(|l| l.trim() == "SCAN messages"), "{list}");
        let open = plan(
            "SELECT id FROM messages WHERE state IN ('queued', 'sending', 'sent', 'enroute', 'accepted')
             AND route = 'his' AND direction = 'outbound' AND his_id IS NOT NULL",
        );
        assert!(open.contains("messages_open"), "{open}");
    }
}
