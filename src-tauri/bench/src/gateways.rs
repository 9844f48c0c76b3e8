//! Gateway client throughput and latency against the in-process sandbox.

use std::time::Instant;

use caredesk_core::{
    desk::secrets::Secret,
    gateways::ecm::client::EcmClient,
    gateways::his::{
        auth::HisAuth,
        client::{HisClient, HisConfig},
        time::HisTime,
        wire::{MessageType, SendSmsRequest},
    },
    gateways::http::{self, HttpSettings},
    sandbox::{self, Sandbox, SandboxOptions},
};
use serde_json::Value;

use crate::stats::{percentile, round};

const SENDS: usize = 2_000;
const CONCURRENCY: usize = 16;

pub async fn measure() -> Vec<(&'static str, Value)> {
    let mut options = SandboxOptions::for_tests();
    options.replies = false;
    let sb = Sandbox::start(options).await.expect("sandbox");
    let http = http::client(&HttpSettings::from_timeout_secs(10)).expect("http client");
    let his = HisClient::new(
        HisConfig { base_url: sb.his_base_url(), auth: HisAuth::Bearer(Secret::new(sandbox::SANDBOX_HIS_TOKEN)) },
        http.clone(),
    )
    .expect("his client");
    let ecm = EcmClient::new(sb.ecm_base_url(), Secret::new(sandbox::SANDBOX_ECM_TOKEN), http).expect("ecm client");
    let mut out = Vec::new();

    // Sequential sends: the latency one coordinator sees.
    let mut lat = Vec::with_capacity(500);
    for i in 0..500 {
        let req = SendSmsRequest {
            id: None,
            from: sandbox::magic::HOSPITAL_NUMBER.into(),
            to: "18055550100".into(),
            text: format!("latency {i}"),
            external_key: i as i64 + 1,
        };
        let t = Instant::now();
        his.send_sms(&req).await.expect("send");
        lat.push(t.elapsed());
    }
    lat.sort();
    out.push(("his_send_p50_ms", round(percentile(&lat, 0.5))));
    out.push(("his_send_p95_ms", round(percentile(&lat, 0.95))));
    eprintln!("  his send latency p50 {:.2} ms", percentile(&lat, 0.5));

    // Concurrent sends: throughput over one pooled client.
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let his = his.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..SENDS).step_by(CONCURRENCY) {
                let req = SendSmsRequest {
                    id: None,
                    from: sandbox::magic::HOSPITAL_NUMBER.into(),
                    to: "18055550102".into(),
                    text: format!("load {i}"),
                    external_key: 10_000 + i as i64,
                };
                his.send_sms(&req).await.expect("send");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let his_rps = SENDS as f64 / t.elapsed().as_secs_f64();
    out.push(("his_send_rps", round(his_rps)));
    eprintln!("  his sends/s {his_rps:.0}");

    let since = HisTime::parse("2000-01-01T00:00:00").expect("time");
    let t = Instant::now();
    let polls = 50;
    let mut n = 0;
    for _ in 0..polls {
        n = his.get_messages(MessageType::Outgoing, &since).await.expect("poll").messages.len();
    }
    out.push(("his_poll_ms_for_2500_messages", round(t.elapsed().as_secs_f64() * 1000.0 / polls as f64)));
    eprintln!("  his poll of {n} messages {:.2} ms", t.elapsed().as_secs_f64() * 1000.0 / polls as f64);

    let t = Instant::now();
    let mut tasks = Vec::new();
    let ecm_sends = 1_000;
    for w in 0..CONCURRENCY {
        let ecm = ecm.clone();
        tasks.push(tokio::spawn(async move {
            for _ in (w..ecm_sends).step_by(CONCURRENCY) {
                ecm.send_sms(1001, "+18055550100", "load").await.expect("ecm send");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let ecm_rps = ecm_sends as f64 / t.elapsed().as_secs_f64();
    out.push(("ecm_send_rps", round(ecm_rps)));
    eprintln!("  ecm sends/s {ecm_rps:.0}");
    sb.shutdown().await;
    out
}
