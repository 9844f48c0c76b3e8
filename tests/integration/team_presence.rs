//! Presence against a real PostgreSQL (tests/support/pg.rs): two desks of
//! one team, each with its own data directory, run the presence task; what
//! one says (viewing, writing, left) shows on the other within a second,
//! with the patient as the other desk's own id; a desk that goes silent
//! without a word is forgotten after three missed announcements; and an
//! announcement whose role is not its session's is not believed.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::{Desk, DeskOptions},
    engine::team::presence::{self, Here, PresenceEntry, PresenceHandle, EXPIRE_AFTER},
    gateways::team_db::{Activity, Announcement, TeamDb},
};
use caredesk_tests::{
    team::{desk, member, options, runtime, team},
    write_file, Cli, TWO_PATIENTS,
};

type Seen = Arc<Mutex<Vec<PresenceEntry>>>;

/// A desk of the team with the two-patient roster (imported in team mode,
/// so both desks give Ana Lopez the same team id) and its presence task.
struct PresenceDesk {
    cli: Cli,
    desk: Arc<Mutex<Desk>>,
    seen: Seen,
    handle: Option<PresenceHandle>,
}

impl PresenceDesk {
    fn new(pg: &caredesk_tests::pg::PgServer, dir: &Path, role: &str) -> PresenceDesk {
        let cli = desk(pg, dir, role, &format!("{role}-pw"));
        let roster = write_file(dir, &format!("{role}-roster.csv"), TWO_PATIENTS);
        cli.ok(&["patients", "import", roster.to_str().unwrap()]);
        let desk = Desk::open(DeskOptions { data_dir: Some(cli.data_dir.clone()), ..Default::default() }).unwrap();
        PresenceDesk { cli, desk: Arc::new(Mutex::new(desk)), seen: Arc::default(), handle: None }
    }

    fn start(&mut self) {
        let seen = self.seen.clone();
        let on_change = Arc::new(move |p: Vec<PresenceEntry>| *seen.lock().unwrap() = p);
        self.handle = Some(presence::spawn(self.desk.clone(), on_change));
    }

    /// This desk's id of the patient with ECM id `ecm`.
    fn patient(&self, ecm: i64) -> i64 {
        let list = self.cli.json(&["patients", "list", "--json"]);
        list.as_array().unwrap().iter().find(|p| p["ecm_patient_id"] == ecm).unwrap()["id"].as_i64().unwrap()
    }

    fn set(&self, here: Option<Here>) {
        self.handle.as_ref().unwrap().set(here);
    }

    fn shows(&self) -> Vec<(i64, String, Activity)> {
        self.seen.lock().unwrap().iter().map(|e| (e.patient_id, e.name.clone(), e.activity)).collect()
    }

    /// Waits (at most `limit`) until this desk shows `want`; returns how long it took.
    async fn until(&self, want: &[(i64, &str, Activity)], limit: Duration) -> Duration {
        let want: Vec<(i64, String, Activity)> = want.iter().map(|(p, n, a)| (*p, n.to_string(), *a)).collect();
        let start = Instant::now();
        while self.shows() != want {
            assert!(start.elapsed() < limit, "waited {limit:?} for {want:?}; shows {:?}", self.shows());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        start.elapsed()
    }
}

#[test]
fn what_one_desk_says_shows_on_the_other_and_goes_when_it_leaves_or_goes_silent() {
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    member(&pg, "ben", "Ben Ortiz");
    let dir = tempfile::tempdir().unwrap();
    let mut ana = PresenceDesk::new(&pg, dir.path(), "ana");
    let mut ben = PresenceDesk::new(&pg, dir.path(), "ben");
    // The members' names come from the team database (the sync reads them).
    for d in [&ana, &ben] {
        d.desk
            .lock()
            .unwrap()
            .db()
            .set_team_members(&[("ana".into(), "Ana Ruiz".into()), ("ben".into(), "Ben Ortiz".into())])
            .unwrap();
    }
    let (lopez_at_ana, lopez_at_ben) = (ana.patient(1001), ben.patient(1001));
    let rt = runtime();
    rt.block_on(async {
        ana.start();
        ben.start();
        // Both sessions listen before anything is said.
        tokio::time::sleep(Duration::from_secs(2)).await;

        ana.set(Some(Here { patient_id: lopez_at_ana, writing: false }));
        let viewing = ben.until(&[(lopez_at_ben, "Ana Ruiz", Activity::Viewing)], Duration::from_secs(5)).await;
        ana.set(Some(Here { patient_id: lopez_at_ana, writing: true }));
        let writing = ben.until(&[(lopez_at_ben, "Ana Ruiz", Activity::Writing)], Duration::from_secs(5)).await;
        assert!(ana.shows().is_empty(), "a desk does not see itself: {:?}", ana.shows());
        // Still there after several announcements.
        tokio::time::sleep(EXPIRE_AFTER + Duration::from_secs(1)).await;
        assert_eq!(ben.shows().len(), 1, "repeated while it lasts");
        ana.set(None);
        let left = ben.until(&[], Duration::from_secs(5)).await;
        eprintln!("presence on the other desk: viewing {viewing:?}, writing {writing:?}, left {left:?}");
        for t in [viewing, writing, left] {
            assert!(t < Duration::from_secs(1), "within a second: {t:?}");
        }

        // A desk that goes silent without a word (a crash): one announcement, then nothing.
        // Shown by the team's name for its role, whatever name it gave.
        let silent = TeamDb::open(&options(&pg, "ana", "ana-pw")).await.unwrap();
        let gid_of = |ecm: i64| {
            let id = ana.patient(ecm);
            ana.desk.lock().unwrap().db().team_patient_gid(id).unwrap().unwrap()
        };
        let said = |role: &str, gid: String| Announcement {
            desk_id: uuid::Uuid::new_v4(),
            role: role.into(),
            name: "Somebody Else".into(),
            patient_gid: Some(gid),
            activity: Activity::Viewing,
        };
        silent.announce(&said("ana", gid_of(1001))).await.unwrap();
        ben.until(&[(lopez_at_ben, "Ana Ruiz", Activity::Viewing)], Duration::from_secs(5)).await;
        let gone = ben.until(&[], EXPIRE_AFTER + Duration::from_secs(3)).await;
        eprintln!("a silent desk forgotten after {gone:?} (expiry {EXPIRE_AFTER:?})");
        assert!(gone >= EXPIRE_AFTER - Duration::from_secs(1), "not before three missed announcements: {gone:?}");

        // Ben's session claiming to be Ana (in Ben Carter's thread) is not believed; Ana's own is.
        let bens = TeamDb::open(&options(&pg, "ben", "ben-pw")).await.unwrap();
        bens.announce(&said("ana", gid_of(1002))).await.unwrap();
        silent.announce(&said("ana", gid_of(1001))).await.unwrap();
        ben.until(&[(lopez_at_ben, "Ana Ruiz", Activity::Viewing)], Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(ben.shows(), [(lopez_at_ben, "Ana Ruiz".to_string(), Activity::Viewing)]);

        for d in [&mut ana, &mut ben] {
            d.handle.take().unwrap().stop(Duration::from_secs(5)).await;
        }
    });
}
