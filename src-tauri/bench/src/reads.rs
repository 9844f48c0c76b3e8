//! Reads a coordinator waits for, at 1,000,000 messages and 100,000
//! patients, through the core functions the app calls: opening a thread (the
//! newest 200 items), the patient column searched as typed, and the thread
//! list with unread counts.

use std::time::{Duration, Instant};

use caredesk_core::{desk::Desk, store::Database};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::{Map, Value};

use crate::{
    datagen,
    stats::{ms, percentile, round},
};

/// The app's page of a thread.
const THREAD_PAGE: usize = 200;
/// The patient column's first page (`LIST_PAGE` of the desktop commands;
/// the column asks for more as it scrolls).
const LIST_LIMIT: usize = 100;
/// A column scrolled five pages down.
const LIST_SCROLLED: usize = 500;
/// The longest the search measurement runs.
const SEARCH_BUDGET: Duration = Duration::from_secs(30);

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed(), v)
}

fn ids(db: &Database, sql: &str) -> Vec<i64> {
    let mut s = db.conn().prepare(sql).expect("query");
    s.query_map([], |r| r.get(0)).expect("rows").map(Result::unwrap).collect()
}

/// What a person types, one keystroke at a time: the first name, then the
/// last name after it; the national digits of the number.
fn keystrokes(rng: &mut StdRng, n: usize) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut digits = Vec::new();
    for _ in 0..n {
        let i = rng.random_range(0..datagen::PATIENTS);
        let name = datagen::patient_name(i).to_lowercase();
        let mut typed = String::new();
        for c in name.chars().take(12) {
            typed.push(c);
            if !c.is_whitespace() {
                names.push(typed.clone());
            }
        }
        let number = datagen::patient_number(i);
        for k in 1..=10 {
            digits.push(number[2..2 + k].to_string());
        }
    }
    (names, digits)
}

pub fn measure(desk: &Desk, f: &mut Map<String, Value>) {
    let db = desk.db();
    let mut rng = StdRng::seed_from_u64(42);

    eprintln!("caredesk-bench: thread open (newest {THREAD_PAGE}) at 1,000,000 messages");
    let mut with_items = ids(db, "SELECT patient_id FROM patient_activity");
    with_items.shuffle(&mut rng);
    let mut lat = Vec::new();
    for &p in with_items.iter().take(300) {
        let (d, page) = timed(|| db.thread_page(p, None, THREAD_PAGE).expect("thread page"));
        assert!(!page.items.is_empty());
        lat.push(d);
    }
    lat.sort();
    f.insert("thread_open_p50_ms".into(), round(percentile(&lat, 0.5)));
    f.insert("thread_open_p95_ms".into(), round(percentile(&lat, 0.95)));
    eprintln!("  random threads: p50 {:.2} ms, p95 {:.2} ms", percentile(&lat, 0.5), percentile(&lat, 0.95));
    let big = ids(db, "SELECT patient_id FROM messages WHERE patient_id IS NOT NULL GROUP BY patient_id HAVING count(*) >= 1000 LIMIT 100");
    let mut lat = Vec::new();
    for &p in &big {
        let (d, _) = timed(|| db.thread_page(p, None, THREAD_PAGE).expect("thread page"));
        lat.push(d);
    }
    lat.sort();
    f.insert("thread_open_big_p95_ms".into(), round(percentile(&lat, 0.95)));
    eprintln!("  {} threads of 1,000+ messages: p95 {:.2} ms", big.len(), percentile(&lat, 0.95));

    eprintln!("caredesk-bench: patient search as typed at 100,000 patients");
    let (names, digits) = keystrokes(&mut rng, 20);
    let mut lat = Vec::new();
    let mut name_lat = Vec::new();
    let mut digit_lat = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    // Names and numbers in turn, within a time budget (a slow search must
    // not hold the whole run up).
    let started = Instant::now();
    let mut queue: Vec<(bool, &String)> = Vec::new();
    for i in 0..names.len().max(digits.len()) {
        queue.extend(names.get(i).map(|q| (true, q)));
        queue.extend(digits.get(i).map(|q| (false, q)));
    }
    for (is_name, q) in queue {
        if started.elapsed() > SEARCH_BUDGET {
            break;
        }
        let (d, _) = timed(|| db.thread_listing(q, LIST_LIMIT).expect("listing"));
        lat.push(d);
        slowest.push((d, q.clone()));
        if is_name {
            name_lat.push(d)
        } else {
            digit_lat.push(d)
        }
    }
    for v in [&mut lat, &mut name_lat, &mut digit_lat] {
        v.sort();
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let shown: Vec<String> = slowest.iter().take(8).map(|(d, q)| format!("{q:?} {:.1} ms", ms(*d))).collect();
    eprintln!("  slowest (generated names): {}", shown.join(", "));
    f.insert("search_p95_ms".into(), round(percentile(&lat, 0.95)));
    f.insert("search_p50_ms".into(), round(percentile(&lat, 0.5)));
    f.insert("search_name_p95_ms".into(), round(percentile(&name_lat, 0.95)));
    f.insert("search_digits_p95_ms".into(), round(percentile(&digit_lat, 0.95)));
    eprintln!(
        "  {} keystrokes: p50 {:.2} ms, p95 {:.2} ms (names p95 {:.2}, digits p95 {:.2})",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.95),
        percentile(&name_lat, 0.95),
        percentile(&digit_lat, 0.95)
    );
    let mut lat = Vec::new();
    let started = Instant::now();
    for q in names.iter().chain(digits.iter()).step_by(3) {
        if started.elapsed() > SEARCH_BUDGET / 3 {
            break;
        }
        let (d, _) = timed(|| db.search_patients(q, LIST_LIMIT).expect("search"));
        lat.push(d);
    }
    lat.sort();
    f.insert("search_patients_by_name_p95_ms".into(), round(percentile(&lat, 0.95)));

    eprintln!("caredesk-bench: thread list with unread counts");
    let lat = listing_times(db, LIST_LIMIT, 20);
    f.insert("unread_counts_ms".into(), round(percentile(&lat, 0.5)));
    f.insert("unread_counts_p95_ms".into(), round(percentile(&lat, 0.95)));
    eprintln!("  median {:.2} ms, p95 {:.2} ms", percentile(&lat, 0.5), percentile(&lat, 0.95));
    let lat = listing_times(db, LIST_SCROLLED, 10);
    f.insert("unread_counts_500_rows_ms".into(), round(percentile(&lat, 0.5)));
    eprintln!("  {LIST_SCROLLED} rows: median {:.2} ms", percentile(&lat, 0.5));
    let (d, rows) = timed(|| db.thread_list().expect("thread list"));
    f.insert("thread_list_all_ms".into(), round(ms(d)));
    eprintln!("  every thread (CLI `caredesk threads`, {} rows): {:.0} ms", rows.len(), ms(d));
}

/// `times` unfiltered listings of `limit` rows, sorted.
fn listing_times(db: &Database, limit: usize, times: usize) -> Vec<Duration> {
    let mut lat: Vec<Duration> = (0..times)
        .map(|_| {
            let (d, l) = timed(|| db.thread_listing("", limit).expect("listing"));
            assert_eq!(l.patients.len(), limit);
            d
        })
        .collect();
    lat.sort();
    lat
}
