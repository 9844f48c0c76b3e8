//! Outreach in team mode against a real PostgreSQL (tests/support/pg.rs)
//! and the sandbox: templates are shared by the team (added, edited and
//! removed on either desk, the change reaches the other); a campaign runs
//! on one desk at a time (its lock in the team database) and its progress
//! shows on every desk, read-only on the others; each recipient is texted
//! exactly once.

use std::time::{Duration, Instant};

use caredesk_core::gateways::team_db::TeamDb;
use caredesk_core::sandbox::SandboxOptions;
use caredesk_tests::{
    team::{member, options, runtime, team},
    team_desks::{TeamDesk, CONVERGE},
    Sim,
};
use serde_json::Value;

/// Waits until `what` holds of `desk`'s answer to `args`; fails with it.
fn wait_for(desk: &TeamDesk, args: &[&str], why: &str, what: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + CONVERGE;
    loop {
        let v = desk.cli.json(args);
        if what(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{why}: desk {} shows {v}\n{}", desk.role, desk.sync_log());
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn template<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|t| t["name"] == name)
}

#[test]
fn templates_are_shared_and_a_campaign_runs_on_one_desk_with_its_progress_on_every_desk() {
    let dir = tempfile::tempdir().unwrap();
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    member(&pg, "ben", "Ben Okafor");
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let mut a = TeamDesk::new(&pg, &sim, dir.path(), "ana");
    let mut b = TeamDesk::new(&pg, &sim, dir.path(), "ben");
    for d in [&mut a, &mut b] {
        d.start_sync();
    }
    a.wait_connected();
    b.wait_connected();

    // A template added on Ana's desk appears on Ben's; Ben's edit and Ana's
    // removal flow back.
    let list = ["templates", "list", "--json"];
    a.cli.ok(&["templates", "add", "Reminder", "--text", "See you soon, {first_name}"]);
    wait_for(&b, &list, "the new template", |l| {
        template(l, "Reminder").is_some_and(|t| t["text"] == "See you soon, {first_name}")
    });
    b.cli.ok(&["templates", "edit", "reminder", "--text", "See you at 3, {first_name}"]);
    wait_for(&a, &list, "Ben's edit", |l| {
        template(l, "Reminder").is_some_and(|t| t["text"] == "See you at 3, {first_name}" && t["updated_by"] != "")
    });
    a.cli.ok(&["templates", "remove", "Reminder"]);
    wait_for(&b, &list, "Ana's removal", |l| template(l, "Reminder").is_none());
    let edit = b.cli.run(&["templates", "edit", "Reminder", "--text", "x"]);
    assert!(!edit.ok(), "removed on Ben's desk too: {}", edit.stdout);

    // A campaign created and started on Ana's desk runs there; Ben sees its
    // progress, marked as Ana's, and cannot act on it.
    b.cli.ok(&["templates", "add", "Flu", "--text", "Flu shots are in, {first_name}"]);
    wait_for(&a, &list, "Ben's template", |l| template(l, "Flu").is_some());
    let id = a.cli.ok(&["campaign", "create", "--name", "Flu shots", "--template", "Flu", "--all", "--cap-day", "0"]);
    let id = id.stdout.trim().to_string();
    a.cli.ok(&["campaign", "start", &id]);
    let theirs = |l: &Value| -> Option<Value> {
        l.as_array().unwrap().iter().find(|c| c["name"] == "Flu shots" && c["runs_on"] == "Ana Ruiz").cloned()
    };
    let campaigns = ["campaign", "list", "--json"];
    let seen = wait_for(&b, &campaigns, "the campaign's progress on Ben's desk", |l| {
        theirs(l).is_some_and(|c| c["state"] == "done" && c["sent"] == 2 && c["delivered"] == 2 && c["pending"] == 0)
    });
    let c = theirs(&seen).unwrap();
    let cid = c["id"].as_i64().unwrap();
    assert!(cid < 0, "a colleague's campaign has an id of its own: {c}");
    let cid = cid.to_string();
    let status = b.cli.json(&["campaign", "status", &cid, "--json"]);
    assert_eq!((status["total"].as_u64(), status["runs_on"].as_str()), (Some(2), Some("Ana Ruiz")), "{status}");
    for action in ["pause", "cancel", "start", "resume"] {
        let refused = b.cli.run(&["campaign", action, &cid]);
        assert!(!refused.ok(), "{action}: {}", refused.stdout);
        assert!(refused.stderr.contains("runs on Ana Ruiz's desk"), "{action}: {}", refused.stderr);
    }
    let report = dir.path().join("report.csv");
    assert!(!b.cli.run(&["campaign", "report", &cid, "-o", report.to_str().unwrap()]).ok());
    // Ana's own list shows it as hers (no `runs_on`).
    let mine = a.cli.json(&campaigns);
    let mine: Vec<&Value> = mine.as_array().unwrap().iter().filter(|c| c["name"] == "Flu shots").collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert!(mine[0]["runs_on"].is_null());

    // Every recipient got exactly one text.
    let server = sim.h().state();
    assert_eq!(server.sends_to("+18055550100", "Flu shots are in, Ana"), 1);
    assert_eq!(server.sends_to("+18055550102", "Flu shots are in, Ben"), 1);
    // And Ben's desk has them as texts (they replicate as any text does),
    // without sending them again.
    std::thread::sleep(Duration::from_secs(3));
    let server = sim.h().state();
    assert_eq!(server.sends_to("+18055550100", "Flu shots are in, Ana"), 1);
    assert_eq!(server.sends_to("+18055550102", "Flu shots are in, Ben"), 1);
    let thread = b.cli.json(&["thread", "--patient", "ecm:1001", "--json"]);
    assert!(thread.as_array().unwrap().iter().any(|m| m["text"] == "Flu shots are in, Ana"), "{thread}");
}

#[test]
fn a_campaigns_lock_is_held_by_one_desk_at_a_time() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    member(&pg, "ben", "Ben Okafor");
    let rt = runtime();
    rt.block_on(async {
        let ana = TeamDb::open(&options(&pg, "ana", "ana-pw")).await.unwrap();
        let ben = TeamDb::open(&options(&pg, "ben", "ben-pw")).await.unwrap();
        let gid = "3f2a9c1b-1111-4000-8000-000000000001";
        assert!(ana.try_campaign_lock(gid).await.unwrap());
        assert!(!ben.try_campaign_lock(gid).await.unwrap(), "Ana's desk runs it");
        // Another campaign is free, and the poller lock is apart from them.
        assert!(ben.try_campaign_lock("3f2a9c1b-1111-4000-8000-000000000002").await.unwrap());
        assert!(ben.try_poller_lock().await.unwrap());
        // Given up (done, paused) or the session gone: Ben's desk may take it.
        assert!(ana.release_campaign_lock(gid).await.unwrap());
        assert!(ben.try_campaign_lock(gid).await.unwrap());
        assert!(!ana.try_campaign_lock(gid).await.unwrap());
        drop(ben);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ana.try_campaign_lock(gid).await.unwrap() {
            assert!(Instant::now() < deadline, "the lock went with Ben's session");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}
