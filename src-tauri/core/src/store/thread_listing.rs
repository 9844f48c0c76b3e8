//! The patient column: patients sorted by latest activity with their newest
//! item and unread count (from the `patient_activity` summary the triggers of
//! migration 0004 keep), the Unmatched inbox, and the unread total.

use std::collections::HashMap;

use rusqlite::params;

use super::{
    patients::PatientMatch,
    team::listing::{ThreadFilter, ThreadTeam},
    Database, PatientView, PhoneKind, StoreError,
};
use crate::rules::phone::{self, E164};

/// The longest preview, in characters.
const PREVIEW_CHARS: usize = 80;

/// A thread's preview from its `patient_activity` row `a`: what the newest
/// item says, read at the time asked so it follows the item's state. A text
/// that failed reads "Not sent: <reason>", one that may have gone "May not
/// have been sent: <reason>"; an outbound call "Call placed: ECM call 7,
/// queued" (what ECM answered) or "Call failed: <reason>".
pub(super) const LAST_PREVIEW: &str = "CASE
    WHEN a.last_kind = 'sms' THEN COALESCE((SELECT CASE m.state
            WHEN 'failed' THEN 'Not sent: ' || COALESCE(m.error_message, 'the server refused it')
            WHEN 'uncertain' THEN 'May not have been sent: ' || COALESCE(m.error_message, 'no answer from the server')
            END FROM messages m WHERE m.id = a.last_id AND m.direction = 'outbound'), a.last_preview)
    ELSE COALESCE((SELECT CASE
            WHEN c.direction <> 'outbound' THEN NULL
            WHEN c.status = 'failed' THEN 'Call failed: ' || COALESCE(c.error_message, 'ECM refused it')
            WHEN c.status = 'initiating' THEN 'Calling…'
            ELSE 'Call placed: ' || COALESCE('ECM call ' || c.ecm_call_id || ', ', '') || c.status
            END FROM calls c WHERE c.id = a.last_id), a.last_preview)
    END";

/// A thread's newest item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct LastItem {
    /// `created_at` (RFC 3339 UTC).
    pub at: String,
    /// "sms" or "call"
    #[ts(as = "super::ThreadItemKind")]
    pub kind: String,
    #[ts(as = "super::Direction")]
    pub direction: String,
    /// Whitespace flattened, at most 80 characters; "Not sent: <reason>" for
    /// a failed text, "Call placed: ECM call 7, queued" or "Call failed:
    /// <reason>" for an outbound call (see [`LAST_PREVIEW`]).
    pub preview: String,
    /// Team mode: who sent it, when it is an outbound text a member sent
    /// (their display name and role), so a desk says "Ben O.:" rather
    /// than "You:". Absent on a desk alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sent_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sent_by_role: Option<String>,
}

/// One row of the patient column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct PatientThread {
    #[serde(flatten)]
    pub patient: PatientView,
    pub last: Option<LastItem>,
    pub unread: i64,
    /// The patient's own number opted out of SMS.
    pub opted_out: bool,
    /// Team mode: the thread's assignee and status (absent on a desk alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub team: Option<ThreadTeam>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct UnmatchedSummary {
    /// Unknown numbers that wrote.
    pub threads: i64,
    pub unread: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct ThreadListing {
    pub patients: Vec<PatientThread>,
    /// More patients match than were asked for.
    pub has_more: bool,
    pub unmatched: UnmatchedSummary,
    pub unread_total: i64,
}

/// Where the database's writes stand: `PRAGMA data_version` (moves when
/// another connection commits) and `total_changes()` (this connection's
/// rows written, by triggers too, rolled back or not). Equal marks mean
/// nothing was written in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteMark {
    data_version: i64,
    changes: i64,
}

impl WriteMark {
    fn now(conn: &rusqlite::Connection) -> Result<WriteMark, StoreError> {
        let data_version = conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
        let changes = conn.prepare_cached("SELECT total_changes()")?.query_row([], |r| r.get(0))?;
        Ok(WriteMark { data_version, changes })
    }
}

/// One unknown number in the Unmatched inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct UnmatchedThread {
    pub number: String,
    /// The number formatted for people.
    pub display: String,
    pub unread: i64,
    pub last: LastItem,
}

/// Whitespace flattened and cut to [`PREVIEW_CHARS`].
pub fn preview(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// How an unknown number reads for people.
fn display_number(number: &str) -> String {
    if number.starts_with('+') {
        phone::display(&E164::from_trusted(number.to_string()))
    } else {
        number.to_string()
    }
}

impl Database {
    /// The patient column for `query` (see [`PatientMatch`]): at most `limit`
    /// patients, latest activity first, then those without any by name.
    pub fn thread_listing(&self, query: &str, limit: usize) -> Result<ThreadListing, StoreError> {
        self.thread_listing_in(query, limit, &ThreadFilter::default())
    }

    /// [`Self::thread_listing`] narrowed by the team's filters (assigned to
    /// me, unassigned, open, closed: see [`super::team::listing`]); in team
    /// mode each row also carries its thread's assignee and status.
    pub fn thread_listing_in(
        &self,
        query: &str,
        limit: usize,
        filter: &ThreadFilter,
    ) -> Result<ThreadListing, StoreError> {
        let (ids, has_more) = self.team_matching_ids(&PatientMatch::parse(query), limit, filter)?;
        let activity = self.activity_of(&ids)?;
        let mut team = self.team_rows(&ids)?;
        let patients = self
            .patients_by_ids(&ids)?
            .into_iter()
            .map(|patient| {
                let (last, unread) = activity.get(&patient.id).cloned().map_or((None, 0), |(l, n)| (Some(l), n));
                let opted_out = patient.phones.iter().any(|p| p.kind == PhoneKind::Patient && p.opted_out);
                let team = team.remove(&patient.id);
                PatientThread { patient, last, unread, opted_out, team }
            })
            .collect();
        let unmatched = self.unmatched_summary()?;
        let unread_total = self.patient_unread_total()? + unmatched.unread;
        Ok(ThreadListing { patients, has_more, unmatched, unread_total })
    }

    /// Every unread inbound text, unmatched included (the window title).
    pub fn unread_total(&self) -> Result<i64, StoreError> {
        Ok(self.patient_unread_total()? + self.unmatched_summary()?.unread)
    }

    /// Sums the partial index of threads with something unread.
    fn patient_unread_total(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COALESCE(sum(unread), 0) FROM patient_activity WHERE unread > 0")?
            .query_row([], |r| r.get(0))?)
    }

    fn activity_of(&self, ids: &[i64]) -> Result<HashMap<i64, (LastItem, i64)>, StoreError> {
        let mut s = self.conn.prepare_cached(&format!(
            "SELECT a.patient_id, a.last_at, a.last_kind, a.last_direction, {LAST_PREVIEW}, a.unread,
                    COALESCE(tm.display_name, lm.sent_by, lm.sent_by_role), lm.sent_by_role
               FROM patient_activity a
               LEFT JOIN messages lm ON a.last_kind = 'sms' AND lm.id = a.last_id AND lm.direction = 'outbound'
                    AND lm.sent_by_role IS NOT NULL
               LEFT JOIN team_members tm ON tm.role = lm.sent_by_role
              WHERE a.patient_id IN (SELECT value FROM json_each(?1))"
        ))?;
        let mut out = HashMap::with_capacity(ids.len());
        let mut rows = s.query([super::patients::id_list(ids)])?;
        while let Some(r) = rows.next()? {
            let text: String = r.get(4)?;
            let last = LastItem {
                at: r.get(1)?,
                kind: r.get(2)?,
                direction: r.get(3)?,
                preview: preview(&text),
                sent_by: r.get(6)?,
                sent_by_role: r.get(7)?,
            };
            out.insert(r.get(0)?, (last, r.get(5)?));
        }
        Ok(out)
    }

    /// How many unknown numbers wrote and how many of their texts are unread.
    /// Counted again only after a write (this connection's or another's):
    /// every keystroke of a search asks, and the count reads every
    /// unmatched text.
    pub fn unmatched_summary(&self) -> Result<UnmatchedSummary, StoreError> {
        let mark = WriteMark::now(&self.conn)?;
        if let Some((seen, summary)) = self.unmatched_memo.get() {
            if seen == mark {
                return Ok(summary);
            }
        }
        let summary = self
            .conn
            .prepare_cached(
                "SELECT count(DISTINCT from_number), count(*) FILTER (WHERE read_at IS NULL)
               FROM messages WHERE patient_id IS NULL AND direction = 'inbound'",
            )?
            .query_row([], |r| Ok(UnmatchedSummary { threads: r.get(0)?, unread: r.get(1)? }))?;
        self.unmatched_memo.set(Some((mark, summary)));
        Ok(summary)
    }

    /// The Unmatched inbox, latest first.
    pub fn unmatched_threads(&self, limit: usize) -> Result<Vec<UnmatchedThread>, StoreError> {
        let mut s = self.conn.prepare_cached(
            "SELECT from_number, created_at, body, n FROM (
                SELECT from_number, created_at, body,
                       ROW_NUMBER() OVER (PARTITION BY from_number ORDER BY created_at DESC, id DESC) AS rn,
                       count(*) FILTER (WHERE read_at IS NULL) OVER (PARTITION BY from_number) AS n
                  FROM messages WHERE patient_id IS NULL AND direction = 'inbound')
              WHERE rn = 1 ORDER BY created_at DESC, from_number LIMIT ?1",
        )?;
        let rows = s.query_map(params![limit as i64], |r| {
            let number: String = r.get(0)?;
            let text: String = r.get(2)?;
            Ok(UnmatchedThread {
                display: display_number(&number),
                number,
                unread: r.get(3)?,
                last: LastItem {
                    at: r.get(1)?,
                    kind: "sms".into(),
                    direction: "inbound".into(),
                    preview: preview(&text),
                    sent_by: None,
                    sent_by_role: None,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        engine::threads::ThreadRef,
        store::{test_db, test_inbound as inbound, test_patient},
    };

    fn patient(db: &Database, name: &str, number: &str) -> i64 {
        let id = test_patient(db, name);
        db.conn()
            .execute(
                "INSERT INTO contact_points (patient_id, kind, number, digits, national, created_at, updated_at)
             VALUES (?1, 'patient', ?2, substr(?2, 2), substr(?2, 3), 'x', 'x')",
                params![id, number],
            )
            .unwrap();
        id
    }

    fn names(l: &ThreadListing) -> Vec<&str> {
        l.patients.iter().map(|p| p.patient.name.as_str()).collect()
    }

    #[test]
    fn latest_activity_first_then_the_rest_by_name_with_unread_and_previews() {
        let (_d, db) = test_db();
        let ana = patient(&db, "Ana", "+18055550100");
        let bo = patient(&db, "Bo", "+18055550101");
        patient(&db, "Cy", "+18055550102");
        patient(&db, "Al", "+18055550103");
        inbound(&db, Some(ana), "+18055550100", "first   line\nsecond", "2026-01-01T10:00:00Z");
        inbound(&db, Some(bo), "+18055550101", "later", "2026-01-01T11:00:00Z");
        inbound(&db, Some(ana), "+18055550100", "late arrival, older", "2026-01-01T09:00:00Z");
        let l = db.thread_listing("", 10).unwrap();
        assert_eq!(names(&l), vec!["Bo", "Ana", "Al", "Cy"]);
        assert_eq!(l.patients[1].unread, 2);
        assert_eq!(l.patients[1].last.as_ref().unwrap().preview, "first line second");
        assert_eq!(l.patients[2].last, None);
        assert_eq!(l.unread_total, 3);
        // A call is newer activity; a limit cuts.
        db.conn()
            .execute(
                "INSERT INTO calls (patient_id, direction, to_number, status, created_at, updated_at)
                 VALUES (?1, 'outbound', '+18055550100', 'ringing', '2026-01-01T12:00:00Z', 'x')",
                [ana],
            )
            .unwrap();
        db.conn().execute("UPDATE calls SET status = 'completed'", []).unwrap();
        let l = db.thread_listing("", 2).unwrap();
        assert_eq!(names(&l), vec!["Ana", "Bo"]);
        assert_eq!(l.patients[0].last.as_ref().unwrap().preview, "Call placed: completed");
        // Reading clears the badge.
        db.mark_thread_read(&ThreadRef::Patient(ana)).unwrap();
        let l = db.thread_listing("", 10).unwrap();
        assert_eq!((l.patients[0].unread, l.unread_total), (0, 1));
    }

    #[test]
    fn search_keeps_activity_order_and_matches_digits_in_any_format() {
        let (_d, db) = test_db();
        let anna = patient(&db, "Anna Lee", "+18055550100");
        patient(&db, "Andy Moss", "+18055550111");
        let lee = patient(&db, "Kim Lee", "+16175550199");
        inbound(&db, Some(lee), "+16175550199", "hi", "2026-01-01T10:00:00Z");
        inbound(&db, Some(anna), "+18055550100", "hi", "2026-01-01T09:00:00Z");
        assert_eq!(names(&db.thread_listing("lee", 10).unwrap()), vec!["Kim Lee", "Anna Lee"]);
        assert_eq!(names(&db.thread_listing("an", 10).unwrap()), vec!["Anna Lee", "Andy Moss"]);
        assert_eq!(names(&db.thread_listing("(805) 555-01", 10).unwrap()), vec!["Anna Lee", "Andy Moss"]);
        assert_eq!(names(&db.thread_listing("+1 617", 10).unwrap()), vec!["Kim Lee"]);
        assert!(db.thread_listing("zz", 10).unwrap().patients.is_empty());
        assert!(db.thread_listing("999", 10).unwrap().patients.is_empty());
    }

    #[test]
    fn unmatched_inbox_and_linking_moves_the_summary() {
        let (_d, db) = test_db();
        let ana = patient(&db, "Ana", "+18055550100");
        inbound(&db, None, "+16175550123", "who is this?", "2026-01-01T10:00:00Z");
        inbound(&db, None, "+16175550123", "hello??", "2026-01-01T10:05:00Z");
        inbound(&db, None, "+16175550124", "wrong number", "2026-01-01T09:00:00Z");
        let l = db.thread_listing("", 10).unwrap();
        assert_eq!(l.unmatched, UnmatchedSummary { threads: 2, unread: 3 });
        assert_eq!(l.unread_total, 3);
        let u = db.unmatched_threads(10).unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!((u[0].number.as_str(), u[0].unread, u[0].last.preview.as_str()), ("+16175550123", 2, "hello??"));
        assert_eq!(u[0].display, "+1 (617) 555-0123");
        db.link_number("+16175550123", ana, "tester", &Default::default()).unwrap();
        let l = db.thread_listing("", 10).unwrap();
        assert_eq!(l.unmatched, UnmatchedSummary { threads: 1, unread: 1 });
        assert_eq!((l.patients[0].unread, l.patients[0].last.as_ref().unwrap().preview.as_str()), (2, "hello??"));
        assert_eq!(l.unread_total, 3);
    }

    #[test]
    fn the_unmatched_count_follows_writes_of_this_and_other_connections() {
        let (dir, db) = test_db();
        assert_eq!(db.unmatched_summary().unwrap(), UnmatchedSummary { threads: 0, unread: 0 });
        inbound(&db, None, "+16175550123", "who is this?", "2026-01-01T10:00:00Z");
        assert_eq!(db.unmatched_summary().unwrap(), UnmatchedSummary { threads: 1, unread: 1 });
        // Another connection (the CLI, say) stores a text.
        let other =
            Database::open(&dir.path().join("t.db"), &crate::rules::secret::Secret::new("ab".repeat(32))).unwrap();
        inbound(&other, None, "+16175550124", "wrong number", "2026-01-01T10:01:00Z");
        assert_eq!(db.unmatched_summary().unwrap(), UnmatchedSummary { threads: 2, unread: 2 });
        other.conn().execute("UPDATE messages SET read_at = 'x' WHERE from_number = '+16175550124'", []).unwrap();
        assert_eq!(db.unmatched_summary().unwrap(), UnmatchedSummary { threads: 2, unread: 1 });
    }

    #[test]
    fn previews_flatten_and_cut() {
        assert_eq!(preview(" a \n\t b "), "a b");
        let long = "x".repeat(200);
        let p = preview(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS);
        assert!(p.ends_with('…'));
    }
}
