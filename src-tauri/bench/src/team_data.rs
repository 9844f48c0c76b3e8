//! A big team's database, written straight into PostgreSQL: the clinic of
//! [`crate::datagen`] (100,000 patients, 1,000,000 texts in time order with
//! the same mix, 20,000 calls, opt-outs) in the team's state tables with
//! binary `COPY`, plus assignments, notes and members' reads; then the
//! change log those rows mirror ([`crate::team_data_log`]).

use std::{collections::HashSet, pin::pin, time::Instant};

use caredesk_core::{
    engine::team::pg_rows::{INT4, INT8, NAME, TEXT, TSTZ, UUID},
    gateways::team_db::TeamDb,
};
use chrono::{DateTime, Duration as TimeDelta, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{Map, Value};
use tokio_postgres::{
    binary_copy::BinaryCopyInWriter,
    types::{ToSql, Type},
};
use uuid::Uuid;

use crate::{
    datagen::{
        self, contact_number, patient_name, patient_number, skewed_patient, unknown_number, CALLS, MESSAGES, PATIENTS,
    },
    stats::round,
    team::sql,
};

/// Members who made the team's history (the joining desk is another one's).
pub const AUTHORS: [(&str, &str); 2] = [("ana", "Ana Ruiz"), ("ben", "Ben Okafor")];
/// The desks they made it on.
pub const DESKS: [u128; 2] = [0xa000_0000_0000_4000_8000_0000_0000_0001, 0xb000_0000_0000_4000_8000_0000_0000_0002];

fn patient_gid(i: usize) -> Uuid {
    Uuid::from_u128(0x1000_0000_0000_4000_8000_0000_0000_0000 + i as u128)
}

/// A reply's gid is derived from the hospital SMS server's id, as desks derive it.
fn reply_gid(his_id: i64) -> Uuid {
    Uuid::from_u128(0x8000_8000_0000_0000_0000 + his_id as u128)
}

fn text_gid(k: usize) -> Uuid {
    Uuid::from_u128(0x2000_0000_0000_4000_8000_0000_0000_0000 + k as u128)
}

/// One `COPY … FROM STDIN (FORMAT binary)` of rows built by `rows`.
async fn copy(
    db: &TeamDb,
    table: &str,
    columns: &str,
    types: &[Type],
    rows: impl FnOnce(&mut Vec<Vec<Box<dyn ToSql + Sync + Send>>>),
) -> Result<usize, String> {
    let sink = db
        .client()
        .copy_in(&format!("COPY caredesk.{table} ({columns}) FROM STDIN (FORMAT binary)"))
        .await
        .map_err(|e| format!("{table}: {e}"))?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, types));
    let mut batch = Vec::new();
    rows(&mut batch);
    let n = batch.len();
    for row in &batch {
        let values: Vec<&(dyn ToSql + Sync)> = row.iter().map(|v| v.as_ref() as &(dyn ToSql + Sync)).collect();
        writer.as_mut().write(&values).await.map_err(|e| format!("{table}: {e}"))?;
    }
    writer.finish().await.map_err(|e| format!("{table}: {e}"))?;
    Ok(n)
}

type Row = Vec<Box<dyn ToSql + Sync + Send>>;

fn b<T: ToSql + Sync + Send + 'static>(v: T) -> Box<dyn ToSql + Sync + Send> {
    Box::new(v)
}

/// Fills the team database; figures into `f`.
pub async fn generate(db: &TeamDb, f: &mut Map<String, Value>) -> Result<(), String> {
    let t = Instant::now();
    let now = Utc::now();
    let start = now - TimeDelta::days(730);
    let mut rng = StdRng::seed_from_u64(20_261_122);

    copy(db, "patients", "gid, name, ecm_patient_id, created_at", &[UUID, TEXT, INT8, TSTZ], |rows| {
        for i in 0..PATIENTS {
            let ecm = (i % 10 < 7).then_some(10_001 + i as i64);
            rows.push(vec![b(patient_gid(i)), b(patient_name(i)), b(ecm), b(start)]);
        }
    })
    .await?;
    copy(
        db,
        "patient_numbers",
        "patient_gid, number, kind, name, relationship, rank, source",
        &[UUID, TEXT, TEXT, TEXT, TEXT, INT4, TEXT],
        |rows| {
            for i in 0..PATIENTS {
                let none: Option<String> = None;
                rows.push(vec![
                    b(patient_gid(i)),
                    b(patient_number(i)),
                    b("patient"),
                    b(none.clone()),
                    b(none),
                    b(0i32),
                    b("import"),
                ]);
                if i % 5 == 0 {
                    let name = format!("{} Contact", patient_name(i + 7).split(' ').next().unwrap_or("Rosa"));
                    rows.push(vec![
                        b(patient_gid(i)),
                        b(contact_number(i)),
                        b("contact"),
                        b(Some(name)),
                        b(Some("daughter".to_string())),
                        b(1i32),
                        b("import"),
                    ]);
                }
            }
        },
    )
    .await?;
    eprintln!("  {PATIENTS} patients and their numbers in {:.1} s", t.elapsed().as_secs_f64());
    messages(db, &mut rng, start, now).await?;
    eprintln!("  {MESSAGES} texts in {:.1} s", t.elapsed().as_secs_f64());
    rest(db, &mut rng, start, now).await?;
    let state_s = t.elapsed().as_secs_f64();
    let log = Instant::now();
    let changes = crate::team_data_log::change_log(db).await?;
    let log_s = log.elapsed().as_secs_f64();
    sql(db, "ANALYZE").await?;
    eprintln!("  state tables in {state_s:.1} s; the log's {changes} changes in {log_s:.1} s (ANALYZE included after)");
    f.insert("team_data_state_s".into(), round(state_s));
    f.insert("team_data_log_s".into(), round(log_s));
    f.insert("team_data_changes".into(), Value::from(changes));
    Ok(())
}

/// The texts, in time order, in chunks of 100,000 rows.
async fn messages(db: &TeamDb, rng: &mut StdRng, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    let span = (now - TimeDelta::hours(1) - start).num_microseconds().unwrap_or(1) as f64;
    let mut recent_out: Vec<i64> = Vec::new();
    let types = [
        UUID, UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, INT8, INT8, TEXT, INT8, TEXT, NAME, UUID, TSTZ, TEXT,
        TEXT, TEXT,
    ];
    let columns = "gid, patient_gid, direction, route, from_number, to_number, body, state, server_state, his_id, \
                   ecm_sms_id, external_key, reply_to_his_id, sent_by, sent_by_role, desk_id, created_at, \
                   server_created_at, server_updated_at, twilio_sid";
    for chunk in (0..MESSAGES).step_by(100_000) {
        let mut rows: Vec<Row> = Vec::with_capacity(100_000);
        for k in chunk..(chunk + 100_000).min(MESSAGES) {
            let at = start + TimeDelta::microseconds((span * k as f64 / MESSAGES as f64) as i64);
            let wire = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
            let body = datagen::text(rng);
            let his_id = 1_000_001 + k as i64;
            let roll: f64 = rng.random();
            let none_s: Option<String> = None;
            let none_i: Option<i64> = None;
            let none_u: Option<Uuid> = None;
            if roll < 0.45 {
                // A reply; 1 % of all texts from a number no patient has.
                let unknown = roll < 0.01;
                let p = skewed_patient(rng);
                let from = if unknown { unknown_number(rng.random_range(0..2_000)) } else { patient_number(p) };
                let reply_to = (!unknown && rng.random_bool(0.5) && !recent_out.is_empty())
                    .then(|| recent_out[rng.random_range(0..recent_out.len())]);
                rows.push(vec![
                    b(reply_gid(his_id)),
                    b((!unknown).then(|| patient_gid(p))),
                    b("inbound"),
                    b("his"),
                    b(from),
                    b("37060000001"),
                    b(body),
                    b("received"),
                    b(Some("Delivered")),
                    b(Some(his_id)),
                    b(none_i),
                    b(none_s.clone()),
                    b(reply_to),
                    b(none_s.clone()),
                    b(none_s.clone()),
                    b(none_u),
                    b(at),
                    b(Some(wire(at))),
                    b(Some(wire(at))),
                    b(none_s),
                ]);
                continue;
            }
            let p = skewed_patient(rng);
            let who = k % 2;
            let (author, role) = AUTHORS[who];
            let his = roll < 0.90;
            let state = if his && at > now - TimeDelta::days(1) { "enroute" } else { "delivered" };
            if his {
                if recent_out.len() < 64 {
                    recent_out.push(his_id);
                } else {
                    recent_out[k % 64] = his_id;
                }
            }
            let ecm = (!his).then_some(k as i64 + 1);
            rows.push(vec![
                b(text_gid(k)),
                b(Some(patient_gid(p))),
                b("outbound"),
                b(if his { "his" } else { "ecm" }),
                b(if his { "37060000001" } else { "+18055550000" }),
                b(patient_number(p)),
                b(body),
                b(state),
                b(Some(if his { "Delivered" } else { "delivered" })),
                b(his.then_some(his_id)),
                b(ecm),
                b(Some(format!("{}", k + 1))),
                b(none_i),
                b(Some(author)),
                b(Some(role)),
                b(Some(Uuid::from_u128(DESKS[who]))),
                b(at),
                b(his.then(|| wire(at))),
                b(his.then(|| wire(at + TimeDelta::seconds(3)))),
                b(ecm.map(|e| format!("SM{e:032}"))),
            ]);
        }
        copy(db, "messages", columns, &types, |out| *out = rows).await?;
    }
    Ok(())
}

/// Calls, opt-outs, assignments and closed threads, notes, members' reads.
async fn rest(db: &TeamDb, rng: &mut StdRng, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    copy(
        db,
        "calls",
        "gid, patient_gid, direction, to_number, from_number, status, ecm_call_id, placed_by, placed_by_role, created_at",
        &[
            UUID,
            UUID,
            TEXT,
            TEXT,
            TEXT,
            TEXT,
            INT8,
            TEXT,
            NAME,
            TSTZ,
        ],
        |rows| {
            for c in 0..CALLS {
                let p = skewed_patient(rng);
                let at = start + TimeDelta::seconds(rng.random_range(0..(730 * 86_400)));
                let (author, role) = AUTHORS[c % 2];
                rows.push(vec![
                    b(Uuid::from_u128(0x3000_0000_0000_4000_8000_0000_0000_0000 + c as u128)),
                    b(patient_gid(p)),
                    b("outbound"),
                    b(patient_number(p)),
                    b("+18055550000"),
                    b("completed"),
                    b(50_000 + c as i64),
                    b(author),
                    b(role),
                    b(at),
                ]);
            }
        },
    )
    .await?;
    let mut opted: HashSet<usize> = HashSet::new();
    copy(db, "consent", "number, state, source, updated_at", &[TEXT, TEXT, TEXT, TSTZ], |rows| {
        while opted.len() < PATIENTS / 100 {
            let p = rng.random_range(0..PATIENTS);
            if opted.insert(p) {
                rows.push(vec![b(patient_number(p)), b("opted_out"), b("keyword"), b(now)]);
            }
        }
    })
    .await?;
    copy(db, "threads", "patient_gid, assigned_to, status, version", &[UUID, NAME, TEXT, INT8], |rows| {
        for p in (0..PATIENTS).step_by(20) {
            let to = match p % 3 {
                0 => None,
                1 => Some(AUTHORS[0].0),
                _ => Some(AUTHORS[1].0),
            };
            rows.push(vec![b(patient_gid(p)), b(to), b(if p % 40 == 0 { "closed" } else { "open" }), b(2i64)]);
        }
    })
    .await?;
    copy(db, "notes", "gid, patient_gid, author, text, at", &[UUID, UUID, NAME, TEXT, TSTZ], |rows| {
        for n in 0..5_000usize {
            let at = start + TimeDelta::seconds(rng.random_range(0..(730 * 86_400)));
            rows.push(vec![
                b(Uuid::from_u128(0x4000_0000_0000_4000_8000_0000_0000_0000 + n as u128)),
                b(patient_gid(skewed_patient(rng))),
                b(AUTHORS[n % 2].0),
                b(format!("Note {n}: {}", datagen::text(rng))),
                b(at),
            ]);
        }
    })
    .await?;
    let read = now - TimeDelta::days(3);
    copy(db, "read_state", "role, patient_gid, read_up_to", &[NAME, UUID, TSTZ], |rows| {
        for p in 0..PATIENTS {
            // The joining member read a third of the threads on another
            // desk; Ana read half.
            if p % 3 == 0 {
                rows.push(vec![b(crate::team_join::JOINER.0), b(patient_gid(p)), b(read)]);
            }
            if p % 2 == 0 {
                rows.push(vec![b(AUTHORS[0].0), b(patient_gid(p)), b(read)]);
            }
        }
    })
    .await?;
    Ok(())
}
