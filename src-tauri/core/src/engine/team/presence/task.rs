//! The presence task's loop: keeps a session of its own with the team
//! database while team mode is on, repeats this desk's presence, hears the
//! others' (believing the role of the session that sent each), forgets them
//! when they stop, and reports what changed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::mpsc;
use uuid::Uuid;

use super::{Board, Command, Here, PresenceEntry, ANNOUNCE_EVERY};
use crate::{
    desk::Desk,
    engine::team::{exchange::blocking, RECONNECT},
    gateways::team_db::{presence::PresenceNotice, Activity, Announcement, PresenceListener, TeamDb, TeamDbError},
    rules::error::Result,
};

/// How often the task looks at the clock (expiry, repeating its own).
const TICK: Duration = Duration::from_millis(500);
/// How often a desk alone looks whether team mode was switched on.
const IDLE: Duration = Duration::from_secs(2);
/// The most time spent saying "left" when the app quits.
const LEAVE_LIMIT: Duration = Duration::from_secs(1);
/// How often the members' names are read again from this desk's store.
const NAMES_EVERY: Duration = Duration::from_secs(10);

type OnChange = Arc<dyn Fn(Vec<PresenceEntry>) + Send + Sync>;

/// A session with the team database, listening for presence.
struct Link {
    db: TeamDb,
    listener: PresenceListener,
    /// This member's role and display name.
    role: String,
    name: String,
}

/// This desk's own presence, as announced.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mine {
    patient_gid: String,
    activity: Activity,
}

pub(super) struct Task {
    desk: Arc<Mutex<Desk>>,
    on_change: OnChange,
    shown: Arc<Mutex<Vec<PresenceEntry>>>,
    link: Option<Link>,
    /// `team.database_url` the link was opened for.
    url: Option<String>,
    /// `team.database_url` as last read, and when.
    setting: Option<String>,
    url_read: Option<Instant>,
    failures: u32,
    next_connect: Instant,
    /// Where the app says this member is.
    here: Option<Here>,
    mine: Option<Mine>,
    /// When `mine` was last announced (`None`: not since it changed).
    announced: Option<Instant>,
    /// The others' presence (its own id set once the task runs).
    board: Board,
    own: Uuid,
    /// The role of each announcing session (backend pid), as PostgreSQL says.
    roles: HashMap<i32, Option<String>>,
    /// Patients' local ids by team id.
    ids: HashMap<String, i64>,
    /// The members' display names by role, as the team database gives them,
    /// and when they were read.
    names: HashMap<String, String>,
    names_read: Option<Instant>,
}

enum Woke {
    Command(Option<Command>),
    Heard(Option<PresenceNotice>),
    Tick,
}

impl Task {
    pub(super) fn new(desk: Arc<Mutex<Desk>>, on_change: OnChange, shown: Arc<Mutex<Vec<PresenceEntry>>>) -> Task {
        Task {
            desk,
            on_change,
            shown,
            link: None,
            url: None,
            setting: None,
            url_read: None,
            failures: 0,
            next_connect: Instant::now(),
            here: None,
            mine: None,
            announced: None,
            board: Board::new(Uuid::nil()),
            own: Uuid::nil(),
            roles: HashMap::new(),
            ids: HashMap::new(),
            names: HashMap::new(),
            names_read: None,
        }
    }

    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        match blocking(&self.desk, |d| d.desk_id()).await {
            Ok(id) => {
                self.own = id;
                self.board = Board::new(id);
            }
            Err(e) => {
                tracing::warn!(error_code = ?e.code(), "presence: this desk has no desk id; presence is off");
                return;
            }
        }
        loop {
            let on = self.keep_link().await;
            let wait = if on { TICK } else { IDLE };
            let heard = async {
                match self.link.as_mut() {
                    Some(l) => l.listener.next().await,
                    None => std::future::pending().await,
                }
            };
            let woke = tokio::select! {
                cmd = rx.recv() => Woke::Command(cmd),
                n = heard => Woke::Heard(n),
                _ = tokio::time::sleep(wait) => Woke::Tick,
            };
            match woke {
                Woke::Command(Some(Command::Set(here))) => {
                    self.here = here;
                    self.resolve_mine().await;
                }
                Woke::Command(Some(Command::Stop) | None) => break,
                Woke::Heard(Some(notice)) => self.hear(notice).await,
                Woke::Heard(None) => self.drop_link("the presence session ended"),
                Woke::Tick => {}
            }
            self.announce_if_due().await;
            self.board.expire(Instant::now());
            self.report().await;
        }
        self.here = None;
        self.mine = None;
        let _ = tokio::time::timeout(LEAVE_LIMIT, self.announce_if_due()).await;
    }

    /// Keeps a session while team mode is on; false while it is off. The
    /// setting is read off the async threads, at most every [`IDLE`].
    async fn keep_link(&mut self) -> bool {
        if self.url_read.is_none_or(|t| t.elapsed() >= IDLE) {
            let read = blocking(&self.desk, |d| d.setting(crate::desk::team::DATABASE_URL)).await;
            self.setting = read.ok().flatten();
            self.url_read = Some(Instant::now());
        }
        let Some(url) = self.setting.clone() else {
            self.drop_link("team mode is off here");
            self.url = None;
            self.board.clear();
            return false;
        };
        if self.url.as_deref() != Some(url.as_str()) {
            self.drop_link("team.database_url changed");
            self.url = Some(url);
            self.next_connect = Instant::now();
            self.roles.clear();
            self.ids.clear();
        }
        if self.link.as_ref().is_some_and(|l| l.db.is_closed()) {
            self.drop_link("the presence session ended");
        }
        if self.link.is_none() && Instant::now() >= self.next_connect {
            match self.connect().await {
                Ok(link) => {
                    tracing::debug!(server = link.db.server(), "presence: listening");
                    self.link = Some(link);
                    self.failures = 0;
                    self.announced = None;
                    self.resolve_mine().await;
                }
                Err(e) => {
                    self.failures += 1;
                    let retryable = e.downcast_ref::<TeamDbError>().is_some_and(TeamDbError::is_retryable);
                    let wait = RECONNECT.random_delay(if retryable { self.failures } else { 32 });
                    self.next_connect = Instant::now() + wait;
                    tracing::debug!(error_code = ?e.code(), wait_ms = wait.as_millis() as u64, "presence: offline");
                }
            }
        }
        true
    }

    async fn connect(&self) -> Result<Link> {
        let (opts, name) = blocking(&self.desk, |d| {
            let opts = d.team_connection()?.ok_or(crate::desk::setup_error::GatewayConfigError::TeamModeOff)?;
            Ok((opts, d.sender_name()))
        })
        .await?;
        let db = TeamDb::open(&opts).await?;
        let listener = db.listen_presence().await?;
        let role = db.role().to_string();
        Ok(Link { db, listener, role, name })
    }

    fn drop_link(&mut self, why: &str) {
        if self.link.take().is_some() {
            tracing::debug!(why, "presence: session closed");
        }
    }

    /// Works out this desk's announcement from where the app says it is.
    async fn resolve_mine(&mut self) {
        let mine = match self.here {
            None => None,
            Some(here) => {
                let gid = blocking(&self.desk, move |d| Ok(d.db().team_patient_gid(here.patient_id)?)).await;
                gid.ok().flatten().map(|patient_gid| Mine {
                    patient_gid,
                    activity: if here.writing { Activity::Writing } else { Activity::Viewing },
                })
            }
        };
        if mine != self.mine {
            // Leaving a thread is said once; a new place is said at once.
            self.announced = if self.mine.is_some() || mine.is_some() { None } else { self.announced };
            self.mine = mine;
        }
    }

    /// Announces this desk's presence when it changed or is due again, and
    /// "left" once after it ended.
    async fn announce_if_due(&mut self) {
        let Some(link) = self.link.as_ref() else { return };
        let due = self.announced.is_none_or(|t| t.elapsed() >= ANNOUNCE_EVERY);
        if !due || (self.mine.is_none() && self.announced.is_some()) {
            return;
        }
        let a = Announcement {
            desk_id: self.own,
            role: link.role.clone(),
            name: link.name.clone(),
            patient_gid: self.mine.as_ref().map(|m| m.patient_gid.clone()),
            activity: self.mine.as_ref().map_or(Activity::Left, |m| m.activity),
        };
        match link.db.announce(&a).await {
            Ok(()) => self.announced = Some(Instant::now()),
            Err(e) => {
                tracing::debug!(error_code = ?crate::rules::error::CodedError::code(&e), "presence: could not announce");
                self.drop_link("announcing failed");
            }
        }
    }

    /// Takes in a notice, trusting the role of the session that sent it.
    async fn hear(&mut self, notice: PresenceNotice) {
        let Some(a) = Announcement::parse(&notice.payload) else {
            tracing::debug!("presence: an announcement that is not CareDesk's, ignored");
            return;
        };
        let Some(link) = self.link.as_ref() else { return };
        if a.desk_id != self.own {
            let role = match self.roles.get(&notice.sender_pid) {
                Some(r) => r.clone(),
                None => {
                    let r = link.db.session_role(notice.sender_pid).await.ok().flatten();
                    self.roles.insert(notice.sender_pid, r.clone());
                    r
                }
            };
            if role.as_deref() != Some(a.role.as_str()) {
                tracing::debug!(desk = %a.desk_id, "presence: an announcement whose role is not its session's, ignored");
                return;
            }
        }
        self.board.hear(a, Instant::now());
    }

    /// Reports the others' presence when it changed, each member by the
    /// name the team database gives their role (the announcement's own name
    /// only when this desk does not know the role yet).
    async fn report(&mut self) {
        let present = self.board.present();
        if !present.is_empty() && self.names_read.is_none_or(|t| t.elapsed() >= NAMES_EVERY) {
            if let Ok(members) = blocking(&self.desk, |d| Ok(d.db().team_members()?)).await {
                self.names = members.into_iter().collect();
            }
            self.names_read = Some(Instant::now());
        }
        let unknown: Vec<String> =
            present.iter().filter(|p| !self.ids.contains_key(&p.patient_gid)).map(|p| p.patient_gid.clone()).collect();
        if !unknown.is_empty() {
            let found = blocking(&self.desk, move |d| {
                let mut out = Vec::new();
                for gid in unknown {
                    if let Some(id) = d.db().team_patient_id(&gid)? {
                        out.push((gid, id));
                    }
                }
                Ok(out)
            })
            .await
            .unwrap_or_default();
            self.ids.extend(found);
        }
        let entries: Vec<PresenceEntry> = present
            .into_iter()
            .filter_map(|p| {
                let patient_id = *self.ids.get(&p.patient_gid)?;
                let name = self.names.get(&p.role).cloned().unwrap_or(p.name);
                Some(PresenceEntry { patient_id, role: p.role, name, activity: p.activity })
            })
            .collect();
        let changed = self.shown.lock().map(|mut s| {
            let changed = *s != entries;
            if changed {
                *s = entries.clone();
            }
            changed
        });
        if changed.unwrap_or(false) {
            tracing::debug!(present = entries.len(), "presence changed");
            (self.on_change)(entries);
        }
    }
}
