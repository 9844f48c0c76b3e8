//! `caredesk-bench campaign`: a 10,000-recipient campaign prepared (the
//! recipients file read, each text merged and measured in segments, the
//! rows written) and queued (each recipient's consent, revocation, cap and
//! quiet-hours checks, and its message, outbox row and audit entry in one
//! transaction); then the send loop against the in-process sandbox at a
//! configured rate: the rate it keeps, the work per message, and how long
//! a read the UI makes waits for the desk meanwhile.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use caredesk_core::{
    engine::{campaign, outbox},
    rules::campaign::{Action, CampaignState, Caps},
};
use chrono::Utc;
use serde_json::{json, Map, Value};

use crate::stats::round;

const RECIPIENTS: usize = 10_000;
/// The send loop: this many texts at this rate.
const LOOP_TEXTS: usize = 300;
const LOOP_RATE: f64 = 50.0;

fn number(i: usize) -> String {
    format!("+1805{:03}{:04}", 300 + i / 10_000, i % 10_000)
}

/// A clinic zone where it is about noon now, so the default quiet hours
/// (08:00-21:00) are open and every recipient is checked and queued.
fn noon_zone() -> String {
    use chrono::Timelike;
    let offset = 12 - Utc::now().hour() as i64;
    match offset {
        0 => "Etc/GMT".into(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn run(_args: &[String]) -> Result<Map<String, Value>, String> {
    let mut f = Map::new();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let k = crate::keyring::open(false)?;
    let desk = crate::open_desk(dir.path(), &k);
    let err = |e: caredesk_core::rules::error::CoreError| e.to_string();
    for (key, value) in [("clinic.time_zone", noon_zone().as_str()), ("clinic.name", "North Clinic")] {
        desk.set_setting(key, value).map_err(err)?;
    }
    let mut roster = String::from("ecm_patient_id,name,phone\n");
    for i in 0..RECIPIENTS {
        roster.push_str(&format!("{},Patient{i} Bench,{}\n", 10_000 + i, number(i)));
    }
    let mut desk = desk;
    eprintln!("caredesk-bench campaign: a roster of {RECIPIENTS} patients");
    desk.import_patients("roster.csv", &roster, &mut |_| {}).map_err(err)?;
    desk.add_template(
        "Visit",
        "Hi {first_name}, {clinic_name} here: your visit is on {slot}. Reply 1 to confirm, 2 to cancel.",
    )
    .map_err(err)?;
    let mut file = String::from("ecm_patient_id,slot\n");
    for i in 0..RECIPIENTS {
        file.push_str(&format!("{},June {} at 9:{:02}\n", 10_000 + i, 1 + i % 28, i % 60));
    }
    let request = |name: &str, recipients: campaign::Recipients| campaign::CampaignRequest {
        name: name.into(),
        template: "Visit".into(),
        recipients,
        start_at: None,
        caps: Caps { per_day: 0, per_week: 0 },
        answers: "1=confirm,2=cancel".into(),
        answer_window_hours: None,
        via: None,
    };

    // Prepare: read, merge, measure, write the rows.
    let t = Instant::now();
    let c =
        campaign::create(&desk, &request("Bench", campaign::Recipients::Csv(file.clone())), Utc::now()).map_err(err)?;
    let prepare_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let preview = campaign::preview(&desk, c.id, Some(20)).map_err(err)?;
    let preview_s = t.elapsed().as_secs_f64();
    eprintln!("  prepared in {prepare_s:.2} s, previewed ({} segments) in {preview_s:.2} s", preview.segments);
    f.insert("campaign_prepare_10k_s".into(), round(prepare_s));
    f.insert("campaign_preview_10k_s".into(), round(preview_s));
    f.insert("campaign_segments".into(), json!(preview.segments));

    // Queue: the runner's checks and one transaction per recipient. The
    // outbox rows it makes are marked done between its steps (not timed),
    // so each step queues a full window.
    campaign::act(&desk, c.id, Action::Start, Utc::now()).map_err(err)?;
    let desk = Mutex::new(desk);
    let mut queue_s = 0.0;
    loop {
        let t = Instant::now();
        let r = campaign::feed(&desk, 0.0, Utc::now()).map_err(err)?;
        queue_s += t.elapsed().as_secs_f64();
        let d = desk.lock().map_err(|e| e.to_string())?;
        d.db()
            .conn()
            .execute_batch("UPDATE outbox SET state = 'done' WHERE state = 'pending'")
            .map_err(|e| e.to_string())?;
        if r.queued == 0 && r.skipped == 0 {
            break;
        }
    }
    let (total, pending, skipped) =
        desk.lock().map_err(|e| e.to_string())?.db().campaign_tally(c.id).map_err(|e| e.to_string())?;
    eprintln!("  queued {} (skipped {skipped}) in {queue_s:.2} s", total - pending - skipped);
    f.insert("campaign_queue_10k_s".into(), round(queue_s));
    f.insert("campaign_queue_per_recipient_ms".into(), round(queue_s * 1000.0 / RECIPIENTS as f64));

    // The send loop at LOOP_RATE against the in-process sandbox.
    let small: String = file.lines().take(LOOP_TEXTS + 1).collect::<Vec<_>>().join("\n");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (figures, lock_waits) = rt.block_on(async {
        let c = {
            let d = desk.lock().map_err(|e| e.to_string())?;
            d.set_setting("sms.rate_per_sec", &LOOP_RATE.to_string()).map_err(err)?;
            let c =
                campaign::create(&d, &request("Loop", campaign::Recipients::Csv(small)), Utc::now()).map_err(err)?;
            campaign::act(&d, c.id, Action::Start, Utc::now()).map_err(err)?;
            c
        };
        let gw = crate::sync::gateways(&desk).await;
        let limiter = outbox::SendLimiter::new(LOOP_RATE);
        let policy = outbox::Policy::default();
        // A UI's read every 10 ms: how long it waits for the desk.
        let desk = Arc::new(desk);
        let running = Arc::new(AtomicBool::new(true));
        let reader = {
            let (desk, running) = (desk.clone(), running.clone());
            std::thread::spawn(move || {
                let mut waits = Vec::new();
                while running.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if let Ok(d) = desk.lock() {
                        let _ = d.db().outbox_entries();
                    }
                    waits.push(t.elapsed().as_secs_f64() * 1000.0);
                    std::thread::sleep(Duration::from_millis(10));
                }
                waits
            })
        };
        let (mut busy, mut first, mut last) = (Duration::ZERO, None, None);
        let started = Instant::now();
        loop {
            let t = Instant::now();
            campaign::feed(&desk, LOOP_RATE, Utc::now()).map_err(err)?;
            let r = outbox::drain_with(&desk, outbox::Targets::new(&gw), &limiter, 200, &policy).await.map_err(err)?;
            busy += t.elapsed();
            if r.accepted > 0 {
                first.get_or_insert(t);
                last = Some(Instant::now());
            }
            let c = campaign::get(&*desk.lock().map_err(|e| e.to_string())?, c.id).map_err(err)?;
            if c.state == CampaignState::Done || started.elapsed() > Duration::from_secs(120) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(r.next_in_ms.unwrap_or(20).clamp(1, 200))).await;
        }
        running.store(false, Ordering::Relaxed);
        let mut waits = reader.join().unwrap_or_default();
        waits.sort_by(f64::total_cmp);
        gw.shutdown().await;
        let span = match (first, last) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => f64::NAN,
        };
        // N texts at R/s: the first goes at once, the last (N-1)/R s later.
        let achieved = (LOOP_TEXTS - 1) as f64 / span;
        Ok::<_, String>((
            json!({
                "campaign_loop_texts": LOOP_TEXTS,
                "campaign_loop_rate_configured": LOOP_RATE,
                "campaign_loop_rate_achieved": round(achieved),
                "campaign_loop_busy_ms_per_text": round(busy.as_secs_f64() * 1000.0 / LOOP_TEXTS as f64),
                "campaign_loop_slot_ms": round(1000.0 / LOOP_RATE),
            }),
            json!({
                "campaign_ui_read_wait_p50_ms": round(percentile(&waits, 0.5)),
                "campaign_ui_read_wait_p99_ms": round(percentile(&waits, 0.99)),
                "campaign_ui_read_wait_max_ms": round(waits.last().copied().unwrap_or(f64::NAN)),
            }),
        ))
    })?;
    for v in [figures, lock_waits] {
        if let Value::Object(m) = v {
            for (k, v) in m {
                eprintln!("  {k}: {v}");
                f.insert(k, v);
            }
        }
    }
    Ok(f)
}
