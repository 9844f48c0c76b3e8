//! Which patients a search matches, in the order the patient column or a
//! picker shows them, at a hundred thousand patients.
//!
//! A search first reads its candidates from an index range: the words of
//! names (`patient_words`, migration 0006), the digits of numbers
//! (`contact_points_digits`/`_national`) or the ECM id. Then, by how many
//! there are:
//! - a few ([`Tiers::few`] or fewer): each candidate's sort key is read and
//!   only the candidates are sorted;
//! - many (up to [`Tiers::many`]): the activity index is walked newest
//!   first and the first candidates met are kept (a name order walks the
//!   name index instead);
//! - more: the walk tests each patient it meets with the filter in SQL; so
//!   many match that the walk soon has its page.
//!
//! Each way returns the same patients in the same order; the unit tests
//! force each one and compare them with the plain query.

use std::collections::HashSet;

use rusqlite::types::Value;

use super::{
    patients::{PatientMatch, PatientOrder},
    Database, StoreError,
};

/// Where the search changes its way, in candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tiers {
    /// Up to this many candidates are sorted by themselves.
    pub few: usize,
    /// Up to this many candidates are kept in memory while the activity
    /// index is walked.
    pub many: usize,
}

impl Tiers {
    /// Measured at 100,000 patients: sorting 500 candidates (a read of
    /// each one's rows) costs about what walking 20,000 activity entries
    /// costs (the most the second way walks for a page of 100 when 0.5 % of
    /// patients match).
    pub const DEFAULT: Tiers = Tiers { few: 500, many: 20_000 };
}

/// The end of a prefix range: every string starting with `prefix` sorts
/// below it (BINARY collation compares UTF-8 bytes; U+10FFFF is the
/// greatest character).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}{}", char::MAX)
}

/// Escapes LIKE wildcards so a typed `%` or `_` matches itself.
fn like_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl PatientMatch {
    /// The candidates' query: patient ids (repeats possible) from index
    /// ranges, and its arguments. `None` for [`PatientMatch::All`].
    fn candidates_sql(&self) -> Option<(&'static str, Vec<Value>)> {
        match self {
            PatientMatch::All => None,
            PatientMatch::Ecm(id) => Some(("SELECT id FROM patients WHERE ecm_patient_id = ?1", vec![(*id).into()])),
            PatientMatch::Digits(digits) => Some((
                "SELECT patient_id FROM contact_points WHERE digits >= ?1 AND digits < ?2
                 UNION ALL SELECT patient_id FROM contact_points WHERE national >= ?1 AND national < ?2
                 UNION ALL SELECT id FROM patients WHERE ecm_patient_id = ?3",
                vec![digits.clone().into(), prefix_end(digits).into(), digits.parse::<i64>().ok().into()],
            )),
            PatientMatch::Name(key) => Some(match key.split_once(' ') {
                // Several words: the first is a whole word of the name, and
                // the phrase starts at a word.
                Some((first, _)) => (
                    "SELECT patient_id FROM patient_words
                     WHERE word = ?1 AND (name_key LIKE ?2 ESCAPE '\\' OR name_key LIKE ?3 ESCAPE '\\')",
                    vec![
                        first.to_string().into(),
                        format!("{}%", like_escaped(key)).into(),
                        format!("% {}%", like_escaped(key)).into(),
                    ],
                ),
                None => (
                    "SELECT patient_id FROM patient_words WHERE word >= ?1 AND word < ?2",
                    vec![key.clone().into(), prefix_end(key).into()],
                ),
            }),
        }
    }

    /// The same match as a filter over `patients p` (for walks that meet
    /// patients one by one), and its arguments.
    fn filter_sql(&self) -> (&'static str, Vec<Value>) {
        match self {
            PatientMatch::All => ("1", vec![]),
            PatientMatch::Ecm(id) => ("p.ecm_patient_id = ?1", vec![(*id).into()]),
            PatientMatch::Digits(digits) => (
                "(p.ecm_patient_id = ?3 OR EXISTS (SELECT 1 FROM contact_points c WHERE c.patient_id = p.id
                    AND ((c.digits >= ?1 AND c.digits < ?2) OR (c.national >= ?1 AND c.national < ?2))))",
                vec![digits.clone().into(), prefix_end(digits).into(), digits.parse::<i64>().ok().into()],
            ),
            PatientMatch::Name(key) => (
                "(p.name_key LIKE ?1 ESCAPE '\\' OR p.name_key LIKE ?2 ESCAPE '\\')",
                vec![format!("{}%", like_escaped(key)).into(), format!("% {}%", like_escaped(key)).into()],
            ),
        }
    }
}

/// The sort key of one patient.
struct Keyed {
    id: i64,
    name_key: String,
    last_at: Option<String>,
}

impl Database {
    /// Ids of the patients `m` matches, in `order`: at most `limit`, and
    /// whether more match.
    pub(super) fn matching_patient_ids(
        &self,
        m: &PatientMatch,
        order: PatientOrder,
        limit: usize,
    ) -> Result<(Vec<i64>, bool), StoreError> {
        self.matching_patient_ids_with(m, order, limit, Tiers::DEFAULT)
    }

    pub(super) fn matching_patient_ids_with(
        &self,
        m: &PatientMatch,
        order: PatientOrder,
        limit: usize,
        tiers: Tiers,
    ) -> Result<(Vec<i64>, bool), StoreError> {
        let want = limit.saturating_add(1);
        let mut ids = match m.candidates_sql() {
            None => self.walk(m, order, want, None)?,
            Some((sql, args)) => {
                // A name order walks its index with the filter as soon as
                // the candidates are more than a few.
                let cap = if order == PatientOrder::Activity { tiers.many } else { tiers.few };
                let mut stmt = self.conn.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
                let mut seen = HashSet::new();
                while seen.len() <= cap {
                    let Some(r) = rows.next()? else { break };
                    seen.insert(r.get::<_, i64>(0)?);
                }
                drop(rows);
                if seen.len() > cap {
                    self.walk(m, order, want, None)?
                } else if seen.len() <= tiers.few {
                    self.sort_candidates(&seen, order, want)?
                } else {
                    self.walk(m, order, want, Some(&seen))?
                }
            }
        };
        let more = ids.len() > limit;
        ids.truncate(limit);
        Ok((ids, more))
    }

    /// Ids of the patients among `among` that `m` matches, in `order`: at
    /// most `limit`, and whether more match. For a few patients (the
    /// threads a team filter names): each is tested, then they are sorted.
    pub(super) fn matching_patient_ids_among(
        &self,
        m: &PatientMatch,
        order: PatientOrder,
        limit: usize,
        among: &HashSet<i64>,
    ) -> Result<(Vec<i64>, bool), StoreError> {
        let (filter, mut args) = m.filter_sql();
        // The filter's arguments are ?1 to ?3 at most; the set is ?4.
        args.resize(3, Value::Null);
        let listed: Vec<i64> = among.iter().copied().collect();
        args.push(super::patients::id_list(&listed).into());
        let sql = format!("SELECT p.id FROM patients p WHERE p.id IN (SELECT value FROM json_each(?4)) AND {filter}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let matched =
            stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))?.collect::<Result<HashSet<i64>, _>>()?;
        let mut ids = self.sort_candidates(&matched, order, limit.saturating_add(1))?;
        let more = ids.len() > limit;
        ids.truncate(limit);
        Ok((ids, more))
    }

    /// Reads each candidate's sort key and sorts them.
    fn sort_candidates(&self, ids: &HashSet<i64>, order: PatientOrder, want: usize) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.name_key, a.last_at FROM patients p LEFT JOIN patient_activity a ON a.patient_id = p.id
             WHERE p.id = ?1",
        )?;
        let mut keyed = Vec::with_capacity(ids.len());
        for &id in ids {
            let mut rows = stmt.query([id])?;
            if let Some(r) = rows.next()? {
                keyed.push(Keyed { id, name_key: r.get(0)?, last_at: r.get(1)? });
            }
        }
        match order {
            PatientOrder::Name => keyed.sort_by(|a, b| a.name_key.cmp(&b.name_key).then(a.id.cmp(&b.id))),
            PatientOrder::Activity => keyed.sort_by(|a, b| {
                // Latest activity first (newest last_at, then highest id, as
                // the activity index orders), then the rest by name.
                match (&a.last_at, &b.last_at) {
                    (Some(x), Some(y)) => y.cmp(x).then(b.id.cmp(&a.id)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.name_key.cmp(&b.name_key).then(a.id.cmp(&b.id)),
                }
            }),
        }
        keyed.truncate(want);
        Ok(keyed.into_iter().map(|k| k.id).collect())
    }

    /// Walks the patients in `order` and keeps the first `want` that match:
    /// members of `members` when given, else those the SQL filter passes.
    fn walk(
        &self,
        m: &PatientMatch,
        order: PatientOrder,
        want: usize,
        members: Option<&HashSet<i64>>,
    ) -> Result<Vec<i64>, StoreError> {
        let (filter, args) = match members {
            Some(_) => ("1", vec![]),
            None => m.filter_sql(),
        };
        let mut out = Vec::with_capacity(want.min(1_024));
        if order == PatientOrder::Name {
            let sql = format!("SELECT p.id FROM patients p WHERE {filter} ORDER BY p.name_key, p.id");
            self.keep_first(&sql, &args, members, want, &mut out)?;
            return Ok(out);
        }
        let sql = if filter == "1" {
            "SELECT patient_id FROM patient_activity ORDER BY last_at DESC, patient_id DESC".to_string()
        } else {
            format!(
                "SELECT p.id FROM patient_activity a JOIN patients p ON p.id = a.patient_id
                 WHERE {filter} ORDER BY a.last_at DESC, a.patient_id DESC"
            )
        };
        self.keep_first(&sql, &args, members, want, &mut out)?;
        if out.len() >= want {
            return Ok(out);
        }
        // Every active match is in `out`; the rest have no activity and come
        // by name.
        if let Some(set) = members {
            let active: HashSet<i64> = out.iter().copied().collect();
            let rest: HashSet<i64> = set.difference(&active).copied().collect();
            let more = self.sort_candidates(&rest, PatientOrder::Name, want - out.len())?;
            out.extend(more);
        } else {
            let sql = format!(
                "SELECT p.id FROM patients p WHERE {filter}
                   AND NOT EXISTS (SELECT 1 FROM patient_activity a WHERE a.patient_id = p.id)
                 ORDER BY p.name_key, p.id"
            );
            self.keep_first(&sql, &args, None, want, &mut out)?;
        }
        Ok(out)
    }

    /// Steps through `sql`'s patient ids and appends those in `members`
    /// (every one when `None`) until `out` holds `want`.
    fn keep_first(
        &self,
        sql: &str,
        args: &[Value],
        members: Option<&HashSet<i64>>,
        want: usize,
        out: &mut Vec<i64>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while out.len() < want {
            let Some(r) = rows.next()? else { break };
            let id = r.get(0)?;
            if members.is_none_or(|s| s.contains(&id)) {
                out.push(id);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{query_plan, test_db, test_inbound, test_patient};

    /// The plain query every way must agree with.
    fn reference(db: &Database, m: &PatientMatch, order: PatientOrder) -> Vec<i64> {
        let (filter, args) = m.filter_sql();
        let order_by = match order {
            PatientOrder::Name => "p.name_key, p.id",
            PatientOrder::Activity => "a.last_at IS NULL, a.last_at DESC, a.patient_id DESC, p.name_key, p.id",
        };
        let sql = format!(
            "SELECT p.id FROM patients p LEFT JOIN patient_activity a ON a.patient_id = p.id
             WHERE {filter} ORDER BY {order_by}"
        );
        let mut s = db.conn().prepare(&sql).unwrap();
        s.query_map(rusqlite::params_from_iter(args), |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    fn clinic() -> (tempfile::TempDir, Database) {
        let (d, db) = test_db();
        let first = ["Ana", "Andy", "Anne", "Bo", "Mar", "Maria", "Mark", "Zoë", "100%", "a_b"];
        let last = ["Lopez", "Andrews", "Moss", "Lee", "Marquez"];
        let mut n = 0;
        for f in first {
            for l in last {
                n += 1;
                let id = test_patient(&db, &format!("{f} {l}"));
                db.conn()
                    .execute(
                        "INSERT INTO contact_points (patient_id, kind, number, digits, national, rank, created_at, updated_at)
                         VALUES (?1, 'patient', ?2, ?3, ?4, 0, 'x', 'x')",
                        rusqlite::params![id, format!("+1805555{n:04}"), format!("1805555{n:04}"), format!("805555{n:04}")],
                    )
                    .unwrap();
                if n % 3 != 0 {
                    // Two thirds have texts, at times that do not follow the ids.
                    let at = format!("2026-01-01T00:{:02}:00Z", (n * 7) % 60);
                    test_inbound(&db, Some(id), &format!("+1805555{n:04}"), "hi", &at);
                }
            }
        }
        db.conn().execute("UPDATE patients SET ecm_patient_id = id + 800 WHERE id % 4 = 0", []).unwrap();
        (d, db)
    }

    #[test]
    fn every_way_gives_the_plain_query_s_patients_in_its_order() {
        let (_d, db) = clinic();
        let queries = [
            "a",
            "an",
            "ana",
            "and",
            "ma",
            "mar",
            "mark",
            "maria l",
            "ana lo",
            "lee",
            "zo",
            "zoë m",
            "100%",
            "a_",
            "%",
            "_",
            "805",
            "1805555",
            "18055550012",
            "(805) 555-00",
            "805555001",
            "812",
            "816",
            "ecm:804",
            "ecm:5",
            "",
            "nobody",
        ];
        let ways = [
            Tiers { few: usize::MAX, many: usize::MAX },
            Tiers { few: 0, many: usize::MAX },
            Tiers { few: 0, many: 0 },
            Tiers { few: 3, many: 10 },
        ];
        for q in queries {
            let m = PatientMatch::parse(q);
            for order in [PatientOrder::Activity, PatientOrder::Name] {
                let all = reference(&db, &m, order);
                for limit in [1, 7, 100] {
                    let mut expected = all.clone();
                    let more = expected.len() > limit;
                    expected.truncate(limit);
                    for tiers in ways {
                        let got = db.matching_patient_ids_with(&m, order, limit, tiers).unwrap();
                        assert_eq!(got, (expected.clone(), more), "{q:?} {order:?} limit {limit} {tiers:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_renamed_patient_is_found_by_the_new_name_only() {
        let (_d, db) = test_db();
        let id = test_patient(&db, "Ana Lopez");
        db.conn()
            .execute("UPDATE patients SET name = 'Ana Marquez', name_key = 'ana marquez' WHERE id = ?1", [id])
            .unwrap();
        let find = |q: &str| db.matching_patient_ids(&PatientMatch::parse(q), PatientOrder::Name, 10).unwrap().0;
        assert_eq!(find("marq"), vec![id]);
        assert!(find("lop").is_empty());
        db.conn().execute("DELETE FROM patients WHERE id = ?1", [id]).unwrap();
        assert!(find("ana").is_empty());
        let words: i64 = db.conn().query_row("SELECT count(*) FROM patient_words", [], |r| r.get(0)).unwrap();
        assert_eq!(words, 0);
    }

    #[test]
    fn a_name_with_quotes_and_backslashes_is_split_into_its_words() {
        let (_d, db) = test_db();
        let id = test_patient(&db, r#"O"Brien \x Ana"#);
        let mut s = db.conn().prepare("SELECT word FROM patient_words WHERE patient_id = ?1 ORDER BY word").unwrap();
        let words: Vec<String> = s.query_map([id], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(words, vec!["\\x", "ana", "o\"brien"]);
        let find = |q: &str| db.matching_patient_ids(&PatientMatch::parse(q), PatientOrder::Name, 10).unwrap().0;
        assert_eq!(find("o\"b"), vec![id]);
        assert_eq!(find("\\x a"), vec![id]);
    }

    #[test]
    fn searches_read_index_ranges() {
        let (_d, db) = test_db();
        let plan = |m: PatientMatch| {
            let (sql, args) = m.candidates_sql().unwrap();
            query_plan(&db, sql, rusqlite::params_from_iter(args))
        };
        let name = plan(PatientMatch::parse("mar"));
        assert!(name.contains("SEARCH patient_words USING PRIMARY KEY (word>? AND word<?)"), "{name}");
        let phrase = plan(PatientMatch::parse("maria lo"));
        assert!(phrase.contains("SEARCH patient_words USING PRIMARY KEY (word=?)"), "{phrase}");
        let digits = plan(PatientMatch::parse("805 55"));
        assert!(digits.contains("COVERING INDEX contact_points_digits (digits>? AND digits<?)"), "{digits}");
        assert!(digits.contains("COVERING INDEX contact_points_national (national>? AND national<?)"), "{digits}");
    }
}
