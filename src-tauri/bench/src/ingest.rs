//! Writes: bare SQLite inserting message-sized rows (the limit), the same
//! into the real `messages` table, and the real inbox-sync path taking a
//! page of 10,000 incoming messages.

use std::{path::Path, time::Instant};

use caredesk_core::{
    desk::secrets::Secret,
    desk::Desk,
    engine::inbox_sync::{apply_incoming_page, ApplyContext, PollReport, ServerClock},
    gateways::his::{
        time::HisTime,
        wire::{Envelope, HisMessage, MessageState, MessageType, MessagesData, Status},
    },
    store::Database,
};
use chrono::{Duration as TimeDelta, Local, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rusqlite::params;

use crate::datagen;

pub const PAGE: usize = 10_000;

/// A page of incoming messages as the hospital SMS server would send them:
/// mostly from patients on the roster (the busy ones more often), some from
/// unknown numbers, some answering a sent message, the usual share of
/// keywords. Ids start at `first_id`; times end now (server wall clock).
pub fn incoming_page(n: usize, first_id: i64, reply_targets: &[i64], seed: u64) -> Vec<HisMessage> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Local::now().naive_local();
    (0..n)
        .map(|i| {
            let roll: f64 = rng.random();
            let from = if roll < 0.03 {
                datagen::unknown_number(rng.random_range(0..5_000))
            } else {
                let u: f64 = rng.random();
                datagen::patient_number(((u * u * u) * datagen::PATIENTS as f64) as usize % datagen::PATIENTS)
            };
            let text = match rng.random_range(0..1000) {
                0..=4 => "STOP".to_string(),
                5..=6 => "START".to_string(),
                7..=11 => "Help".to_string(),
                12..=111 => "Yes".to_string(),
                112..=116 => "please stop texting me".to_string(),
                _ => datagen::text(&mut rng),
            };
            let reply_to = (!reply_targets.is_empty() && rng.random_bool(0.2))
                .then(|| reply_targets[rng.random_range(0..reply_targets.len())]);
            let created = now - TimeDelta::milliseconds(((n - i) * 20) as i64);
            HisMessage {
                id: first_id + i as i64,
                from: from[1..].to_string(),
                to: "37060000001".into(),
                kind: MessageType::Incoming,
                created_at: HisTime::from_local(created),
                updated_at: HisTime::from_local(created + TimeDelta::nanoseconds(11_200)),
                text,
                state: MessageState::Delivered,
                reply_to_message_id: reply_to,
                external_key: None,
            }
        })
        .collect()
}

/// The page as the server's JSON body.
pub fn page_json(page: &[HisMessage]) -> Vec<u8> {
    let env = Envelope { data: Some(MessagesData { messages: page.to_vec() }), status: Status::ok() };
    serde_json::to_vec(&env).expect("a page serializes")
}

/// Reads a Get SMS body as the HIS client does (serde_json through
/// serde_path_to_error).
pub fn parse_page(body: &[u8]) -> Vec<HisMessage> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let env: Envelope<MessagesData> = serde_path_to_error::deserialize(&mut de).expect("the page parses");
    de.end().expect("nothing after the page");
    env.data.expect("Data").messages
}

/// HIS ids of recent sent messages, for replies to point at.
pub fn reply_targets(db: &Database) -> Vec<i64> {
    let mut s = db
        .conn()
        .prepare("SELECT his_id FROM messages WHERE direction = 'outbound' AND his_id IS NOT NULL ORDER BY id DESC LIMIT 2000")
        .expect("query");
    s.query_map([], |r| r.get(0)).expect("rows").map(Result::unwrap).collect()
}

const RAW_TABLE: &str = "CREATE TABLE raw_messages (
    id INTEGER PRIMARY KEY, patient_id INTEGER, direction TEXT NOT NULL, route TEXT NOT NULL,
    from_number TEXT NOT NULL, to_number TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
    server_state TEXT, his_id INTEGER, reply_to_his_id INTEGER, flagged TEXT, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, server_created_at TEXT, server_updated_at TEXT) STRICT";

/// One message as a row of values, the size the real path stores.
struct RawRow {
    patient_id: Option<i64>,
    from: String,
    body: String,
    his_id: i64,
    reply_to: Option<i64>,
    created: String,
    server_created: String,
    server_updated: String,
}

fn raw_rows(page: &[HisMessage]) -> Vec<RawRow> {
    let now = caredesk_core::store::now_rfc3339();
    page.iter()
        .enumerate()
        .map(|(i, m)| RawRow {
            patient_id: Some(1 + i as i64 % datagen::PATIENTS as i64),
            from: format!("+{}", m.from),
            body: m.text.clone(),
            his_id: m.id,
            reply_to: m.reply_to_message_id,
            created: now.clone(),
            server_created: m.created_at.to_wire(),
            server_updated: m.updated_at.to_wire(),
        })
        .collect()
}

/// Inserts `rows` `times` times into `table` in one transaction with one
/// prepared statement, commit included; rows per second.
fn insert_rows(conn: &rusqlite::Connection, table: &str, rows: &[RawRow], times: usize, id_base: i64) -> f64 {
    let t = Instant::now();
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate).expect("begin");
    {
        let mut s = tx
            .prepare(&format!(
                "INSERT INTO {table} (patient_id, direction, route, from_number, to_number, body, state, server_state,
                                     his_id, reply_to_his_id, flagged, created_at, updated_at, server_created_at,
                                     server_updated_at)
                 VALUES (?1, 'inbound', 'his', ?2, '37060000001', ?3, 'received', 'Delivered', ?4, ?5, NULL, ?6, ?6, ?7, ?8)"
            ))
            .expect("prepare");
        for k in 0..times {
            for r in rows {
                let his_id = id_base + (k * rows.len()) as i64 + r.his_id % 1_000_000;
                s.execute(params![
                    r.patient_id,
                    r.from,
                    r.body,
                    his_id,
                    r.reply_to,
                    r.created,
                    r.server_created,
                    r.server_updated
                ])
                .expect("insert");
            }
        }
    }
    tx.commit().expect("commit");
    (rows.len() * times) as f64 / t.elapsed().as_secs_f64()
}

/// Bare SQLite: a fresh encrypted database (opened as CareDesk opens it:
/// same build, SQLCipher key, WAL, synchronous=FULL), one table without
/// secondary indexes, 100,000 message-sized rows in one transaction.
pub fn raw_insert(scratch: &Path, key: &Secret, page: &[HisMessage]) -> f64 {
    let path = scratch.join("raw.db");
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(scratch.join(format!("raw.db{s}")));
    }
    let db = Database::open(&path, key).expect("open raw db");
    db.conn().execute_batch(RAW_TABLE).expect("raw table");
    let rows = raw_rows(page);
    // A first, smaller pass warms the statement and the file.
    insert_rows(db.conn(), "raw_messages", &rows[..1_000], 1, 1_000_000_000);
    let rate = insert_rows(db.conn(), "raw_messages", &rows, 10, 2_000_000_000);
    drop(db);
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(scratch.join(format!("raw.db{s}")));
    }
    rate
}

/// The same bare insert into the real `messages` table of the 1,000,000
/// message database (its indexes and triggers), 10,000 rows, with the page
/// cache inbox sync gives a page (128 MiB): what the schema alone costs.
pub fn raw_insert_into_messages(db: &Database, page: &[HisMessage]) -> f64 {
    let before: i64 = db.conn().query_row("PRAGMA cache_size", [], |r| r.get(0)).expect("cache size");
    db.conn().execute_batch("PRAGMA cache_size = -131072").expect("cache size");
    let rate = insert_rows(db.conn(), "messages", &raw_rows(page), 1, 9_000_000_000);
    db.conn().execute_batch(&format!("PRAGMA cache_size = {before}")).expect("cache size");
    rate
}

/// The limit for any schema that can open a thread from an index: a bare
/// table holding the generated 1,000,000 messages with only the two indexes
/// a thread needs (by patient and time, and the server id that
/// deduplicates), then the same 10,000 rows inserted with the same page
/// cache inbox sync uses. Each new row lands at a random place of the
/// thread index, so a page of messages dirties thousands of its pages,
/// every one decrypted when read and encrypted and written at commit.
pub fn raw_insert_thread_indexed(db: &Database, page: &[HisMessage]) -> f64 {
    let conn = db.conn();
    conn.execute_batch(&RAW_TABLE.replace("raw_messages", "raw_thread")).expect("raw table");
    conn.execute_batch(
        "INSERT INTO raw_thread (id, patient_id, direction, route, from_number, to_number, body, state, server_state,
                                his_id, reply_to_his_id, flagged, created_at, updated_at, server_created_at,
                                server_updated_at)
         SELECT id, patient_id, direction, route, from_number, to_number, body, state, server_state, his_id,
                reply_to_his_id, flagged, created_at, updated_at, server_created_at, server_updated_at FROM messages;
         CREATE INDEX raw_thread_thread ON raw_thread(patient_id, created_at);
         CREATE UNIQUE INDEX raw_thread_his_id ON raw_thread(his_id);
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .expect("a bare table of every message");
    // As the real insert runs: a fresh cache, widened as for a page.
    db.conn().execute_batch("PRAGMA cache_size = 0; PRAGMA cache_size = -131072").expect("cache size");
    let rows = raw_rows(page);
    let rate = insert_rows(conn, "raw_thread", &rows, 1, 9_500_000_000);
    conn.execute_batch(&format!(
        "DROP TABLE raw_thread; PRAGMA cache_size = -{}",
        caredesk_core::store::PAGE_CACHE_KIB
    ))
    .expect("drop the bare table");
    rate
}

pub struct Ingest {
    pub msgs_per_s: f64,
    pub parse_ms: f64,
    pub apply_ms: f64,
    pub report: PollReport,
}

/// The real path: the JSON body parsed, then applied as inbox sync applies a
/// page (server clock observed, matched, deduplicated, threaded, consent
/// keywords, stored with activity and event, cursor moved) in one
/// transaction.
pub fn ingest(desk: &Desk, body: &[u8]) -> Ingest {
    let t = Instant::now();
    let page = parse_page(body);
    let parsed = t.elapsed();
    let ctx =
        ApplyContext { region: desk.region(), clock: ServerClock::observe(desk.db(), Utc::now()).expect("clock") };
    let report = apply_incoming_page(desk.db(), &page, &ctx).expect("apply the page");
    let total = t.elapsed();
    Ingest {
        msgs_per_s: page.len() as f64 / total.as_secs_f64(),
        parse_ms: parsed.as_secs_f64() * 1000.0,
        apply_ms: (total - parsed).as_secs_f64() * 1000.0,
        report,
    }
}
