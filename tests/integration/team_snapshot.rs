//! A new desk joining a team from a snapshot of the team's state (issue 15),
//! against a real PostgreSQL (tests/support/pg.rs): Ana's desk brings a
//! clinic of 100 patients and 2,000 texts (both ways, both routes, flagged,
//! retried, Unmatched, with calls and an opt-out) into the team; colleagues
//! assign, close, read and write notes. A desk that applied the whole log
//! one change at a time and desks that loaded a snapshot then hold the same
//! data, and changes committed while a snapshot was being read reach the
//! snapshot's desk from the log, once.
//!
//! The desks run in this process on the core's API (each its own data
//! directory; their keys in keyring-core's in-memory store), with the real
//! push, pull and snapshot code.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use caredesk_core::{
    desk::{
        secrets::{self, SecretName},
        team_threads::AssignTo,
        Desk, DeskOptions, KeyringChoice,
    },
    engine::team::{
        exchange::{pull, pull_log, push_all, Session},
        snapshot,
    },
    gateways::team_db::{self, TeamDb},
    rules::secret::Secret,
    store::team::ApplyReport,
};
use caredesk_tests::{
    pg::PgServer,
    team::{admin_options, runtime, DB},
};
use rusqlite::params;

const PATIENTS: i64 = 100;
const TEXTS: i64 = 2_000;

/// A desk in this process: its data directory and its session with the team.
struct TeamDesk {
    desk: Arc<Mutex<Desk>>,
    session: Option<Session>,
}

impl TeamDesk {
    /// A desk in `dir/role`, not in team mode yet.
    fn open(dir: &Path, role: &str, keyring: &Arc<keyring_core::CredentialStore>) -> TeamDesk {
        let options = DeskOptions { data_dir: Some(dir.join(role)), keyring: KeyringChoice::Given(keyring.clone()) };
        let mut desk = Desk::open(options).unwrap();
        desk.claim_sending().unwrap();
        TeamDesk { desk: Arc::new(Mutex::new(desk)), session: None }
    }

    /// Team mode on as `role` (password `<role>-pw`): the desk joins.
    fn join(&self, pg: &PgServer, role: &str) {
        let d = self.desk.lock().unwrap();
        d.set_setting("team.database_url", &pg.url(role, DB)).unwrap();
        d.set_credential(SecretName::TeamPassword, &Secret::new(format!("{role}-pw"))).unwrap();
    }

    /// Its session (opened on `rt`, which runs the session's connection).
    fn session(&mut self, rt: &tokio::runtime::Runtime) -> &mut Session {
        if self.session.is_none() {
            let opts = self.desk.lock().unwrap().team_connection().unwrap().unwrap();
            self.session = Some(rt.block_on(Session::open(&self.desk, &opts)).unwrap());
        }
        self.session.as_mut().unwrap()
    }

    fn push(&mut self, rt: &tokio::runtime::Runtime) {
        let desk = self.desk.clone();
        rt.block_on(push_all(self.session(rt), &desk)).unwrap();
    }

    /// The sync's pull: a snapshot first if this desk is new to a long log.
    fn pull(&mut self, rt: &tokio::runtime::Runtime) -> ApplyReport {
        let desk = self.desk.clone();
        rt.block_on(pull(self.session(rt), &desk)).unwrap()
    }

    /// The whole log applied one change at a time (never a snapshot).
    fn apply_log(&mut self, rt: &tokio::runtime::Runtime) {
        let desk = self.desk.clone();
        rt.block_on(pull_log(self.session(rt), &desk)).unwrap();
    }

    fn shared(&self) -> Vec<String> {
        self.desk.lock().unwrap().db().team_shared_rows().unwrap()
    }

    fn sql(&self, sql: &str) {
        self.desk.lock().unwrap().db().conn().execute_batch(sql).unwrap();
    }

    fn audited(&self, action: &str) -> bool {
        self.desk.lock().unwrap().db().audit_entries(1000).unwrap().iter().any(|e| e.action == action)
    }

    /// The patient column as the app shows it: names and unread counts.
    fn thread_list(&self) -> Vec<(String, i64)> {
        let d = self.desk.lock().unwrap();
        d.db().thread_listing("", 500).unwrap().patients.into_iter().map(|t| (t.patient.name, t.unread)).collect()
    }
}

/// A server with the team schema and members Ana, Ben, Cy and Dee.
fn team(rt: &tokio::runtime::Runtime) -> PgServer {
    let pg = PgServer::start();
    pg.create_database(DB);
    rt.block_on(async {
        let mut admin = TeamDb::connect(&admin_options(&pg)).await.unwrap();
        team_db::init(&mut admin).await.unwrap();
        for (role, name) in [("ana", "Ana Ruiz"), ("ben", "Ben Okafor"), ("cy", "Cy Lind"), ("dee", "Dee Park")] {
            let pw = Secret::new(format!("{role}-pw"));
            team_db::add_member(&mut admin, role, name, Some(&pw)).await.unwrap();
        }
    });
    pg
}

/// `n`-th time of the clinic's history, as the store writes times.
fn at(n: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339("2026-01-01T08:00:00Z").unwrap() + chrono::Duration::seconds(n * 97);
    t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn number(p: i64) -> String {
    format!("+1805555{:04}", 1000 + p)
}

/// A clinic on Ana's desk before it joins: patients (some with an ECM or a
/// FHIR id, some with a contact), texts of every kind, calls, an opt-out.
fn clinic(a: &TeamDesk) {
    let d = a.desk.lock().unwrap();
    let c = d.db().conn();
    let tx = c.unchecked_transaction().unwrap();
    for p in 1..=PATIENTS {
        let name = format!("Patient {p} Tester");
        let ecm = (p % 3 != 0).then_some(10_000 + p);
        let fhir = (p % 7 == 0).then(|| format!("fhir-{p}"));
        tx.execute(
            "INSERT INTO patients (id, ecm_patient_id, fhir_id, name, name_key, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, lower(?4), ?5, ?5)",
            params![p, ecm, fhir, name, at(0)],
        )
        .unwrap();
        let own = number(p);
        tx.execute(
            "INSERT INTO contact_points (patient_id, kind, number, digits, national, created_at, updated_at, source)
             VALUES (?1, 'patient', ?2, ?3, ?4, ?5, ?5, ?6)",
            params![p, own, &own[1..], &own[2..], at(0), if p % 4 == 0 { "staff" } else { "import" }],
        )
        .unwrap();
        if p % 5 == 0 {
            let contact = format!("+1415555{:04}", 1000 + p);
            tx.execute(
                "INSERT INTO contact_points (patient_id, kind, name, relationship, number, digits, national, rank,
                                             active, created_at, updated_at)
                 VALUES (?1, 'contact', 'Rosa', 'daughter', ?2, ?3, ?4, 1, ?5, ?6, ?6)",
                params![p, contact, &contact[1..], &contact[2..], p % 10 != 0, at(0)],
            )
            .unwrap();
        }
    }
    for k in 1..=TEXTS {
        let p = (k * 7919) % PATIENTS + 1;
        let created = at(k);
        let unmatched = k % 97 == 0;
        let patient = (!unmatched).then_some(p);
        let (direction, route) = match k % 10 {
            0..=4 => ("inbound", "his"),
            5..=8 => ("outbound", "his"),
            _ => ("outbound", "ecm"),
        };
        let (from, to) = if direction == "inbound" {
            (if unmatched { format!("+1900555{:04}", k % 50) } else { number(p) }, "37060000001".to_string())
        } else {
            ("37060000001".to_string(), number(p))
        };
        let state = match (direction, k % 13) {
            ("inbound", _) => "received",
            (_, 0) => "failed",
            (_, 1) => "enroute",
            _ => "delivered",
        };
        let his = (route == "his").then_some(100_000 + k);
        let ecm = (route == "ecm").then_some(200_000 + k);
        let read = (direction == "inbound" && k < TEXTS - 300).then(|| created.clone());
        tx.execute(
            "INSERT INTO messages (id, patient_id, direction, route, from_number, to_number, body, state, server_state,
                                   his_id, ecm_sms_id, twilio_sid, external_key, is_test, flagged, read_at, created_at,
                                   updated_at, server_created_at, server_updated_at, sent_by, unmatched_reply)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18, ?18, ?19, ?20)",
            params![
                k,
                patient,
                direction,
                route,
                from,
                to,
                format!("text {k}: your appointment is on Monday"),
                state,
                (route == "his").then_some("Delivered"),
                his,
                ecm,
                ecm.map(|e| format!("SM{e}")),
                (direction == "outbound").then(|| format!("{k}")),
                k == 5,
                (k % 211 == 0 && direction == "inbound").then_some("help"),
                read,
                created,
                his.map(|_| format!("2026-01-01T10:{:02}:{:02}", (k / 60) % 60, k % 60)),
                (direction == "outbound").then_some("Ana R."),
                direction == "outbound" && k % 400 == 5,
            ],
        )
        .unwrap();
    }
    // A failed text sent again with Retry; calls; an opt-out by keyword.
    tx.execute("UPDATE messages SET retried_as = 1999 WHERE id = 26", []).unwrap();
    for k in 1..=20i64 {
        tx.execute(
            "INSERT INTO calls (patient_id, direction, to_number, from_number, status, ecm_call_id, created_at, updated_at)
             VALUES (?1, 'outbound', ?2, '+18055550000', 'completed', ?3, ?4, ?4)",
            params![k * 3, number(k * 3), 50_000 + k, at(k * 100 + 1)],
        )
        .unwrap();
    }
    tx.execute(
        "INSERT INTO sms_consent (number, state, source, source_message_id, updated_at)
         SELECT from_number, 'opted_out', 'keyword', id, created_at FROM messages WHERE id = 1",
        [],
    )
    .unwrap();
    tx.commit().unwrap();
    // Templates, one of them removed (a tombstone): no state table holds
    // them, a snapshot reads them from the log.
    let now = chrono::Utc::now();
    d.db().add_template("Reminder", "See you soon, {first_name}", "ana", now).unwrap();
    d.db().edit_template("Reminder", "See you at 3, {first_name}", "ana", now).unwrap();
    d.db().add_template("Old", "Gone", "ana", now).unwrap();
    d.db().remove_template("Old", "ana", now).unwrap();
}

#[test]
fn desks_joined_from_a_snapshot_hold_what_a_desk_that_applied_the_log_holds() {
    let rt = runtime();
    let pg = team(&rt);
    let dir = tempfile::tempdir().unwrap();
    let keyring = secrets::memory_store();

    // Ana's clinic joins the team: every record pushed.
    let mut ana = TeamDesk::open(dir.path(), "ana", &keyring);
    clinic(&ana);
    ana.join(&pg, "ana");
    ana.push(&rt);
    ana.pull(&rt);
    assert!(!ana.audited("team.snapshot"), "a desk with records of its own follows the log");

    // Ben joins: a new desk, a long log: the sync loads a snapshot.
    let mut ben = TeamDesk::open(dir.path(), "ben", &keyring);
    ben.join(&pg, "ben");
    let first = ben.pull(&rt);
    assert!(ben.audited("team.snapshot"), "Ben's first pull loaded a snapshot: {first:?}");
    assert!(first.applied as i64 > TEXTS, "{first:?}");

    // The team works: notes, assignments, a closed thread, Ana reads.
    {
        let a = ana.desk.lock().unwrap();
        a.add_note("ecm:10001", "Prefers mornings").unwrap();
        a.assign_thread("ecm:10002", &AssignTo::Member("ben".into())).unwrap();
        a.set_thread_status("ecm:10004", caredesk_core::store::team::ThreadStatus::Closed).unwrap();
        a.db().mark_thread_read(&caredesk_core::store::threads::ThreadRef::Patient(2)).unwrap();
    }
    ana.push(&rt);
    {
        let b = ben.desk.lock().unwrap();
        b.add_note("ecm:10001", "Called her daughter").unwrap();
        b.assign_thread("ecm:10005", &AssignTo::Me).unwrap();
    }
    ben.push(&rt);

    // Dee's desk starts its snapshot; meanwhile Ben and Ana change things.
    let mut dee = TeamDesk::open(dir.path(), "dee", &keyring);
    dee.join(&pg, "dee");
    let dee_desk = dee.desk.clone();
    let session = dee.session(&rt);
    let snap = rt.block_on(session.db.snapshot()).unwrap();
    let position = snap.position();
    {
        let b = ben.desk.lock().unwrap();
        b.add_note("ecm:10002", "Written while Dee's snapshot was read").unwrap();
        b.set_thread_status("ecm:10005", caredesk_core::store::team::ThreadStatus::Closed).unwrap();
    }
    ben.push(&rt);
    // A text that went on to be delivered, and a new reply (Ana's desk read it).
    ana.sql(
        "UPDATE messages SET state = 'delivered' WHERE id = 11;
         INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, his_id, created_at,
                               updated_at)
         VALUES (1, 'inbound', 'his', '+18055551001', '37060000001', 'A reply during the snapshot', 'received', 999999,
                 '2026-03-01T00:00:00.000000Z', '2026-03-01T00:00:00.000000Z');",
    );
    ana.push(&rt);
    let head = rt.block_on(team_db::log_head(&ana.session(&rt).db)).unwrap();
    assert!(head > position, "changes committed after the snapshot began ({position}..{head})");
    let joined = rt.block_on(snapshot::load(snap, &dee_desk)).unwrap();
    assert_eq!(joined.stored.position, position);
    assert_eq!(joined.stored.messages as i64, TEXTS, "{joined:?}");
    let before_log = dee.shared();
    assert!(!before_log.iter().any(|l| l.contains("Written while Dee's snapshot")), "the snapshot holds its instant");
    let after = dee.pull(&rt);
    assert_eq!(after.position, head, "{after:?}");

    // Cy applies the whole log, one change at a time.
    let mut cy = TeamDesk::open(dir.path(), "cy", &keyring);
    cy.join(&pg, "cy");
    cy.apply_log(&rt);
    ben.pull(&rt);

    let want = cy.shared();
    assert!(want.iter().filter(|l| l.starts_with("text|")).count() as i64 == TEXTS + 1, "Cy has every text");
    let templates: Vec<&String> = want.iter().filter(|l| l.starts_with("template|")).collect();
    assert_eq!(templates.len(), 2, "Cy has Ana's templates, the removed one as a tombstone: {templates:?}");
    for (name, desk) in [("Dee (snapshot during changes)", &dee), ("Ben (snapshot by the sync)", &ben)] {
        let got = desk.shared();
        let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).take(10).collect();
        let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).take(10).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name} differs from Cy\nmissing {missing:#?}\nextra {extra:#?}"
        );
    }
    assert_eq!(dee.thread_list(), cy.thread_list(), "the patient column, with Dee's and Cy's unread counts");
    let late = dee.shared();
    for (kind, expected) in
        [("note|", "Written while Dee's snapshot was read"), ("text|", "A reply during the snapshot")]
    {
        let found = late.iter().filter(|l| l.starts_with(kind) && l.contains(expected)).count();
        assert_eq!(found, 1, "{expected} once on Dee's desk");
    }
}
