//! Over HTTP with the sandbox: a full inbox poll of 10,000 new messages, and
//! the outbox draining 10,000 messages with the rate limit off.

use std::{sync::Mutex, time::Instant};

use caredesk_core::{
    desk::Desk,
    engine::inbox_sync,
    engine::outbox::{self, SendLimiter},
    engine::routes::{GatewayPlan, Gateways},
    engine::send::SmsRequest,
    sandbox::{Inbound, SandboxOptions},
};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::datagen;

/// Sandbox gateways for the desk, without simulated replies.
pub async fn gateways(desk: &Mutex<Desk>) -> Gateways {
    let plan = GatewayPlan::from_desk(&desk.lock().expect("desk")).expect("gateway plan");
    plan.connect(SandboxOptions { replies: false, ..SandboxOptions::default() }).await.expect("sandbox gateways")
}

pub struct SyncFigures {
    pub ms: f64,
    pub new: usize,
}

/// 10,000 patients' replies arrive in the sandbox's HIS inbox; then one
/// `poll_incoming`, as the engine runs it: the Get SMS request over HTTP,
/// the JSON read, the page applied and committed.
pub async fn sync_10k(desk: &Mutex<Desk>, gw: &Gateways, n: usize) -> SyncFigures {
    let sb = gw.sandbox().expect("sandbox mode");
    let mut rng = StdRng::seed_from_u64(99);
    for _ in 0..n {
        let u: f64 = rng.random();
        let p = ((u * u * u) * datagen::PATIENTS as f64) as usize % datagen::PATIENTS;
        let from = datagen::patient_number(p);
        let text = datagen::text(&mut rng);
        sb.inject_inbound(Inbound {
            from: from[1..].to_string(),
            to: None,
            text: Some(text),
            reply_to: None,
            ahead_secs: None,
        })
        .expect("inject");
    }
    let his = gw.his().expect("his client");
    let t = Instant::now();
    let report = inbox_sync::poll_incoming(desk, his).await.expect("poll");
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    SyncFigures { ms, new: report.new }
}

pub struct OutboxFigures {
    pub sends_per_s: f64,
    pub accepted: usize,
    pub enqueue_per_s: f64,
}

/// Queues `n` SMS to patients (as `caredesk send` does), then drains the
/// outbox in the engine's batches with no rate limit until nothing is due.
pub async fn outbox_drain(desk: &Mutex<Desk>, gw: &Gateways, n: usize) -> OutboxFigures {
    let mut rng = StdRng::seed_from_u64(7);
    let t = Instant::now();
    {
        // Setup only: queueing is not what is measured, so it skips the
        // fsync of each of its 10,000 transactions.
        let d = desk.lock().expect("desk");
        d.db().conn().execute_batch("PRAGMA synchronous = OFF").expect("pragma");
    }
    let mut queued = 0;
    while queued < n {
        let p = rng.random_range(0..datagen::PATIENTS) + 1;
        let req = SmsRequest {
            patient: p.to_string(),
            to: None,
            text: datagen::text(&mut rng),
            via: None,
            other_number: false,
        };
        match outbox::enqueue(desk, req) {
            Ok(_) => queued += 1,
            // An opted-out patient: pick another.
            Err(caredesk_core::rules::error::CoreError::OptedOut { .. }) => {}
            Err(e) => panic!("enqueue: {e}"),
        }
    }
    let enqueue_per_s = n as f64 / t.elapsed().as_secs_f64();
    desk.lock().expect("desk").db().conn().execute_batch("PRAGMA synchronous = FULL").expect("pragma");
    let limiter = SendLimiter::new(0.0);
    let t = Instant::now();
    let mut accepted = 0;
    loop {
        let r = outbox::drain(desk, gw, &limiter, caredesk_core::engine::DRAIN_BATCH).await.expect("drain");
        accepted += r.accepted;
        if r.attempted == 0 {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    OutboxFigures { sends_per_s: accepted as f64 / secs, accepted, enqueue_per_s }
}
