//! The patient column in team mode: each row's assignment and open/closed
//! status, and the column's filters (All / Assigned to me / Unassigned,
//! Open / Closed). A desk alone asks for everything and gets exactly the
//! listing it always had: no team fields, no filter.
//!
//! A filter narrows the search's patients ([`super::super::patient_search`])
//! by the few threads the team decided something about (`team_threads`):
//! either to a set of them (assigned to me, closed) or by leaving a set out
//! (open: not closed; unassigned: not assigned), so the patient column
//! keeps its order and paging.

use std::collections::{HashMap, HashSet};

use rusqlite::{params_from_iter, Connection};
use serde::{Deserialize, Serialize};

use super::{joined, threads::ThreadStatus};
use crate::store::{
    patients::{PatientMatch, PatientOrder},
    Database, StoreError,
};

/// Whose threads the patient column shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AssignedFilter {
    #[default]
    All,
    /// Assigned to this desk's member.
    Me,
    Unassigned,
}

/// Which threads by status the patient column shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Open and closed (a desk alone: every thread).
    #[default]
    Any,
    Open,
    Closed,
}

/// The patient column's team filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ThreadFilter {
    #[serde(default)]
    pub assigned: AssignedFilter,
    #[serde(default)]
    pub status: StatusFilter,
}

/// A row's team state: whom its thread is assigned to, open or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ThreadTeam {
    /// The member's role; `None`: unassigned.
    pub assigned_to: Option<String>,
    /// The member's display name, when known.
    pub assigned_to_name: Option<String>,
    pub status: ThreadStatus,
}

/// How a filter narrows the patients a search matches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Narrow {
    /// Only these patients.
    Only(HashSet<i64>),
    /// Every patient but these.
    Except(HashSet<i64>),
}

/// The `team_threads` condition of a filter, and whether the patients it
/// names are the only ones shown (`true`) or the ones left out.
fn condition(filter: &ThreadFilter) -> Option<(&'static str, bool)> {
    use AssignedFilter as A;
    use StatusFilter as S;
    Some(match (filter.assigned, filter.status) {
        (A::All, S::Any) => return None,
        (A::All, S::Open) => ("status = 'closed'", false),
        (A::All, S::Closed) => ("status = 'closed'", true),
        (A::Me, S::Any) => ("assigned_to = ?1", true),
        (A::Me, S::Open) => ("assigned_to = ?1 AND status = 'open'", true),
        (A::Me, S::Closed) => ("assigned_to = ?1 AND status = 'closed'", true),
        (A::Unassigned, S::Any) => ("assigned_to IS NOT NULL", false),
        (A::Unassigned, S::Open) => ("assigned_to IS NOT NULL OR status = 'closed'", false),
        (A::Unassigned, S::Closed) => ("assigned_to IS NULL AND status = 'closed'", true),
    })
}

fn narrow(conn: &Connection, filter: &ThreadFilter) -> Result<Option<Narrow>, StoreError> {
    let Some((cond, only)) = condition(filter) else {
        return Ok(None);
    };
    let me = super::get(conn, super::key::ROLE)?;
    let sql = format!("SELECT patient_id FROM team_threads WHERE {cond}");
    let args: Vec<&str> = if cond.contains("?1") { vec![me.as_deref().unwrap_or("")] } else { vec![] };
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt.query_map(params_from_iter(args), |r| r.get(0))?.collect::<Result<HashSet<i64>, _>>()?;
    Ok(Some(if only { Narrow::Only(ids) } else { Narrow::Except(ids) }))
}

impl Database {
    /// The patients of the column for `m` under `filter`, latest activity
    /// first: at most `limit`, and whether more match. A desk alone (or no
    /// filter) searches as it always did.
    pub(in crate::store) fn team_matching_ids(
        &self,
        m: &PatientMatch,
        limit: usize,
        filter: &ThreadFilter,
    ) -> Result<(Vec<i64>, bool), StoreError> {
        let narrowed = if joined(&self.conn)? { narrow(&self.conn, filter)? } else { None };
        match narrowed {
            None => self.matching_patient_ids(m, PatientOrder::Activity, limit),
            Some(Narrow::Only(ids)) => self.matching_patient_ids_among(m, PatientOrder::Activity, limit, &ids),
            Some(Narrow::Except(left_out)) => {
                // Asking for as many more as could be left out is enough
                // to fill the page.
                let (found, more) =
                    self.matching_patient_ids(m, PatientOrder::Activity, limit.saturating_add(left_out.len()))?;
                let mut kept: Vec<i64> = found.into_iter().filter(|id| !left_out.contains(id)).collect();
                let has_more = kept.len() > limit || more;
                kept.truncate(limit);
                Ok((kept, has_more))
            }
        }
    }

    /// Each listed patient's team state (empty for a desk alone): open and
    /// unassigned unless the team decided otherwise.
    pub(in crate::store) fn team_rows(&self, ids: &[i64]) -> Result<HashMap<i64, ThreadTeam>, StoreError> {
        if !joined(&self.conn)? {
            return Ok(HashMap::new());
        }
        let mut out: HashMap<i64, ThreadTeam> = ids
            .iter()
            .map(|&id| (id, ThreadTeam { assigned_to: None, assigned_to_name: None, status: ThreadStatus::Open }))
            .collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.patient_id, t.assigned_to, m.display_name, t.status FROM team_threads t
               LEFT JOIN team_members m ON m.role = t.assigned_to
              WHERE t.patient_id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut rows = stmt.query([crate::store::patients::id_list(ids)])?;
        while let Some(r) = rows.next()? {
            let status: String = r.get(3)?;
            out.insert(
                r.get(0)?,
                ThreadTeam {
                    assigned_to: r.get(1)?,
                    assigned_to_name: r.get(2)?,
                    status: ThreadStatus::parse(&status).unwrap_or(ThreadStatus::Open),
                },
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_db, test_inbound, test_patient};

    fn names(db: &Database, filter: ThreadFilter, limit: usize) -> (Vec<String>, bool) {
        let listing = db.thread_listing_in("", limit, &filter).unwrap();
        (listing.patients.iter().map(|p| p.patient.name.clone()).collect(), listing.has_more)
    }

    fn filter(assigned: AssignedFilter, status: StatusFilter) -> ThreadFilter {
        ThreadFilter { assigned, status }
    }

    /// Ana (newest reply), Ben, Cy, Dee (oldest), Eve (no messages); Ben is
    /// Ana-the-member's, Cy is Ben's and closed, Dee is closed.
    fn clinic() -> (tempfile::TempDir, Database) {
        let (d, db) = test_db();
        db.team_join("ana", "2026-01-01T00:00:00Z").unwrap();
        for (i, name) in ["Dee", "Cy", "Ben", "Ana"].iter().enumerate() {
            let p = test_patient(&db, name);
            test_inbound(&db, Some(p), &format!("+1805555010{i}"), "hi", &format!("2026-01-0{}T00:00:00Z", i + 1));
        }
        test_patient(&db, "Eve");
        let id = |n: &str| -> i64 {
            db.conn().query_row("SELECT id FROM patients WHERE name = ?1", [n], |r| r.get(0)).unwrap()
        };
        db.team_assign(id("Ben"), Some("ana"), "t").unwrap();
        db.team_assign(id("Cy"), Some("ben"), "t").unwrap();
        db.team_set_status(id("Cy"), ThreadStatus::Closed, "t").unwrap();
        db.team_set_status(id("Dee"), ThreadStatus::Closed, "t").unwrap();
        (d, db)
    }

    #[test]
    fn each_filter_shows_its_threads_in_the_columns_order() {
        use AssignedFilter as A;
        use StatusFilter as S;
        let (_d, db) = clinic();
        let cases: &[(ThreadFilter, &[&str])] = &[
            (filter(A::All, S::Any), &["Ana", "Ben", "Cy", "Dee", "Eve"]),
            (filter(A::All, S::Open), &["Ana", "Ben", "Eve"]),
            (filter(A::All, S::Closed), &["Cy", "Dee"]),
            (filter(A::Me, S::Any), &["Ben"]),
            (filter(A::Me, S::Open), &["Ben"]),
            (filter(A::Me, S::Closed), &[]),
            (filter(A::Unassigned, S::Any), &["Ana", "Dee", "Eve"]),
            (filter(A::Unassigned, S::Open), &["Ana", "Eve"]),
            (filter(A::Unassigned, S::Closed), &["Dee"]),
        ];
        for (f, want) in cases {
            assert_eq!(names(&db, *f, 100).0, *want, "{f:?}");
        }
    }

    #[test]
    fn a_filtered_page_is_full_and_says_when_more_match() {
        let (_d, db) = clinic();
        let open = filter(AssignedFilter::All, StatusFilter::Open);
        assert_eq!(names(&db, open, 2), (vec!["Ana".to_string(), "Ben".to_string()], true));
        assert!(!names(&db, open, 3).1);
        let closed = filter(AssignedFilter::All, StatusFilter::Closed);
        assert_eq!(names(&db, closed, 1), (vec!["Cy".to_string()], true));
        // A search narrows a filter too.
        let listing = db.thread_listing_in("be", 10, &open).unwrap();
        assert_eq!(listing.patients.iter().map(|p| p.patient.name.as_str()).collect::<Vec<_>>(), ["Ben"]);
    }

    #[test]
    fn rows_carry_the_assignee_and_status_only_in_team_mode() {
        let (_d, db) = clinic();
        db.set_team_members(&[("ana".into(), "Ana Ruiz".into()), ("ben".into(), "Ben Ortiz".into())]).unwrap();
        let listing = db.thread_listing_in("", 10, &ThreadFilter::default()).unwrap();
        let team = |name: &str| listing.patients.iter().find(|p| p.patient.name == name).unwrap().team.clone().unwrap();
        assert_eq!(team("Ben").assigned_to_name.as_deref(), Some("Ana Ruiz"));
        assert_eq!((team("Cy").assigned_to.as_deref(), team("Cy").status), (Some("ben"), ThreadStatus::Closed));
        assert_eq!((team("Eve").assigned_to, team("Eve").status), (None, ThreadStatus::Open));

        let (_d2, alone) = test_db();
        test_patient(&alone, "Solo");
        let listing = alone.thread_listing_in("", 10, &filter(AssignedFilter::Me, StatusFilter::Closed)).unwrap();
        assert_eq!(listing.patients.len(), 1, "a desk alone has no team filter");
        assert!(listing.patients[0].team.is_none());
        assert!(serde_json::to_value(&listing.patients[0]).unwrap().get("team").is_none(), "nor a team field");
    }

    #[test]
    fn the_newest_text_says_which_member_sent_it() {
        let (_d, db) = clinic();
        db.set_team_members(&[("ben".into(), "Ben Ortiz".into())]).unwrap();
        let eve: i64 = db.conn().query_row("SELECT id FROM patients WHERE name = 'Eve'", [], |r| r.get(0)).unwrap();
        db.conn()
            .execute(
                "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, created_at,
                    updated_at, sent_by, sent_by_role)
                 VALUES (?1, 'outbound', 'his', 'CLINIC', '+18055550100', 'See you Friday', 'sent',
                    '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z', 'Ben O', 'ben')",
                [eve],
            )
            .unwrap();
        let listing = db.thread_listing_in("", 10, &ThreadFilter::default()).unwrap();
        let last = |name: &str| listing.patients.iter().find(|p| p.patient.name == name).unwrap().last.clone().unwrap();
        let eves = last("Eve");
        assert_eq!((eves.sent_by.as_deref(), eves.sent_by_role.as_deref()), (Some("Ben Ortiz"), Some("ben")));
        assert_eq!(last("Ana").sent_by, None, "a reply has no sender");
        assert!(serde_json::to_value(last("Ana")).unwrap().get("sent_by").is_none());
    }

    #[test]
    fn a_new_reply_to_an_unassigned_thread_shows_first_in_unassigned() {
        let (_d, db) = clinic();
        let eve: i64 = db.conn().query_row("SELECT id FROM patients WHERE name = 'Eve'", [], |r| r.get(0)).unwrap();
        test_inbound(&db, Some(eve), "+18055550199", "Can I come Friday?", "2026-02-01T00:00:00Z");
        let unassigned = filter(AssignedFilter::Unassigned, StatusFilter::Open);
        assert_eq!(names(&db, unassigned, 100).0, ["Eve", "Ana"]);
    }
}
