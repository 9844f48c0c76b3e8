//! No PHI in logs, at any level: a whole desk day through the `caredesk`
//! CLI with `CAREDESK_LOG=trace`, against the sandbox as real servers over
//! HTTP on 127.0.0.1. Everything each process writes to stderr, and every
//! file it leaves in its data directory, is searched for the names, the
//! numbers (in every format a number is written) and the texts the day
//! used, and for the secrets.

use caredesk_core::sandbox::{self, control::Inbound, magic, SandboxOptions};
use caredesk_tests::{all_files, contains, require_keyring, write_file, Cli, Run, Sim};

/// The patients of the day. Names and numbers appear nowhere else.
const PATIENTS: [(&str, &str, &str); 3] = [
    ("7001", "Zoltan Quixwell", "+1 (805) 555-0137"),
    ("7002", "Marisol Brandtvik", "805.555.0158"),
    ("7003", "Odalys Fennimore", "+18055550179"),
];
const WRONG_TOKEN: &str = "not-the-token-4f1c9a";
/// A number no patient has.
const STRANGER: &str = "+18055550193";
const TEXTS: [&str; 6] = [
    "Your xylophone clinic visit is Tuesday at 9",
    "Please bring the marmalade consent form",
    "Thanks, I will bring the quokka papers",
    "STOP",
    "Who is this? Wrong pelican number",
    "Reminder about your turnip checkup",
];

/// Every way a number is written: E.164, the HIS wire's digits, national
/// digits, the usual national formats and the subscriber part.
fn number_forms(e164: &str) -> Vec<String> {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let national = &digits[1..];
    let (area, exchange, line) = (&national[..3], &national[3..6], &national[6..]);
    vec![
        e164.to_string(),
        digits.clone(),
        national.to_string(),
        format!("({area}) {exchange}-{line}"),
        format!("{area}-{exchange}-{line}"),
        format!("{area}.{exchange}.{line}"),
        format!("{exchange}-{line}"),
        format!("{exchange}{line}"),
    ]
}

fn e164(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 10 {
        format!("+1{digits}")
    } else {
        format!("+{digits}")
    }
}

fn forbidden() -> Vec<String> {
    let mut words = Vec::new();
    for (_, name, phone) in PATIENTS {
        words.push(name.to_string());
        words.extend(name.split(' ').map(String::from));
        words.extend(number_forms(&e164(phone)));
    }
    words.extend(number_forms(STRANGER));
    for text in TEXTS {
        words.push(text.to_string());
    }
    // "STOP" alone is a keyword CareDesk names in its own messages, not PHI;
    // each text's one unusual word stands for it too.
    words.retain(|w| w != "STOP");
    words.extend(["xylophone", "marmalade", "quokka", "pelican", "turnip"].map(String::from));
    // Secrets never reach a log either.
    words.extend([sandbox::SANDBOX_HIS_TOKEN, sandbox::SANDBOX_ECM_TOKEN, WRONG_TOKEN].map(String::from));
    words.sort();
    words.dedup();
    words
}

/// Collects what every CLI run wrote to stderr.
struct Day {
    cli: Cli,
    stderr: Vec<String>,
    runs: usize,
}

impl Day {
    fn run(&mut self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.cli.command(args);
        cmd.env("CAREDESK_LOG", "trace").env("NO_COLOR", "1");
        let run = caredesk_tests::run_with_limit(cmd, stdin, std::time::Duration::from_secs(60));
        self.stderr.push(run.stderr.clone());
        self.runs += 1;
        run
    }

    fn ok(&mut self, args: &[&str]) -> Run {
        self.run(args, None).expect_ok()
    }

    fn fails(&mut self, args: &[&str]) -> Run {
        self.run(args, None).expect_err()
    }
}

fn scan(label: &str, haystack: &[u8], words: &[String], found: &mut Vec<String>) {
    for w in words {
        if contains(haystack, w) {
            found.push(format!("{label}: {w:?}"));
        }
    }
}

#[test]
fn a_whole_desk_day_at_trace_level_logs_no_names_numbers_or_texts() {
    require_keyring();
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut day = Day { cli: Cli::new(&data), stderr: Vec::new(), runs: 0 };
    let h = sim.h();

    // Set-up.
    day.ok(&["config", "set", "sms.quiet_hours", "off"]);
    day.ok(&["config", "set", "servers.mode", "real"]);
    day.ok(&["config", "set", "his.base_url", h.his_base_url().as_str()]);
    day.ok(&["config", "set", "his.from", magic::HOSPITAL_NUMBER]);
    day.ok(&["config", "set", "ecm.base_url", h.ecm_base_url().as_str()]);
    day.ok(&["config", "set", "user.name", "Dana Coordinator"]);
    day.run(&["credentials", "set", "his-token"], Some(sandbox::SANDBOX_HIS_TOKEN)).expect_ok();
    day.run(&["credentials", "set", "ecm-token"], Some(sandbox::SANDBOX_ECM_TOKEN)).expect_ok();
    for (id, _, _) in PATIENTS {
        h.register_ecm_patient(id.parse().unwrap());
    }

    // Import, then re-import with a change.
    let mut roster = String::from("ecm_patient_id,name,phone\n");
    for (id, name, phone) in PATIENTS {
        roster.push_str(&format!("{id},{name},\"{phone}\"\n"));
    }
    let file = write_file(dir.path(), "roster.csv", &roster);
    day.ok(&["patients", "import", file.to_str().unwrap()]);
    day.ok(&["patients", "import", file.to_str().unwrap()]);
    day.ok(&["patients", "list", "--search", "Quixwell"]);
    day.ok(&["patients", "list", "--search", "555-0158"]);

    // Sends on both routes, a call.
    day.ok(&["send", "--patient", "ecm:7001", "--text", TEXTS[0], "--via", "his"]);
    day.ok(&["send", "--patient", "ecm:7002", "--text", TEXTS[1], "--via", "ecm"]);
    day.ok(&["call", "--patient", "ecm:7003"]);

    // Replies: one to a send, a STOP, one from a stranger.
    let from = |p: &str| e164(p).trim_start_matches('+').to_string();
    let sent_id = h.state().his_sends.iter().find(|s| s.text == TEXTS[0]).map(|s| s.id);
    h.inject_inbound(Inbound {
        from: from(PATIENTS[0].2),
        text: Some(TEXTS[2].into()),
        reply_to: sent_id,
        ..Default::default()
    })
    .unwrap();
    h.inject_inbound(Inbound { from: from(PATIENTS[1].2), text: Some(TEXTS[3].into()), ..Default::default() }).unwrap();
    h.inject_inbound(Inbound { from: from(STRANGER), text: Some(TEXTS[4].into()), ..Default::default() }).unwrap();
    day.ok(&["sync", "--once"]);
    day.ok(&["sync", "--once"]);
    day.ok(&["threads"]);
    day.ok(&["thread", "--patient", "ecm:7001"]);
    day.ok(&["link", "--number", STRANGER, "--patient", "ecm:7003"]);
    day.ok(&["thread", "--patient", "ecm:7003", "--json"]);

    // Errors: an opted-out patient, an invalid number, an unknown patient,
    // a server that refuses the token.
    day.fails(&["send", "--patient", "ecm:7002", "--text", TEXTS[5], "--via", "his"]);
    day.fails(&["send", "--patient", "ecm:7003", "--to", "555-01", "--text", TEXTS[5]]);
    day.fails(&["send", "--patient", "Zoltan Quixwell", "--text", TEXTS[5]]);
    day.run(&["credentials", "set", "his-token"], Some(WRONG_TOKEN)).expect_ok();
    day.run(&["send", "--patient", "ecm:7001", "--text", TEXTS[5], "--via", "his"], None);
    day.run(&["sync", "--once"], None);

    // Exports and the audit log.
    // (The CSV is the coordinator's own file outside the data directory:
    // it holds names on purpose and is not a log.)
    let csv = dir.path().join("activities.csv");
    day.ok(&["export", "activities", "-o", csv.to_str().unwrap()]);
    day.ok(&["export", "fhir"]);
    day.ok(&["audit"]);
    day.ok(&["outbox"]);

    // The day happened: what the patients wrote reached the desk.
    let thread = day.ok(&["thread", "--patient", "ecm:7001", "--json"]).stdout;
    assert!(thread.contains(TEXTS[2]), "the reply was filed: {thread}");
    let stranger = day.ok(&["thread", "--patient", "ecm:7003", "--json"]).stdout;
    assert!(stranger.contains(TEXTS[4]), "the linked stranger's text was filed: {stranger}");

    let words = forbidden();
    let mut found = Vec::new();
    let mut lines = 0;
    for (i, err) in day.stderr.iter().enumerate() {
        lines += err.lines().count();
        scan(&format!("stderr of run {i}"), err.as_bytes(), &words, &mut found);
    }
    let files = all_files(&data);
    for (path, bytes) in &files {
        scan(&path.display().to_string(), bytes, &words, &mut found);
    }
    let trace_lines = day.stderr.iter().flat_map(|e| e.lines()).filter(|l| l.contains("TRACE")).count();
    println!(
        "scanned {lines} stderr lines ({trace_lines} at TRACE) of {} runs and {} files in the data directory for {} forbidden strings: {:?}",
        day.runs,
        files.len(),
        words.len(),
        words
    );
    assert!(trace_lines > 0 && lines > 100, "the day logged at trace level ({lines} lines, {trace_lines} trace)");
    assert!(found.is_empty(), "PHI reached a log:\n{}", found.join("\n"));
}
