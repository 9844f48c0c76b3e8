//! The generated clinic: 100,000 patients and 1,000,000 messages in an
//! encrypted CareDesk database at the current schema, written fast (one
//! transaction, prepared statements, straight SQL) and cached under
//! `target/bench-data/`, keyed by the generator version and a fingerprint of
//! the schema, so a re-run reuses it and a schema change regenerates it.
//!
//! The shape imitates a clinic a few years in: messages in time order over
//! two years, a few busy patients with thousands of messages and a long tail
//! with a handful, 55 % outbound (his and ecm), inbound replies with their
//! activity and event as inbox sync writes them, 1 % from unknown numbers,
//! the newest inbound unread, some calls and opt-outs.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use caredesk_core::{
    desk::secrets::Secret,
    gateways::his::time::HisTime,
    store::{Database, StoreError},
};
use chrono::{DateTime, Duration as TimeDelta, Local, Offset, SecondsFormat, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rusqlite::params;

/// Bump when the generated data changes shape.
const GENERATOR_VERSION: u32 = 1;

pub const PATIENTS: usize = 100_000;
pub const MESSAGES: usize = 1_000_000;
pub const CALLS: usize = 20_000;

/// The area codes numbers are drawn from (all valid NANP codes).
const AREAS: [u32; 10] = [805, 415, 212, 617, 303, 702, 916, 503, 206, 312];

const FIRST: &[&str] = &[
    "Ana", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Hana", "Ivan", "Julia", "Kofi", "Laura", "Miguel",
    "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "Walter", "Ximena", "Yusuf", "Zoe",
    "Aaron", "Beatriz", "Chen", "Dolores", "Emeka", "Fatima", "Gustavo", "Helga", "Imani", "Jorge", "Keiko", "Luis",
    "Maya", "Nikolai", "Olga", "Pablo", "Rahul", "Sofia", "Tomas", "Ursula", "Victor", "Wen", "Yara", "Zainab",
];
const LAST: &[&str] = &[
    "Lopez",
    "Carter",
    "Nguyen",
    "Smith",
    "Garcia",
    "Johnson",
    "Kim",
    "Patel",
    "Brown",
    "Martinez",
    "Davis",
    "Chen",
    "Rodriguez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Okafor",
    "Farnsworth",
    "Quixotic",
    "Ivanova",
    "Haddad",
    "Kowalski",
    "Novak",
    "Silva",
];
const WORDS: &[&str] = &[
    "your",
    "appointment",
    "is",
    "on",
    "monday",
    "at",
    "the",
    "clinic",
    "please",
    "reply",
    "yes",
    "to",
    "confirm",
    "we",
    "will",
    "see",
    "you",
    "tomorrow",
    "thanks",
    "can",
    "i",
    "reschedule",
    "my",
    "refill",
    "is",
    "ready",
    "pharmacy",
    "call",
    "us",
    "back",
    "when",
    "doctor",
    "lab",
    "results",
    "are",
    "in",
    "ok",
    "great",
    "sorry",
    "running",
    "late",
    "minutes",
    "parking",
    "insurance",
    "card",
    "bring",
    "list",
    "of",
    "medications",
    "morning",
];

/// A generated dataset: a data directory holding the database, and its key.
pub struct Dataset {
    pub db_path: PathBuf,
    pub key: Secret,
}

/// Where generated data lives: `target/bench-data` next to this binary's
/// profile directory (or under `CARGO_TARGET_DIR`).
pub fn data_root() -> PathBuf {
    if let Some(t) = std::env::var_os("CAREDESK_BENCH_DATA") {
        return PathBuf::from(t);
    }
    let exe = std::env::current_exe().expect("the path of this binary");
    // target/<profile>/caredesk-bench
    let target = exe.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"));
    target.join("bench-data")
}

/// FNV-1a, stable across Rust releases (a cache key, not a secret).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// A fingerprint of the schema this build creates: every table, index and
/// trigger, and `user_version`.
pub fn schema_fingerprint(scratch: &Path) -> Result<String, StoreError> {
    let path = scratch.join("schema-probe.db");
    let _ = std::fs::remove_file(&path);
    let db = Database::open(&path, &Secret::new("00".repeat(32)))?;
    let sql: String = db.conn().query_row(
        "SELECT group_concat(type || ':' || name || ':' || coalesce(sql, ''), char(10))
           FROM (SELECT * FROM sqlite_master ORDER BY type, name)",
        [],
        |r| r.get(0),
    )?;
    let version: i64 = db.conn().query_row("PRAGMA user_version", [], |r| r.get(0))?;
    drop(db);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(scratch.join(format!("schema-probe.db{suffix}")));
    }
    Ok(format!("v{version}-{:016x}", fnv(sql.as_bytes())))
}

/// The cached dataset, generated first if it is missing or stale.
pub fn cached() -> Result<Dataset, Box<dyn std::error::Error>> {
    let root = data_root();
    std::fs::create_dir_all(&root)?;
    let schema = schema_fingerprint(&root)?;
    let dir = root.join(format!("clinic-g{GENERATOR_VERSION}-{schema}"));
    let db_path = dir.join("caredesk.db");
    let key_path = dir.join("db-key.hex");
    let done = dir.join("complete");
    if done.exists() && db_path.exists() && key_path.exists() {
        eprintln!("  using the cached dataset {}", dir.display());
        let key = Secret::new(std::fs::read_to_string(&key_path)?.trim().to_string());
        return Ok(Dataset { db_path, key });
    }
    // Older datasets are dropped: each is about a gigabyte.
    for entry in std::fs::read_dir(&root)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("clinic-") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    std::fs::create_dir_all(&dir)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    let key = Secret::new(hex::encode(bytes));
    std::fs::write(&key_path, key.expose())?;
    let started = Instant::now();
    generate(&db_path, &key)?;
    std::fs::write(&done, "")?;
    eprintln!("  generated in {:.1} s: {}", started.elapsed().as_secs_f64(), dir.display());
    Ok(Dataset { db_path, key })
}

/// The patient number of patient `i` (0-based): unique, valid NANP.
pub fn patient_number(i: usize) -> String {
    let area = AREAS[i % AREAS.len()];
    let j = i / AREAS.len();
    let exchange = 200 + (j % 700);
    let line = (j / 700) * 523 % 10_000;
    format!("+1{area}{exchange:03}{line:04}")
}

/// The contact's number of patient `i`, when it has one.
pub fn contact_number(i: usize) -> String {
    let area = AREAS[(i + 3) % AREAS.len()];
    let j = i / AREAS.len();
    let exchange = 200 + (j % 700);
    let line = 5_000 + (j / 700) * 131 % 5_000;
    format!("+1{area}{exchange:03}{line:04}")
}

/// A number no patient has.
pub fn unknown_number(i: usize) -> String {
    format!("+1{}{:03}{:04}", 900 + (i % 9) as u32 + 1, 200 + (i / 9) % 700, (i * 7) % 10_000)
}

pub fn patient_name(i: usize) -> String {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / FIRST.len()) % LAST.len()];
    let middle = (b'A' + ((i / (FIRST.len() * LAST.len())) % 26) as u8) as char;
    format!("{first} {middle}. {last}")
}

/// A skewed patient pick: the first patients are the busiest.
pub fn skewed_patient(rng: &mut StdRng) -> usize {
    let u: f64 = rng.random();
    ((u * u * u) * PATIENTS as f64) as usize % PATIENTS
}

pub fn text(rng: &mut StdRng) -> String {
    let n = rng.random_range(3..24);
    let mut s = String::with_capacity(n * 7);
    for k in 0..n {
        if k > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
    s
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The server's wall-clock time, as the hospital SMS server writes it.
fn server_wire(t: DateTime<Utc>, with_offset: bool) -> String {
    let local = t.with_timezone(&Local);
    let offset = with_offset.then(|| local.offset().fix());
    HisTime { local: local.naive_local(), offset }.to_wire()
}

fn generate(path: &Path, key: &Secret) -> Result<(), Box<dyn std::error::Error>> {
    let mut db = Database::open(path, key)?;
    let conn = db.conn_mut();
    // Generation only: a large cache and no fsync; the data is rebuilt if the
    // machine dies half-way (no `complete` marker).
    conn.execute_batch("PRAGMA cache_size = -1048576; PRAGMA synchronous = OFF;")?;
    let mut rng = StdRng::seed_from_u64(20_261_122);
    let now = Utc::now();
    let start = now - TimeDelta::days(730);
    let tx = conn.transaction()?;
    {
        let created = rfc3339(start);
        tx.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES ('user.name', 'Bench Coordinator', ?1)",
            [&created],
        )?;
        let mut patient = tx.prepare(
            "INSERT INTO patients (id, ecm_patient_id, name, name_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )?;
        let mut point = tx.prepare(
            "INSERT INTO contact_points (patient_id, kind, name, relationship, number, digits, national, rank, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        )?;
        for i in 0..PATIENTS {
            let id = i as i64 + 1;
            let name = patient_name(i);
            let ecm = (i % 10 < 7).then_some(10_000 + id);
            patient.execute(params![id, ecm, name, name.to_lowercase(), created])?;
            let own = patient_number(i);
            point.execute(params![
                id,
                "patient",
                None::<String>,
                None::<String>,
                own,
                &own[1..],
                &own[2..],
                0,
                created
            ])?;
            if i % 5 == 0 {
                let c = contact_number(i);
                let cname = format!("{} {}", FIRST[(i + 7) % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
                point.execute(params![id, "contact", cname, "daughter", c, &c[1..], &c[2..], 1, created])?;
            }
        }
    }
    eprintln!("  {PATIENTS} patients written");
    {
        let mut msg = tx.prepare(
            "INSERT INTO messages (id, patient_id, direction, route, from_number, to_number, body, state, server_state,
                                   his_id, ecm_sms_id, external_key, reply_to_his_id, read_at, created_at, updated_at,
                                   server_created_at, server_updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17)",
        )?;
        let mut activity = tx.prepare(
            "INSERT INTO activities (activity_type, direction, status, patient_id, performed_by_id, assigned_to_id,
                                     text_message_id, created_at)
             VALUES ('sms', 'inbound', 'created', ?1, 'system', 'Bench Coordinator', ?2, ?3)",
        )?;
        let mut event = tx.prepare(
            "INSERT INTO events (event_type, occurred_at, patient_id, activity_id) VALUES ('sms', ?1, ?2, ?3)",
        )?;
        let span = (now - TimeDelta::hours(1) - start).num_microseconds().unwrap_or(1) as f64;
        let unread_after = now - TimeDelta::days(3);
        let mut last_his_out: Vec<i64> = Vec::new();
        let mut cursor = String::new();
        for k in 0..MESSAGES {
            let id = k as i64 + 1;
            let at = start + TimeDelta::microseconds((span * k as f64 / MESSAGES as f64) as i64);
            let created = rfc3339(at);
            let body = text(&mut rng);
            let his_id = 1_000_000 + id;
            let roll: f64 = rng.random();
            if roll < 0.01 {
                // From a number no patient has: the Unmatched inbox.
                let from = unknown_number(rng.random_range(0..2_000));
                let read = (at < unread_after).then(|| created.clone());
                let wire = server_wire(at, false);
                msg.execute(params![
                    id,
                    None::<i64>,
                    "inbound",
                    "his",
                    from,
                    "37060000001",
                    body,
                    "received",
                    "Delivered",
                    his_id,
                    None::<i64>,
                    None::<String>,
                    None::<i64>,
                    read,
                    created,
                    wire,
                    wire
                ])?;
                activity.execute(params![None::<i64>, id, created])?;
                event.execute(params![created, None::<i64>, tx.last_insert_rowid()])?;
                cursor = wire;
                continue;
            }
            let p = skewed_patient(&mut rng);
            let pid = p as i64 + 1;
            let number = patient_number(p);
            if roll < 0.45 {
                let reply_to = if rng.random_bool(0.5) && !last_his_out.is_empty() {
                    Some(last_his_out[rng.random_range(0..last_his_out.len())])
                } else {
                    None
                };
                let read = (at < unread_after || rng.random_bool(0.5)).then(|| created.clone());
                let wire = server_wire(at, false);
                msg.execute(params![
                    id,
                    pid,
                    "inbound",
                    "his",
                    number,
                    "37060000001",
                    body,
                    "received",
                    "Delivered",
                    his_id,
                    None::<i64>,
                    None::<String>,
                    reply_to,
                    read,
                    created,
                    wire,
                    wire
                ])?;
                activity.execute(params![pid, id, created])?;
                event.execute(params![created, pid, tx.last_insert_rowid()])?;
                cursor = wire;
            } else if roll < 0.90 {
                let state = if at < now - TimeDelta::days(1) { "delivered" } else { "enroute" };
                let (sc, su) = (server_wire(at, true), server_wire(at + TimeDelta::seconds(3), false));
                msg.execute(params![
                    id,
                    pid,
                    "outbound",
                    "his",
                    "37060000001",
                    number,
                    body,
                    state,
                    "Delivered",
                    his_id,
                    None::<i64>,
                    format!("{id}"),
                    None::<i64>,
                    None::<String>,
                    created,
                    sc,
                    su
                ])?;
                if last_his_out.len() < 64 {
                    last_his_out.push(his_id);
                } else {
                    last_his_out[k % 64] = his_id;
                }
            } else {
                msg.execute(params![
                    id,
                    pid,
                    "outbound",
                    "ecm",
                    "+18055550000",
                    number,
                    body,
                    "delivered",
                    "delivered",
                    None::<i64>,
                    id,
                    format!("{id}"),
                    None::<i64>,
                    None::<String>,
                    created,
                    None::<String>,
                    None::<String>
                ])?;
            }
            if k % 200_000 == 199_999 {
                eprintln!("  {} messages written", k + 1);
            }
        }
        tx.execute(
            "INSERT INTO sync_cursors (name, cursor, updated_at) VALUES ('his.incoming', ?1, ?2)",
            params![cursor, rfc3339(now)],
        )?;
    }
    {
        let mut call = tx.prepare(
            "INSERT INTO calls (patient_id, direction, to_number, from_number, status, ecm_call_id, created_at, updated_at)
             VALUES (?1, 'outbound', ?2, '+18055550000', 'completed', ?3, ?4, ?4)",
        )?;
        for c in 0..CALLS {
            let p = skewed_patient(&mut rng);
            let at = start + TimeDelta::seconds(rng.random_range(0..(730 * 86_400)));
            call.execute(params![p as i64 + 1, patient_number(p), 50_000 + c as i64, rfc3339(at)])?;
        }
        let mut consent = tx.prepare(
            "INSERT OR IGNORE INTO sms_consent (number, state, source, updated_at) VALUES (?1, 'opted_out', 'keyword', ?2)",
        )?;
        for _ in 0..(PATIENTS / 100) {
            consent.execute(params![patient_number(rng.random_range(0..PATIENTS)), rfc3339(now)])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = FULL;")?;
    Ok(())
}

/// Copies the cached database to `dir/caredesk.db` (the measurements change
/// it), with a fixed instance id.
pub fn working_copy(ds: &Dataset, dir: &Path) -> std::io::Result<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let to = dir.join("caredesk.db");
    copy_through_cache(&ds.db_path, &to)?;
    std::fs::write(dir.join("instance-id"), "caredesk-bench-clinic")?;
    Ok(to)
}

/// Copies through this process, so both files end up in the OS page cache,
/// as the database of an app in daily use is (`std::fs::copy` may copy
/// inside the kernel and leave the new file to be read from disk).
pub fn copy_through_cache(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::File::create(to)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n])?;
    }
    dst.flush()
}
