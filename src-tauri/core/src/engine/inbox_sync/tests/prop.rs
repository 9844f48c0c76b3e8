//! Property tests of the cursor and deduplication: random page sequences
//! with repeats, shuffles, equal timestamps, state updates with increasing
//! `UpdatedAt` and stale copies.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta};
use proptest::prelude::*;

use super::{add_patient, ctx, incoming};
use crate::{
    engine::inbox_sync::{apply_incoming_page, cursor, INCOMING},
    gateways::his::{
        time::HisTime,
        wire::{HisMessage, MessageState},
    },
    store::{test_db, Database},
};

const NUMBERS: [&str; 3] = ["18055550100", "18055550103", "18055550199"];
const TEXTS: [&str; 6] = ["STOP", "Yes", "START", "HELP", "please stop texting me", "See you at 5"];

/// One message on the server: its versions, oldest first, with strictly
/// increasing `UpdatedAt`.
#[derive(Debug, Clone)]
struct ServerMessage {
    id: i64,
    number: usize,
    text: usize,
    versions: Vec<HisMessage>,
}

fn base() -> NaiveDateTime {
    HisTime::parse("2024-03-01T10:00:00").unwrap().local
}

/// Timestamps from a few seconds, so many messages share one.
fn message(id: i64) -> impl Strategy<Value = ServerMessage> {
    (0..NUMBERS.len(), 0..TEXTS.len(), 0i64..6, proptest::collection::vec((1i64..3, 0..MessageState::ALL.len()), 1..4))
        .prop_map(move |(number, text, created, steps)| {
            let created_at = base() + TimeDelta::seconds(created);
            let mut updated = created_at;
            let versions = steps
                .into_iter()
                .enumerate()
                .map(|(i, (step, state))| {
                    if i > 0 {
                        updated += TimeDelta::seconds(step);
                    }
                    let mut m = incoming(id, NUMBERS[number], TEXTS[text], "2024-03-01T10:00:00");
                    m.created_at = HisTime::from_local(created_at);
                    m.updated_at = HisTime::from_local(updated);
                    m.state = MessageState::ALL[state];
                    m
                })
                .collect();
            ServerMessage { id, number, text, versions }
        })
}

/// Messages and pages: each page a list of (message, version, sort key)
/// picks, each message's newest version in at least one page.
fn scenario() -> impl Strategy<Value = (Vec<ServerMessage>, Vec<Vec<HisMessage>>)> {
    (1usize..8)
        .prop_flat_map(|n| {
            let messages: Vec<_> = (0..n).map(|i| message(100 + i as i64)).collect();
            (messages, 1usize..6)
        })
        .prop_flat_map(|(messages, pages)| {
            let n = messages.len();
            let picks = proptest::collection::vec((0..n, 0usize..4, 0..pages, any::<u32>()), 0..24);
            let homes = proptest::collection::vec((0..pages, any::<u32>()), n);
            (Just(messages), Just(pages), picks, homes)
        })
        .prop_map(|(messages, pages, picks, homes)| {
            let mut keyed: Vec<Vec<(u32, HisMessage)>> = vec![Vec::new(); pages];
            for (m, v, page, key) in picks {
                let versions = &messages[m].versions;
                keyed[page].push((key, versions[v % versions.len()].clone()));
            }
            for (m, (page, key)) in homes.into_iter().enumerate() {
                keyed[page].push((key, messages[m].versions.last().cloned().expect("a message has a version")));
            }
            let pages = keyed
                .into_iter()
                .map(|mut p| {
                    p.sort_by_key(|(k, _)| *k);
                    p.into_iter().map(|(_, m)| m).collect()
                })
                .collect();
            (messages, pages)
        })
}

/// A stored message: HIS id, patient, server state, server and local update times, flag.
type Row = (i64, Option<i64>, String, String, String, Option<String>);

/// Everything page application may change: messages, consent log size, cursor.
fn snapshot(db: &Database) -> (Vec<Row>, i64, Option<String>) {
    let mut stmt = db
        .conn()
        .prepare(
            "SELECT his_id, patient_id, server_state, server_updated_at, updated_at, flagged FROM messages ORDER BY id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let log = db.conn().query_row("SELECT count(*) FROM consent_log", [], |r| r.get(0)).unwrap();
    (rows, log, db.sync_cursor(INCOMING).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_message_once_with_its_newest_state((messages, pages) in scenario()) {
        let (_d, mut db) = test_db();
        db.conn().execute_batch("PRAGMA synchronous = OFF").unwrap();
        add_patient(&mut db, "Ana", "+18055550100");
        add_patient(&mut db, "Chloe", "+18055550103");
        let ctx = ctx();
        for page in &pages {
            apply_incoming_page(&db, page, &ctx).unwrap();
            // Applying the same page again changes nothing.
            let before = snapshot(&db);
            let again = apply_incoming_page(&db, page, &ctx).unwrap();
            prop_assert_eq!(again.new + again.updated, 0);
            prop_assert_eq!(snapshot(&db), before);
        }

        let stored: BTreeMap<i64, (String, String, String)> = {
            let mut stmt = db.conn().prepare("SELECT his_id, server_state, server_updated_at, body FROM messages").unwrap();
            let rows: Vec<(i64, String, String, String)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            prop_assert_eq!(rows.len(), messages.len(), "one row per server message");
            rows.into_iter().map(|(id, s, u, b)| (id, (s, u, b))).collect()
        };
        for m in &messages {
            let newest = m.versions.last().unwrap();
            let (state, updated, body) = stored.get(&m.id).expect("every message is stored");
            prop_assert_eq!(state.as_str(), newest.state.as_str(), "message {} state", m.id);
            prop_assert_eq!(updated, &newest.updated_at.to_wire());
            prop_assert_eq!(body.as_str(), TEXTS[m.text]);
            let from: String = db.conn()
                .query_row("SELECT from_number FROM messages WHERE his_id = ?1", [m.id], |r| r.get(0))
                .unwrap();
            prop_assert_eq!(from, format!("+{}", NUMBERS[m.number]));
        }
        let newest_seen = pages.iter().flatten().map(|m| m.updated_at).max().unwrap();
        prop_assert_eq!(cursor::read_cursor(&db, INCOMING).unwrap(), Some(newest_seen));
        prop_assert_eq!(newest_seen, messages.iter().map(|m| m.versions.last().unwrap().updated_at).max().unwrap());

        // Consent changed at most once per message, and only from messages
        // that carry a keyword.
        let sources: Vec<i64> = {
            let mut stmt = db.conn()
                .prepare("SELECT m.his_id FROM consent_log l JOIN messages m ON m.id = l.source_message_id")
                .unwrap();
            let v = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
            v
        };
        let distinct: HashSet<i64> = sources.iter().copied().collect();
        prop_assert_eq!(distinct.len(), sources.len());
        for id in sources {
            let m = messages.iter().find(|m| m.id == id).unwrap();
            prop_assert!(matches!(TEXTS[m.text], "STOP" | "START" | "Yes"), "{}", TEXTS[m.text]);
        }
    }
}
