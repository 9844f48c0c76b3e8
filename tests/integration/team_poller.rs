//! One poller per clinic (issue 15), against a real PostgreSQL and the
//! sandbox: of three desks, one reads the hospital SMS server's inbox at a
//! time (the sandbox records each inbox read with the reader's User-Agent,
//! which names the desk), replies reach every desk once, and when the
//! polling desk is killed (SIGKILL, mid-cycle) another takes over within two
//! poll intervals with nothing missed and nothing twice.
//!
//! `CAREDESK_TEAM_KILLS` sets how many times the poller is killed (default 4).

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use caredesk_core::sandbox::{control::Inbound, faults::Faults, InboxPoll};
use caredesk_tests::{
    team_desks::{converge, no_duplicates, texts_of, three_desks, TeamDesk},
    Sim,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

const ANA: &str = "+18055550100";
const BEN: &str = "+18055550102";

/// The inbox reads since `since`, oldest first.
fn polls_since(sim: &Sim, since: DateTime<Utc>) -> Vec<InboxPoll> {
    let mut polls: Vec<InboxPoll> = sim.h().state().inbox_polls.into_iter().filter(|p| p.started_at >= since).collect();
    polls.sort_by_key(|p| p.started_at);
    polls
}

/// The desk id a desk of a team names in its User-Agent.
fn desk_of(agent: &str) -> Option<&str> {
    agent.split("(desk ").nth(1).and_then(|rest| rest.strip_suffix(')'))
}

fn desk_id(d: &TeamDesk) -> String {
    d.cli.json(&["team", "status", "--json"])["desk_id"].as_str().expect("a desk id").to_string()
}

/// The reads never overlap between desks: each one by another desk than the
/// read before it started after that read was answered. Returns how many
/// times the reading desk changed.
fn one_at_a_time(polls: &[InboxPoll]) -> usize {
    let mut handovers = 0;
    for w in polls.windows(2) {
        assert!(desk_of(&w[0].agent).is_some(), "an inbox read by something else than a desk of the team: {:?}", w[0]);
        if w[0].agent != w[1].agent {
            handovers += 1;
            assert!(w[1].started_at >= w[0].answered_at, "two desks read the inbox at once: {:?} and {:?}", w[0], w[1]);
        }
    }
    handovers
}

fn inbound_texts(shared: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for patient in ["Ana Lopez", "Ben Carter"] {
        for t in texts_of(shared, patient) {
            if t[1] == "inbound" {
                out.push(t[2].as_str().unwrap_or_default().to_string());
            }
        }
    }
    out
}

fn inject(sim: &Sim, i: usize) {
    let from = if i.is_multiple_of(2) { ANA } else { BEN };
    sim.h()
        .inject_inbound(Inbound { from: from.into(), text: Some(format!("Reply number {i}")), ..Inbound::default() })
        .expect("the sandbox takes a reply");
}

/// Every reply 0..n on every desk, each once.
fn every_reply_once(desks: &[TeamDesk], n: usize) -> Value {
    let all: Vec<&TeamDesk> = desks.iter().collect();
    let shared = converge(&all, "every reply on every desk", |s| inbound_texts(s).len() >= n);
    no_duplicates(&shared);
    let texts = inbound_texts(&shared);
    let unique: HashSet<&String> = texts.iter().collect();
    assert_eq!(texts.len(), n, "{n} replies, each once");
    assert_eq!(unique.len(), n, "no reply twice");
    for i in 0..n {
        assert!(unique.contains(&format!("Reply number {i}")), "reply {i} is missing");
    }
    shared
}

#[test]
fn one_desk_polls_for_the_team_and_500_replies_reach_every_desk_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_pg, sim, mut desks) = three_desks(dir.path(), false);
    let since = Utc::now();
    for d in &mut desks {
        d.start_sync();
    }
    for i in 0..500 {
        inject(&sim, i);
    }
    every_reply_once(&desks, 500);

    let polls = polls_since(&sim, since);
    assert!(polls.len() >= 2, "the inbox was read: {polls:?}");
    let ids: Vec<String> = desks.iter().map(desk_id).collect();
    let readers: HashSet<&str> = polls.iter().filter_map(|p| desk_of(&p.agent)).collect();
    assert_eq!(readers.len(), 1, "one desk polled the whole time: {readers:?}");
    assert!(ids.iter().any(|id| readers.contains(id.as_str())), "the reader is one of the desks: {readers:?} {ids:?}");
    assert_eq!(one_at_a_time(&polls), 0);
    // Every desk's status names the poller.
    for d in &desks {
        let status = d.cli.json(&["team", "status", "--json"]);
        let poller = status["poller"]["desk_id"].as_str().unwrap_or_default().to_string();
        assert!(readers.contains(poller.as_str()), "{} sees {status}", d.role);
    }
}

#[test]
fn killing_the_polling_desk_mid_cycle_hands_polling_to_another_within_two_intervals() {
    let kills: usize = std::env::var("CAREDESK_TEAM_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let interval = Duration::from_secs(2);
    let dir = tempfile::tempdir().unwrap();
    let (_pg, sim, mut desks) = three_desks(dir.path(), false);
    for d in &desks {
        d.cli.ok(&["config", "set", "sync.interval_secs", &interval.as_secs().to_string()]);
    }
    // Each inbox read takes a while, so a kill often lands inside one.
    sim.h().set_faults(Faults { latency_ms: 400, ..Faults::default() });
    let ids: Vec<String> = desks.iter().map(desk_id).collect();
    let since = Utc::now();
    for d in &mut desks {
        d.start_sync();
    }
    let total = 40 + kills * 30;
    let mut injected = 0;
    let mut takeovers = Vec::new();
    for round in 0..kills {
        // Replies keep coming, before, during and after the kill.
        let deadline = Instant::now() + Duration::from_secs(60);
        let poller = loop {
            if let Some(p) = polls_since(&sim, since).last() {
                if let Some(i) = desk_of(&p.agent).and_then(|d| ids.iter().position(|id| id == d)) {
                    break i;
                }
            }
            assert!(Instant::now() < deadline, "no desk polls");
            std::thread::sleep(Duration::from_millis(100));
        };
        for _ in 0..20 {
            inject(&sim, injected);
            injected += 1;
            std::thread::sleep(Duration::from_millis(50 + 37 * (round as u64 % 5)));
        }
        let killed_at = Utc::now();
        let killed = Instant::now();
        desks[poller].sync.as_mut().expect("the poller runs").kill_now();
        for _ in 0..10 {
            inject(&sim, injected);
            injected += 1;
        }
        // Another desk reads the inbox.
        let deadline = Instant::now() + Duration::from_secs(30);
        let taken = loop {
            let next = polls_since(&sim, killed_at)
                .into_iter()
                .find(|p| desk_of(&p.agent).is_some_and(|d| d != ids[poller].as_str()));
            if let Some(p) = next {
                break p;
            }
            assert!(Instant::now() < deadline, "nobody took over within 30 s after desk {poller} was killed");
            std::thread::sleep(Duration::from_millis(50));
        };
        let took = (taken.started_at - killed_at).to_std().unwrap_or_default();
        eprintln!("round {round}: killed {}, {} took over after {took:?}", desks[poller].role, taken.agent);
        assert!(killed.elapsed() >= took);
        takeovers.push(took);
        // The killed desk comes back (and does not poll: another does).
        desks[poller].start_sync();
    }
    while injected < total {
        inject(&sim, injected);
        injected += 1;
    }
    every_reply_once(&desks, total);
    let polls = polls_since(&sim, since);
    let handovers = one_at_a_time(&polls);
    assert!(handovers <= kills, "the poller changed only when one was killed: {handovers} changes, {kills} kills");
    let worst = takeovers.iter().max().copied().unwrap_or_default();
    eprintln!("takeovers: {takeovers:?}, worst {worst:?} (interval {interval:?})");
    assert!(worst <= 2 * interval, "a takeover took {worst:?}, more than two intervals of {interval:?}");
}
