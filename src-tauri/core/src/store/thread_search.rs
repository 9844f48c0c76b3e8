//! Finding words in one patient's thread (Ctrl+F in the conversation):
//! every text of the thread, not only the pages the window has loaded,
//! newest first, so the window can page back to an old one.
//!
//! A text matches when it contains the search as typed, case and accents
//! aside ([`fold`]): `cafe` finds `Café`, `JOSÉ` finds `José`. The texts are
//! read through the thread index and compared here, one thread at a time:
//! an index of every word of every text would cost each stored message more
//! writes, and a thread is read whole in milliseconds (about 30 ms for
//! 20,000 texts in a debug build, measured with the ignored test below).

use rusqlite::params;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

use super::{Database, StoreError};

/// The most hits one search returns.
pub const MAX_THREAD_HITS: usize = 5_000;

/// A text of the thread that contains the search.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ThreadHit {
    pub id: i64,
    /// Always "sms" (calls have no text); the thread's item kind, so the
    /// window can find the row.
    pub kind: super::ThreadItemKind,
    /// RFC 3339 UTC, as the thread item's `at`.
    pub at: String,
}

/// What a thread search found, newest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ThreadSearch {
    pub hits: Vec<ThreadHit>,
    /// More texts match than the hits returned.
    pub more: bool,
}

/// Text as a search compares it: each character decomposed (NFKD), its
/// combining marks (accents) dropped, and lower-cased. Character by
/// character, so the window can map a match back onto the text it shows
/// (`ui/src/features/conversation/search/fold.ts` folds the same way).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for d in std::iter::once(c).nfkd().filter(|d| !is_combining_mark(*d)) {
            out.extend(d.to_lowercase().filter(|l| !is_combining_mark(*l)));
        }
    }
    out
}

impl Database {
    /// The texts of a patient's thread that contain `query` (see [`fold`]),
    /// newest first (the thread's order): at most `limit`, and whether more
    /// match. A search of nothing but spaces finds nothing.
    pub fn search_thread(&self, patient_id: i64, query: &str, limit: usize) -> Result<ThreadSearch, StoreError> {
        let needle = fold(query);
        if needle.trim().is_empty() {
            return Ok(ThreadSearch { hits: vec![], more: false });
        }
        let limit = limit.clamp(1, MAX_THREAD_HITS);
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, body, created_at FROM messages WHERE patient_id = ?1 ORDER BY created_at DESC, id DESC",
        )?;
        let mut rows = stmt.query(params![patient_id])?;
        let mut hits = Vec::new();
        while let Some(r) = rows.next()? {
            let body: String = r.get(1)?;
            if !fold(&body).contains(&needle) {
                continue;
            }
            if hits.len() == limit {
                return Ok(ThreadSearch { hits, more: true });
            }
            hits.push(ThreadHit { id: r.get(0)?, kind: super::ThreadItemKind::Sms, at: r.get(2)? });
        }
        Ok(ThreadSearch { hits, more: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{query_plan, test_db, test_inbound, test_patient};

    /// `count` texts one second apart: "note {i}: ..." with `special` at the given places.
    fn thread(db: &Database, p: i64, count: usize, special: &[(usize, &str)]) -> Vec<i64> {
        (0..count)
            .map(|i| {
                let body = special
                    .iter()
                    .find(|(at, _)| *at == i)
                    .map_or_else(|| format!("note {i}: see you soon"), |(_, text)| (*text).to_string());
                let at = format!("2026-01-01T{:02}:{:02}:{:02}Z", i / 3600, (i / 60) % 60, i % 60);
                test_inbound(db, Some(p), "+18055550100", &body, &at)
            })
            .collect()
    }

    fn ids(found: &ThreadSearch) -> Vec<i64> {
        found.hits.iter().map(|h| h.id).collect()
    }

    #[test]
    fn finds_texts_on_every_page_newest_first() {
        let (_d, db) = test_db();
        let p = test_patient(&db, "Ana");
        // 1,000 texts: five thread pages of 200; the hits are on the first, third and last.
        let all = thread(
            &db,
            p,
            1_000,
            &[(3, "Bring the blue folder"), (450, "blue sky"), (998, "Is the BLUE form signed?")],
        );
        let found = db.search_thread(p, "blue", 50).unwrap();
        assert_eq!(ids(&found), vec![all[998], all[450], all[3]]);
        assert!(!found.more);
        assert_eq!(found.hits[2].at, "2026-01-01T00:00:03Z");
        assert_eq!(found.hits[0].kind, crate::store::ThreadItemKind::Sms);
        // The limit keeps the newest and says there are more.
        let first = db.search_thread(p, "blue", 2).unwrap();
        assert_eq!((ids(&first), first.more), (vec![all[998], all[450]], true));
        // Every text matches "note" except the three.
        assert_eq!(db.search_thread(p, "note ", 5_000).unwrap().hits.len(), 997);
    }

    #[test]
    fn case_and_accents_do_not_matter_either_way() {
        let (_d, db) = test_db();
        let p = test_patient(&db, "José");
        let all = thread(
            &db,
            p,
            5,
            &[(0, "Café at noon?"), (1, "JOSÉ called"), (2, "cafe\u{301} decomposed"), (3, "ﬁle ready")],
        );
        let find = |q: &str| ids(&db.search_thread(p, q, 50).unwrap());
        assert_eq!(find("cafe"), vec![all[2], all[0]]);
        assert_eq!(find("CAFÉ"), vec![all[2], all[0]]);
        assert_eq!(find("josé"), vec![all[1]]);
        assert_eq!(find("jose called"), vec![all[1]]);
        assert_eq!(find("file"), vec![all[3]], "compatibility forms (the ﬁ ligature) fold too");
        assert_eq!(find("é"), find("e"), "an accent typed is an accent ignored");
    }

    #[test]
    fn no_match_and_blank_searches_find_nothing() {
        let (_d, db) = test_db();
        let p = test_patient(&db, "Ana");
        thread(&db, p, 10, &[]);
        for q in ["zebra", "", " ", "   ", "soon!"] {
            let found = db.search_thread(p, q, 50).unwrap();
            assert!(found.hits.is_empty() && !found.more, "{q:?}: {found:?}");
        }
        assert!(db.search_thread(p + 100, "note", 50).unwrap().hits.is_empty(), "an unknown patient");
    }

    #[test]
    fn other_threads_and_unmatched_texts_are_not_searched() {
        let (_d, db) = test_db();
        let ana = test_patient(&db, "Ana");
        let ben = test_patient(&db, "Ben");
        let mine = thread(&db, ana, 3, &[(1, "pharmacy pickup")]);
        thread(&db, ben, 3, &[(0, "pharmacy closed"), (2, "pharmacy pickup")]);
        test_inbound(&db, None, "+16175550123", "pharmacy pickup?", "2026-01-02T00:00:00Z");
        assert_eq!(ids(&db.search_thread(ana, "pharmacy", 50).unwrap()), vec![mine[1]]);
        assert_eq!(db.search_thread(ben, "pharmacy", 50).unwrap().hits.len(), 2);
    }

    #[test]
    fn folding_is_per_character_so_the_window_can_map_it_back() {
        for (text, folded) in [
            ("Hello", "hello"),
            ("Šimkutė", "simkute"),
            ("e\u{301}", "e"),
            ("ﬁ", "fi"),
            ("İstanbul", "istanbul"),
            ("ΣΟΦΙΑ", "σοφια"),
            ("😀 ok", "😀 ok"),
        ] {
            assert_eq!(fold(text), folded, "{text}");
        }
    }

    #[test]
    fn the_thread_is_read_through_its_index_newest_first() {
        let (_d, db) = test_db();
        let plan = query_plan(
            &db,
            "SELECT id, body, created_at FROM messages WHERE patient_id = ?1 ORDER BY created_at DESC, id DESC",
            params![1],
        );
        assert!(plan.contains("USING INDEX messages_thread (patient_id=?)"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "the thread is not sorted whole: {plan}");
    }

    /// `cargo test -p caredesk-core --lib thread_search -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn time_a_search_of_twenty_thousand_texts() {
        let (_d, db) = test_db();
        let p = test_patient(&db, "Ana");
        thread(&db, p, 20_000, &[(7, "Café")]);
        let started = std::time::Instant::now();
        let found = db.search_thread(p, "cafe", 500).unwrap();
        println!("20,000 texts searched in {:?}", started.elapsed());
        assert_eq!(found.hits.len(), 1);
    }
}
