//! Micro-benchmarks of the ingest path's hot functions:
//! `cargo bench -p caredesk-bench --bench hot_paths`.
//!
//! - timestamp parsing and writing (`his::time`), once per message field;
//! - phone normalization (`phone::normalize`, and the sender of an inbound
//!   message as inbox sync reads it);
//! - consent keyword detection (`consent::classify`) on typical replies;
//! - the dedup step of a 10,000-message page (`inbox_sync::merge::dedupe`).

use std::hint::black_box;

use caredesk_core::{
    engine::inbox_sync::merge::{dedupe, sender_number},
    gateways::his::{
        time::HisTime,
        wire::{HisMessage, MessageState, MessageType},
    },
    rules::consent,
    rules::phone::{self, Region},
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn timestamps(c: &mut Criterion) {
    let mut g = c.benchmark_group("his_time");
    for (name, s) in [
        ("message", "2019-11-12T11:01:51.2143795"),
        ("send_response", "2019-11-11T08:08:21.8072824+02:00"),
        ("query", "2019-11-12 11:01:26.8912252"),
        ("rfc3339_utc", "2026-11-21T10:00:00.123456Z"),
    ] {
        g.bench_function(format!("parse/{name}"), |b| b.iter(|| HisTime::parse(black_box(s))));
    }
    let t = HisTime::parse("2019-11-12T11:01:51.2143795").unwrap();
    g.bench_function("to_wire", |b| b.iter(|| black_box(&t).to_wire()));
    g.finish();
}

fn phones(c: &mut Criterion) {
    let us = Region::default();
    let mut g = c.benchmark_group("phone");
    for (name, s) in [
        ("e164", "+18055550100"),
        ("national_punctuated", "(805) 555-0100"),
        ("wire_digits", "18055550100"),
        ("international_lt", "37060000002"),
    ] {
        g.bench_function(format!("normalize/{name}"), |b| b.iter(|| phone::normalize(black_box(s), us)));
    }
    g.bench_function("inbound_sender/wire_digits", |b| b.iter(|| sender_number(black_box("18055550100"), us)));
    g.bench_function("inbound_sender/sender_name", |b| b.iter(|| sender_number(black_box("RSL_HOSP"), us)));
    g.finish();
}

fn keywords(c: &mut Criterion) {
    let mut g = c.benchmark_group("consent_classify");
    for (name, s) in [
        ("yes", "Yes"),
        ("stop", "STOP"),
        ("revocation", "please stop texting me"),
        ("free_text", "Can I reschedule my appointment to Monday morning? I will bring the list of medications"),
    ] {
        g.bench_function(name, |b| b.iter(|| consent::classify(black_box(s))));
    }
    g.finish();
}

fn page(n: usize) -> Vec<HisMessage> {
    let base = HisTime::parse("2026-11-21T10:00:00").unwrap();
    (0..n)
        .map(|i| {
            // One message in twenty comes twice, the second copy newer.
            let id = 700_000 + (i - i / 20) as i64;
            let at = HisTime::from_local(base.local + chrono::TimeDelta::milliseconds(i as i64 * 20));
            HisMessage {
                id,
                from: format!("1805555{:04}", i % 10_000),
                to: "37060000001".into(),
                kind: MessageType::Incoming,
                created_at: at,
                updated_at: at,
                text: "Yes".into(),
                state: MessageState::Delivered,
                reply_to_message_id: None,
                external_key: None,
            }
        })
        .collect()
}

fn dedup(c: &mut Criterion) {
    let mut g = c.benchmark_group("inbox_dedupe");
    let p = page(10_000);
    g.throughput(Throughput::Elements(p.len() as u64));
    g.bench_function("page_10k", |b| b.iter(|| dedupe(black_box(&p), MessageType::Incoming).0.len()));
    g.bench_function("page_10k_shuffled", |b| {
        b.iter_batched(
            || {
                let mut q = p.clone();
                q.reverse();
                q
            },
            |q| dedupe(&q, MessageType::Incoming).0.len(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = hot;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = timestamps, phones, keywords, dedup
}
criterion_main!(hot);
