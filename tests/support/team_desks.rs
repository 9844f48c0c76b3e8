//! Desks of a team for the team tests: each with its own data directory
//! (its keys under its own instance id in the keyring) and its own
//! `caredesk sync`, on one team database (tests/support/pg.rs) and one
//! sandbox; what each shows, and waiting until they all show the same.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use caredesk_core::sandbox::SandboxOptions;
use serde_json::Value;

use crate::{
    configured_cli,
    pg::PgServer,
    team::{member, team, DB},
    ChildGuard, Cli, Sim,
};

/// How long desks may take to agree once they can.
pub const CONVERGE: Duration = Duration::from_secs(90);

/// A desk of the team: its CLI and its running `caredesk sync`.
pub struct TeamDesk {
    pub role: &'static str,
    pub cli: Cli,
    pub log: PathBuf,
    pub sync: Option<ChildGuard>,
}

impl TeamDesk {
    /// A desk configured for the sandbox `sim` (the two-patient roster
    /// imported alone, before team mode), then switched to team mode as
    /// `role` (password `<role>-pw`).
    pub fn new(pg: &PgServer, sim: &Sim, dir: &Path, role: &'static str) -> TeamDesk {
        let home = dir.join(role);
        std::fs::create_dir_all(&home).unwrap();
        let cli = configured_cli(sim, &home);
        cli.ok(&["config", "set", "sync.interval_secs", "1"]);
        cli.ok(&["config", "set", "team.database_url", &pg.url(role, DB)]);
        cli.run_stdin(&["credentials", "set", "team-password"], &format!("{role}-pw")).expect_ok();
        TeamDesk { role, cli, log: home.join("sync.log"), sync: None }
    }

    pub fn start_sync(&mut self) {
        let out = std::fs::File::options().create(true).append(true).open(&self.log).unwrap();
        let mut cmd = self.cli.command(&["sync"]);
        cmd.stdin(Stdio::null()).stdout(Stdio::from(out.try_clone().unwrap())).stderr(Stdio::from(out));
        self.sync = Some(ChildGuard::spawn(&mut cmd));
    }

    /// Waits until this desk's running sync has reached the team database
    /// (and so holds a block of the team's ExternalKeys).
    pub fn wait_connected(&self) {
        let deadline = Instant::now() + CONVERGE;
        loop {
            let status = self.cli.json(&["team", "status", "--json"]);
            if status["sync"]["link"] == "connected" {
                return;
            }
            assert!(Instant::now() < deadline, "desk {} did not connect: {status}\n{}", self.role, self.sync_log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn stop_sync(&mut self) {
        if let Some(mut s) = self.sync.take() {
            s.stop(Duration::from_secs(10));
        }
    }

    pub fn sync_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What this desk shows of the team's shared state, comparable between
    /// desks: per patient, the thread's assignment and status, its texts
    /// (direction, text, state, sent by, server id) and notes (author, text),
    /// sorted.
    pub fn shared(&self) -> Value {
        let mut out = BTreeMap::new();
        for p in self.cli.json(&["patients", "list", "--json"]).as_array().unwrap() {
            let id = p["id"].to_string();
            let name = p["name"].as_str().unwrap().to_string();
            let thread = self.cli.json(&["thread", "--patient", &id, "--json"]);
            let mut texts: Vec<Value> = thread
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    serde_json::json!([m["kind"], m["direction"], m["text"], m["state"], m["sent_by"], m["server_id"]])
                })
                .collect();
            texts.sort_by_key(|v| v.to_string());
            let mut notes: Vec<Value> = self
                .cli
                .json(&["notes", "--patient", &id, "--json"])
                .as_array()
                .unwrap()
                .iter()
                .map(|n| serde_json::json!([n["author_name"], n["text"]]))
                .collect();
            notes.sort_by_key(|v| v.to_string());
            out.insert(name, serde_json::json!({ "texts": texts, "notes": notes }));
        }
        for t in self.cli.json(&["threads", "--json"]).as_array().unwrap() {
            if t["patient_id"].is_null() {
                continue;
            }
            let entry = out.get_mut(t["name"].as_str().unwrap()).unwrap();
            entry["assigned_to"] = t["assigned_to"].clone();
            entry["status"] = t["status"].clone();
        }
        serde_json::to_value(out).unwrap()
    }
}

pub fn texts_of<'a>(shared: &'a Value, patient: &str) -> &'a Vec<Value> {
    shared[patient]["texts"].as_array().unwrap()
}

/// Waits until every desk shows the same and `done` holds for it; fails
/// with what each desk shows.
pub fn converge(desks: &[&TeamDesk], why: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + CONVERGE;
    loop {
        let views: Vec<Value> = desks.iter().map(|d| d.shared()).collect();
        if views.windows(2).all(|w| w[0] == w[1]) && done(&views[0]) {
            return views.into_iter().next().unwrap();
        }
        if Instant::now() > deadline {
            for (d, v) in desks.iter().zip(&views) {
                eprintln!(
                    "--- desk {} shows:\n{}\n--- its sync said:\n{}",
                    d.role,
                    serde_json::to_string_pretty(v).unwrap(),
                    d.sync_log()
                );
            }
            panic!("the desks did not agree within {CONVERGE:?}: {why}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// No text twice in a thread: every server id at most once.
pub fn no_duplicates(shared: &Value) {
    for (patient, v) in shared.as_object().unwrap() {
        let ids: Vec<String> =
            v["texts"].as_array().unwrap().iter().filter(|t| !t[5].is_null()).map(|t| t[5].to_string()).collect();
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len(), "{patient}'s thread holds a text twice: {v}");
    }
}

pub fn has_text(shared: &Value, patient: &str, text: &str, sent_by: &str) -> bool {
    texts_of(shared, patient).iter().filter(|t| t[2] == text && t[4] == sent_by && t[3] == "delivered").count() == 1
}

pub fn has_note(shared: &Value, patient: &str, author: &str, text: &str) -> bool {
    shared[patient]["notes"].as_array().unwrap().iter().filter(|n| n[0] == author && n[1] == text).count() == 1
}

/// A team database with members Ana, Ben and Cy, a sandbox, and three desks.
pub fn three_desks(dir: &Path, replies: bool) -> (PgServer, Sim, Vec<TeamDesk>) {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    member(&pg, "ben", "Ben Okafor");
    member(&pg, "cy", "Cy Lind");
    let sim = Sim::start(SandboxOptions { replies, ..SandboxOptions::for_tests() });
    let desks = ["ana", "ben", "cy"].into_iter().map(|role| TeamDesk::new(&pg, &sim, dir, role)).collect();
    (pg, sim, desks)
}
