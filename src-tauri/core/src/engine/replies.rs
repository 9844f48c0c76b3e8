//! New replies for desktop notifications. A notice never carries the text or
//! the number, and by default not the patient's name either: a notification
//! may show on a lock screen and stay in the OS notification store. Naming the
//! patient is opt-in (`notifications.show_names`), and never while CareDesk is
//! locked.

use rusqlite::params;

use crate::store::{Database, StoreError};

/// The most notices one check raises; the rest are summed in one more.
pub const MAX_NOTICES: usize = 3;

/// What to open when the notice is clicked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "OpenThreadRequest")]
pub struct ThreadTarget {
    pub patient_id: Option<i64>,
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyNotice {
    pub title: String,
    pub body: String,
    /// `None` for the summary of the rest.
    pub target: Option<ThreadTarget>,
}

/// The title of every notice that names no one.
pub const ANONYMOUS_TITLE: &str = "New reply in CareDesk";

/// Whether notices may name the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeNames {
    /// One notice, "New reply in CareDesk", with only a count.
    Hidden,
    /// One notice per thread, naming the patient (or "an unknown number").
    Shown,
}

impl NoticeNames {
    /// From the `notifications.show_names` setting and the lock: a locked
    /// desk never names anyone.
    pub fn from_setting(show_names: Option<&str>, locked: bool) -> NoticeNames {
        if !locked && show_names == Some("true") {
            NoticeNames::Shown
        } else {
            NoticeNames::Hidden
        }
    }
}

/// Remembers the newest inbound message already announced.
#[derive(Debug, Clone)]
pub struct ReplyWatcher {
    mark: i64,
}

/// A thread with new replies: patient, name, unknown number, count, newest id.
type NewInThread = (Option<i64>, Option<String>, Option<String>, i64, i64);

fn replies(n: i64) -> String {
    if n == 1 {
        "1 new reply. Open CareDesk to read it.".into()
    } else {
        format!("{n} new replies. Open CareDesk to read them.")
    }
}

impl ReplyWatcher {
    /// Starts after what is stored: nothing old is announced.
    pub fn start(db: &Database) -> Result<ReplyWatcher, StoreError> {
        let mark =
            db.conn()
                .query_row("SELECT COALESCE(max(id), 0) FROM messages WHERE direction = 'inbound'", [], |r| r.get(0))?;
        Ok(ReplyWatcher { mark })
    }

    /// Notices for unread inbound texts stored since the last check. With
    /// names shown: one per thread (newest thread first), at most
    /// [`MAX_NOTICES`] plus a summary; hidden: one anonymous notice.
    pub fn poll(&mut self, db: &Database, names: NoticeNames) -> Result<Vec<ReplyNotice>, StoreError> {
        let mut stmt = db.conn().prepare_cached(
            "SELECT m.patient_id, p.name, CASE WHEN m.patient_id IS NULL THEN m.from_number END AS number,
                    count(*) AS n, max(m.id) AS newest
               FROM messages m LEFT JOIN patients p ON p.id = m.patient_id
              WHERE m.direction = 'inbound' AND m.id > ?1 AND m.read_at IS NULL
              GROUP BY m.patient_id, number ORDER BY newest DESC",
        )?;
        let rows: Vec<NewInThread> = stmt
            .query_map(params![self.mark], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<_, _>>()?;
        if let Some(newest) = rows.iter().map(|r| r.4).max() {
            self.mark = self.mark.max(newest);
        }
        if names == NoticeNames::Hidden {
            return Ok(anonymous(&rows).into_iter().collect());
        }
        let mut notices: Vec<ReplyNotice> = rows
            .iter()
            .take(MAX_NOTICES)
            .map(|(patient_id, name, number, n, _)| ReplyNotice {
                title: match (patient_id, name) {
                    (Some(_), Some(name)) => format!("New reply from {name}"),
                    _ => "New text from an unknown number".into(),
                },
                body: replies(*n),
                target: Some(ThreadTarget { patient_id: *patient_id, number: number.clone() }),
            })
            .collect();
        if rows.len() > MAX_NOTICES {
            let rest: i64 = rows[MAX_NOTICES..].iter().map(|r| r.3).sum();
            notices.push(ReplyNotice {
                title: format!("{} more conversations have new replies", rows.len() - MAX_NOTICES),
                body: replies(rest),
                target: None,
            });
        }
        Ok(notices)
    }
}

/// One notice for all `rows`, naming no one; it opens the thread when there is only one.
fn anonymous(rows: &[NewInThread]) -> Option<ReplyNotice> {
    let total: i64 = rows.iter().map(|r| r.3).sum();
    (total > 0).then(|| ReplyNotice {
        title: ANONYMOUS_TITLE.into(),
        body: replies(total),
        target: match rows {
            [(patient_id, _, number, _, _)] => Some(ThreadTarget { patient_id: *patient_id, number: number.clone() }),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_db, test_inbound, test_patient as patient};

    fn inbound(db: &Database, p: Option<i64>, from: &str, body: &str) {
        test_inbound(db, p, from, body, "x");
    }

    #[test]
    fn announces_each_new_thread_once_without_text_or_number() {
        let (_d, db) = test_db();
        let ana = patient(&db, "Ana Lopez");
        inbound(&db, Some(ana), "+18055550100", "old message");
        let mut w = ReplyWatcher::start(&db).unwrap();
        assert!(w.poll(&db, NoticeNames::Shown).unwrap().is_empty(), "what was stored before start is not announced");
        inbound(&db, Some(ana), "+18055550100", "my biopsy results?");
        inbound(&db, Some(ana), "+18055550100", "call me");
        inbound(&db, None, "+16175550123", "who is this");
        let n = w.poll(&db, NoticeNames::Shown).unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].title, "New text from an unknown number");
        assert_eq!(n[0].target, Some(ThreadTarget { patient_id: None, number: Some("+16175550123".into()) }));
        assert_eq!(
            (n[1].title.as_str(), n[1].body.as_str()),
            ("New reply from Ana Lopez", "2 new replies. Open CareDesk to read them.")
        );
        for notice in &n {
            for secret in ["biopsy", "call me", "who is", "555"] {
                assert!(!notice.title.contains(secret) && !notice.body.contains(secret), "{notice:?}");
            }
        }
        assert!(w.poll(&db, NoticeNames::Shown).unwrap().is_empty(), "announced once");
    }

    #[test]
    fn many_threads_are_summed_after_the_first_few() {
        let (_d, db) = test_db();
        let mut w = ReplyWatcher::start(&db).unwrap();
        for i in 0..6 {
            let p = patient(&db, &format!("P{i}"));
            inbound(&db, Some(p), "+18055550100", "hi");
        }
        let n = w.poll(&db, NoticeNames::Shown).unwrap();
        assert_eq!(n.len(), MAX_NOTICES + 1);
        assert_eq!(n[0].title, "New reply from P5");
        assert_eq!(n[MAX_NOTICES].title, "3 more conversations have new replies");
        assert_eq!(n[MAX_NOTICES].target, None);
    }

    #[test]
    fn by_default_a_notice_names_no_one() {
        let (_d, db) = test_db();
        let ana = patient(&db, "Ana Lopez");
        let mut w = ReplyWatcher::start(&db).unwrap();
        inbound(&db, Some(ana), "+18055550100", "my biopsy results?");
        inbound(&db, None, "+16175550123", "who is this");
        let n = w.poll(&db, NoticeNames::Hidden).unwrap();
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(
            (n[0].title.as_str(), n[0].body.as_str()),
            (ANONYMOUS_TITLE, "2 new replies. Open CareDesk to read them.")
        );
        assert_eq!(n[0].target, None, "two threads: the click only opens CareDesk");
        inbound(&db, Some(ana), "+18055550100", "hello?");
        let n = w.poll(&db, NoticeNames::Hidden).unwrap();
        assert_eq!(n[0].title, ANONYMOUS_TITLE);
        assert_eq!(n[0].target, Some(ThreadTarget { patient_id: Some(ana), number: None }));
        assert!(w.poll(&db, NoticeNames::Hidden).unwrap().is_empty(), "nothing new, no notice");
    }

    #[test]
    fn names_only_when_opted_in_and_unlocked() {
        for (setting, locked, want) in [
            (None, false, NoticeNames::Hidden),
            (Some("false"), false, NoticeNames::Hidden),
            (Some("true"), false, NoticeNames::Shown),
            (Some("true"), true, NoticeNames::Hidden),
            (None, true, NoticeNames::Hidden),
        ] {
            assert_eq!(NoticeNames::from_setting(setting, locked), want, "{setting:?} locked={locked}");
        }
    }
}
