//! Presence (issue 15, collision avoidance): "Ben is viewing" and "Ben is
//! writing…" in a thread's header, on every desk of the team, gone within
//! seconds after Ben leaves. Ephemeral: announced with `NOTIFY
//! caredesk_presence` ([`crate::gateways::team_db::presence`]) on a session
//! of its own, repeated every [`ANNOUNCE_EVERY`] while it lasts, forgotten
//! by the others after [`MISSED`] missed announcements or at once when the
//! desk says it left. Nothing is stored, here or in the database.
//!
//! - [`board`]: what is known of the others (pure, time passed in).
//! - [`spawn`]: starts the task (its loop is `task`). The app tells it
//!   where this desk's member is ([`PresenceHandle::set`]); it reports the
//!   others through a callback, each patient by this desk's id.
//!
//! Logs name desks and counts only, never a patient or a member.

pub mod board;
mod task;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::mpsc;

pub use board::{Board, Present, ANNOUNCE_EVERY, EXPIRE_AFTER, MISSED};

use crate::{desk::Desk, gateways::team_db::Activity};
use task::Task;

/// Where this desk's member is: a patient's thread, reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Here {
    pub patient_id: i64,
    pub writing: bool,
}

/// Another member in a thread, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PresenceEntry {
    /// The patient, by this desk's id.
    pub patient_id: i64,
    /// The member's role (as PostgreSQL knows the session that announced it).
    pub role: String,
    /// Their display name.
    pub name: String,
    /// Viewing or writing.
    pub activity: Activity,
}

#[derive(Debug)]
pub(super) enum Command {
    Set(Option<Here>),
    Stop,
}

/// The running presence task; dropping it stops the task.
#[derive(Debug)]
pub struct PresenceHandle {
    tx: mpsc::Sender<Command>,
    shown: Arc<Mutex<Vec<PresenceEntry>>>,
    join: Option<tokio::task::JoinHandle<()>>,
}

impl PresenceHandle {
    /// This desk's member is in a thread (`None`: in none, or locked).
    pub fn set(&self, here: Option<Here>) {
        let _ = self.tx.try_send(Command::Set(here));
    }

    /// The others' presence as last reported.
    pub fn present(&self) -> Vec<PresenceEntry> {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Says "left" (bounded) and stops, waiting at most `limit`.
    pub async fn stop(mut self, limit: Duration) {
        let _ = self.tx.send(Command::Stop).await;
        if let Some(j) = self.join.take() {
            let _ = tokio::time::timeout(limit, j).await;
        }
    }
}

impl Drop for PresenceHandle {
    fn drop(&mut self) {
        let _ = self.tx.try_send(Command::Stop);
    }
}

/// Starts the presence task on the current tokio runtime. It idles while
/// team mode is off; `on_change` hears the others' presence whenever it
/// changes.
pub fn spawn(desk: Arc<Mutex<Desk>>, on_change: Arc<dyn Fn(Vec<PresenceEntry>) + Send + Sync>) -> PresenceHandle {
    let (tx, rx) = mpsc::channel(32);
    let shown = Arc::new(Mutex::new(Vec::new()));
    let task = Task::new(desk, on_change, shown.clone());
    let join = tokio::spawn(task.run(rx));
    PresenceHandle { tx, shown, join: Some(join) }
}
