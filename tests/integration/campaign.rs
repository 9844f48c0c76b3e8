//! Campaigns from the CLI (issue 17), against the sandbox as the real
//! servers: a 2,000-recipient campaign sent by `caredesk campaign start`
//! processes killed with SIGKILL at random points, round after round,
//! while the server fails sends after taking them (and 5xx, and failed
//! polls). Then the campaign is finished by one more `campaign start`, and
//! every eligible recipient is on the server exactly once with their own
//! text, the skipped ones are listed with their reasons and got nothing,
//! and the report agrees with the server. Replies "1" and "2" are read as
//! answers. Also: quiet hours in each recipient's own zone.

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant},
};

use caredesk_core::sandbox::{Faults, Inbound, SandboxOptions};
use caredesk_tests::{
    configured_cli, kill_running, require_keyring, run_with_limit, spawn_logged, write_file, Cli, Rng, Sim,
};
use serde_json::Value;

/// Recipients on the roster for the big campaign.
const RECIPIENTS: usize = 2000;
/// Kill rounds.
const ROUNDS: usize = 30;

fn ecm(i: usize) -> usize {
    10_000 + i
}

fn number(i: usize) -> String {
    format!("+1805{:03}{:04}", 300 + i / 10_000, i % 10_000)
}

fn name(i: usize) -> String {
    format!("Patient{i} Campaign")
}

/// The text recipient `i` should get.
fn text(i: usize) -> String {
    format!("Hi Patient{i}, your visit is on slot {i}. Reply 1 to confirm, 2 to cancel.")
}

fn status(cli: &Cli, id: &str) -> Value {
    cli.json(&["campaign", "status", id, "--json"])
}

fn inject(sim: &Sim, from: &str, text: &str) {
    let inbound = Inbound { from: from.into(), to: None, text: Some(text.into()), reply_to: None, ahead_secs: None };
    sim.h().inject_inbound(inbound).unwrap();
}

#[test]
fn a_2000_recipient_campaign_killed_again_and_again_texts_every_eligible_recipient_exactly_once() {
    require_keyring();
    let started = Instant::now();
    let faults =
        Faults { accept_then_fail_rate: 0.15, error_5xx_rate: 0.05, poll_error_rate: 0.1, ..Faults::default() };
    let sim = Sim::start(SandboxOptions { replies: false, faults: faults.clone(), ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    for (k, v) in [
        ("sms.rate_per_sec", "200"),
        ("http.timeout_secs", "2"),
        ("his.outgoing_lag_secs", "1"),
        ("sms.via", "his"),
        ("sync.interval_secs", "1"),
    ] {
        cli.ok(&["config", "set", k, v]);
    }
    // The roster: 2,000 patients with their own numbers.
    let mut roster = String::from("ecm_patient_id,name,phone\n");
    for i in 0..RECIPIENTS {
        roster.push_str(&format!("{},{},{}\n", ecm(i), name(i), number(i)));
    }
    cli.ok(&["patients", "import", write_file(dir.path(), "big.csv", &roster).to_str().unwrap()]);
    cli.ok(&[
        "templates",
        "add",
        "Visit",
        "--text",
        "Hi {first_name}, your visit is on slot {slot}. Reply 1 to confirm, 2 to cancel.",
    ]);

    // Who is skipped, and why.
    let opted_out: Vec<usize> = (0..5).map(|k| 100 + k * 37).collect();
    let no_number: Vec<usize> = (0..3).map(|k| 300 + k * 41).collect();
    let revoking: Vec<usize> = vec![500, 501];
    let warm_up: Vec<usize> = (0..10).map(|k| 700 + k * 13).collect();
    for &i in &opted_out {
        cli.ok(&["patients", "edit", &format!("ecm:{}", ecm(i)), "--opt-out", &number(i)]);
    }
    for &i in &no_number {
        cli.ok(&["patients", "edit", &format!("ecm:{}", ecm(i)), "--deactivate-phone", &number(i)]);
    }
    for &i in &revoking {
        inject(&sim, &number(i), "I withdraw my consent to these texts");
    }
    let _ = cli.run(&["sync", "--once"]);
    sim.h().set_faults(Faults::default());
    cli.ok(&["sync", "--once"]);
    sim.h().set_faults(faults.clone());
    // A campaign today already texted these: the big one is over their cap (1 a day).
    let mut file = String::from("ecm_patient_id,slot\n");
    for &i in &warm_up {
        file.push_str(&format!("{},{i}\n", ecm(i)));
    }
    let warm = cli
        .ok(&[
            "campaign",
            "create",
            "--name",
            "Warm-up",
            "--template",
            "Visit",
            "--recipients",
            write_file(dir.path(), "warm.csv", &file).to_str().unwrap(),
        ])
        .stdout
        .trim()
        .to_string();
    let run = run_with_limit(cli.command(&["campaign", "start", &warm]), None, Duration::from_secs(60));
    assert!(run.ok(), "{}{}", run.stdout, run.stderr);
    assert_eq!(status(&cli, &warm)["sent"], 10, "{}", status(&cli, &warm));

    // The big campaign: every patient, 5 ECM ids no patient has, 3 listed twice.
    let mut file = String::from("ecm_patient_id,slot\n");
    for i in 0..RECIPIENTS {
        file.push_str(&format!("{},{i}\n", ecm(i)));
    }
    for k in 0..5 {
        file.push_str(&format!("{},{k}\n", 90_000 + k));
    }
    for i in [3, 4, 5] {
        file.push_str(&format!("{},{i}\n", ecm(i)));
    }
    let file = write_file(dir.path(), "recipients.csv", &file);
    let id = cli
        .ok(&[
            "campaign",
            "create",
            "--name",
            "June visits",
            "--template",
            "Visit",
            "--recipients",
            file.to_str().unwrap(),
            "--answers",
            "1=confirm,2=cancel",
        ])
        .stdout
        .trim()
        .to_string();
    let preview = cli.json(&["campaign", "preview", &id, "--json", "--limit", "3"]);
    assert_eq!(preview["messages"][0]["text"], text(0), "{preview}");
    assert_eq!(preview["segments"].as_u64(), Some((RECIPIENTS - no_number.len()) as u64));

    // Kill rounds.
    let log = dir.path().join("processes.log");
    let mut rng = Rng(0x5eed_ca3a_16f0_0d11);
    let mut kills = 0;
    let rounds_started = Instant::now();
    for _ in 0..ROUNDS {
        let mut child = spawn_logged(&cli, &["campaign", "start", &id], &log);
        std::thread::sleep(Duration::from_millis(rng.between(150, 1200)));
        if kill_running(&mut child) {
            kills += 1;
        }
    }
    let after_kills = status(&cli, &id);
    let rounds_took = rounds_started.elapsed();

    // The servers behave again; one more start finishes it.
    sim.h().set_faults(Faults::default());
    let run = run_with_limit(cli.command(&["campaign", "start", &id]), None, Duration::from_secs(120));
    assert!(run.ok(), "{}{}", run.stdout, run.stderr);
    for _ in 0..3 {
        cli.ok(&["sync", "--once"]);
    }
    // Replies: "1" and "2" are answers, anything else an ordinary reply.
    for i in [10, 11, 12] {
        inject(&sim, &number(i), " 1 ");
    }
    inject(&sim, &number(13), "2");
    inject(&sim, &number(14), "which day was it?");
    std::thread::sleep(Duration::from_millis(100));
    cli.ok(&["sync", "--once"]);

    let s = status(&cli, &id);
    let report_path = dir.path().join("report.csv");
    cli.ok(&["campaign", "report", &id, "-o", report_path.to_str().unwrap()]);
    let report = std::fs::read_to_string(&report_path).unwrap();
    let server = sim.h().state();

    // Every eligible recipient exactly once, with their own text; the
    // skipped ones nothing from this campaign.
    let mut skipped_by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for k in s["skipped"].as_array().unwrap() {
        *skipped_by_reason.entry(k["reason"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let expected_skips: BTreeMap<String, usize> = [
        ("opted_out", opted_out.len()),
        ("no_number", no_number.len()),
        ("revocation_pending_review", revoking.len()),
        ("over_cap", warm_up.len()),
        ("unknown_patient", 5),
        ("duplicate", 3),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let skipped_patients: Vec<usize> =
        opted_out.iter().chain(&no_number).chain(&revoking).chain(&warm_up).copied().collect();
    let (mut once, mut duplicates, mut missing, mut leaked) = (0usize, 0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    for i in 0..RECIPIENTS {
        let n = server.sends_to(&number(i), &text(i));
        let expect = if skipped_patients.contains(&i) && !warm_up.contains(&i) { 0 } else { 1 };
        match (n, expect) {
            (1, 1) => once += 1,
            (0, 0) => {}
            (0, 1) => {
                missing += 1;
                problems.push(format!("recipient {i} got nothing"));
            }
            (n, 0) => {
                leaked += n;
                problems.push(format!("skipped recipient {i} got {n} texts"));
            }
            (n, _) => {
                duplicates += n - 1;
                problems.push(format!("recipient {i} got {n} texts"));
            }
        }
    }
    // The report agrees with the server: a row sent or delivered is a text the server holds.
    let mut rows_by_state: BTreeMap<String, usize> = BTreeMap::new();
    let mut report_mismatch = 0;
    let by_number: HashMap<String, usize> = (0..RECIPIENTS).map(|i| (number(i), i)).collect();
    for line in report.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        *rows_by_state.entry(cells[3].to_string()).or_default() += 1;
        let number = cells[2].trim_start_matches('\'');
        if let Some(&i) = by_number.get(number) {
            let on_server = server.sends_to(number, &text(i));
            // An over-cap recipient's one text is the warm-up campaign's.
            let expected = usize::from(matches!(cells[3], "sent" | "delivered") || cells[4] == "over_cap");
            if on_server != expected && cells[4] != "duplicate" {
                report_mismatch += 1;
                problems.push(format!("report row {line:?}: {on_server} on the server"));
            }
        }
    }
    let campaign_texts = server.his_sends.iter().filter(|m| m.text.contains("your visit is on slot")).count();
    println!(
        "campaign: {RECIPIENTS} patients + 8 extra rows, kills {kills} of {ROUNDS} rounds ({:.1} s), sent when the kills ended {}, \
         sent {} (exactly once {once}), delivered {}, failed {}, pending {}, duplicates {duplicates}, missing {missing}, \
         skipped {:?}, answers {}, replied {}, server texts {campaign_texts} (warm-up 10), report rows {:?}, total {:.1} s",
        rounds_took.as_secs_f64(),
        after_kills["sent"],
        s["sent"],
        s["delivered"],
        s["failed"],
        s["pending"],
        skipped_by_reason,
        s["answers"],
        s["replied"],
        rows_by_state,
        started.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems[..problems.len().min(20)].join("\n"));
    assert_eq!((duplicates, missing, leaked, report_mismatch), (0, 0, 0, 0));
    assert_eq!(skipped_by_reason, expected_skips);
    assert_eq!(s["state"], "done", "{s}");
    assert_eq!(s["pending"], 0);
    assert_eq!(s["total"].as_u64(), Some(RECIPIENTS as u64 + 8));
    let eligible = RECIPIENTS - opted_out.len() - no_number.len() - revoking.len() - warm_up.len();
    assert_eq!(s["sent"].as_u64(), Some(eligible as u64), "{s}");
    assert_eq!(campaign_texts, eligible + warm_up.len(), "no text the campaigns did not record");
    assert_eq!(s["answers"], serde_json::json!({"confirm": 3, "cancel": 1}));
    assert!(s["replied"].as_u64().unwrap() >= 5, "{s}");
    assert!(kills > ROUNDS / 2, "only {kills} processes were killed while running");
    assert!(
        after_kills["pending"].as_u64().unwrap() > 0,
        "the kills ended after the campaign: they tested nothing ({after_kills})"
    );
}

/// Quiet hours follow each recipient's own zone: at the same instant one
/// recipient's window is open and another's is closed. The closed one
/// waits (pending, not texted) while the other goes; an urgent 1:1 text
/// goes inside quiet hours with its reason.
#[test]
fn quiet_hours_follow_each_recipients_zone() {
    require_keyring();
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    cli.ok(&["config", "set", "sms.rate_per_sec", "0"]);
    // A one-hour window around the local time two hours east of UTC (or
    // west, near midnight): open there, closed in UTC.
    let now = chrono::Utc::now();
    let (shift, zone) = if (now + chrono::TimeDelta::hours(2)).time()
        < chrono::NaiveTime::from_hms_opt(22, 0, 0).unwrap()
        && (now + chrono::TimeDelta::hours(2)).date_naive() == now.date_naive()
    {
        (2, "Etc/GMT-2")
    } else {
        (-2, "Etc/GMT+2")
    };
    let local = now + chrono::TimeDelta::hours(shift);
    let window = format!(
        "{}-{}",
        (local - chrono::TimeDelta::minutes(30)).format("%H:%M"),
        (local + chrono::TimeDelta::minutes(30)).format("%H:%M")
    );
    cli.ok(&["config", "set", "sms.quiet_hours", &window]);
    cli.ok(&["patients", "edit", "ecm:1001", "--time-zone", zone]);
    cli.ok(&["patients", "edit", "ecm:1002", "--time-zone", "UTC"]);
    cli.ok(&["templates", "add", "Hello", "--text", "Hello {first_name}"]);
    let id =
        cli.ok(&["campaign", "create", "--name", "Zones", "--template", "Hello", "--all", "--cap-day", "0"]).stdout;
    let id = id.trim();
    cli.ok(&["campaign", "start", id, "--detach"]);
    for _ in 0..3 {
        cli.ok(&["sync", "--once"]);
    }
    let s = status(&cli, id);
    let server = sim.h().state();
    assert_eq!(server.sends_to("+18055550100", "Hello Ana"), 1, "open in {zone}: {s}");
    assert_eq!(server.sends_to("+18055550102", "Hello Ben"), 0, "closed in UTC: {s}");
    assert_eq!((s["sent"].as_u64(), s["pending"].as_u64(), s["state"].as_str()), (Some(1), Some(1), Some("running")));

    // A 1:1 text to Ben waits for the opening unless urgent, with a reason.
    let held = cli.run(&["send", "--patient", "ecm:1002", "--text", "Held till morning", "--json"]);
    assert_eq!(held.code, Some(4), "{}{}", held.stdout, held.stderr);
    assert!(held.stdout.contains("quiet_hours"), "{}", held.stdout);
    let urgent =
        cli.json(&["send", "--patient", "ecm:1002", "--text", "Urgent: call us", "--urgent", "lab result", "--json"]);
    assert_eq!(urgent["status"], "accepted", "{urgent}");
    assert_eq!(sim.h().state().sends_to("+18055550102", "Held till morning"), 0);
}
