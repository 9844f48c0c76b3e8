//! Presence on the team database: which member is viewing or writing to
//! which patient's thread, announced with `NOTIFY caredesk_presence` and
//! heard by every desk that listens. Nothing is stored: an announcement
//! lives as long as it is repeated (the engine's `team::presence` repeats
//! its own and forgets others' that stop).
//!
//! An announcement names the patient by their team id (a UUID), never by a
//! name or number. A listener trusts the role of the session that sent it
//! (PostgreSQL's, from `pg_stat_activity`), not the role the payload claims:
//! a member cannot show up as another.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::gateways::team_db::{connect::TeamDb, TeamDbError};

/// The channel presence is announced on (never the change log's).
pub const PRESENCE_CHANNEL: &str = "caredesk_presence";

/// The longest payload read: PostgreSQL's limit is 8,000 bytes, and an
/// announcement is far shorter; anything longer is not CareDesk's.
pub const MAX_PAYLOAD: usize = 2_000;

/// What a member is doing in a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Viewing,
    Writing,
    /// The desk left the thread (or closed, or locked): forget it at once.
    Left,
}

/// One announcement, as the NOTIFY payload carries it (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The announcing desk.
    pub desk_id: Uuid,
    /// The member's role, as the desk says (checked against its session).
    pub role: String,
    /// The member's display name, as the desk knows it.
    pub name: String,
    /// The patient's team id; `None` with [`Activity::Left`].
    #[serde(default)]
    pub patient_gid: Option<String>,
    pub activity: Activity,
}

/// A presence notification as the session received it: the sending
/// session's backend process id and the raw payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceNotice {
    pub sender_pid: i32,
    pub payload: String,
}

/// How many notices wait for a slow reader before the oldest are dropped
/// (presence is repeated every few seconds: a dropped one is soon replaced).
pub(crate) const NOTICE_BUFFER: usize = 256;

impl Announcement {
    /// Reads a payload; `None` for anything that is not an announcement
    /// this CareDesk understands (too long, not JSON, an unknown activity).
    pub fn parse(payload: &str) -> Option<Announcement> {
        if payload.len() > MAX_PAYLOAD {
            return None;
        }
        let a: Announcement = serde_json::from_str(payload).ok()?;
        let fits = a.role.len() <= 128 && a.name.chars().count() <= 200;
        let names_a_patient = a.activity == Activity::Left || a.patient_gid.as_deref().is_some_and(|g| g.len() <= 64);
        (fits && names_a_patient).then_some(a)
    }
}

/// Hears `NOTIFY caredesk_presence` on one session (see [`TeamDb::listen_presence`]).
pub struct PresenceListener {
    notices: broadcast::Receiver<PresenceNotice>,
}

impl PresenceListener {
    /// The next notice; `None` when the session ended. Notices dropped
    /// because this reader was slow are skipped.
    pub async fn next(&mut self) -> Option<PresenceNotice> {
        loop {
            match self.notices.recv().await {
                Ok(n) => return Some(n),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl TeamDb {
    /// Listens for presence announcements on this session. Keep the
    /// `TeamDb` alive while listening: its session carries them.
    pub async fn listen_presence(&self) -> Result<PresenceListener, TeamDbError> {
        let notices = self.presence_notices();
        self.client()
            .batch_execute(&format!("LISTEN {PRESENCE_CHANNEL}"))
            .await
            .map_err(|e| self.error(&e, "listen for presence"))?;
        Ok(PresenceListener { notices })
    }

    /// Announces `a` to every desk listening (this one's own session too).
    pub async fn announce(&self, a: &Announcement) -> Result<(), TeamDbError> {
        let payload = serde_json::to_string(a)
            .map_err(|e| TeamDbError::Invalid(format!("a presence announcement does not serialize: {e}")))?;
        self.client()
            .execute("SELECT pg_notify($1, $2)", &[&PRESENCE_CHANNEL, &payload])
            .await
            .map_err(|e| self.error(&e, "announce presence"))?;
        Ok(())
    }

    /// The role of the session with backend process id `pid` in this
    /// database (`None` once that session ended). Every role may read it.
    pub async fn session_role(&self, pid: i32) -> Result<Option<String>, TeamDbError> {
        let row = self
            .client()
            .query_opt(
                "SELECT usename::text FROM pg_catalog.pg_stat_activity WHERE pid = $1 AND datname = current_database()",
                &[&pid],
            )
            .await
            .map_err(|e| self.error(&e, "read who announced presence"))?;
        Ok(row.and_then(|r| r.get(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(activity: &str, gid: Option<&str>) -> String {
        serde_json::json!({
            "desk_id": "7b0f6a62-4c1e-4a8e-9b35-2f1d1c0e9a11", "role": "ben", "name": "Ben Ortiz",
            "patient_gid": gid, "activity": activity,
        })
        .to_string()
    }

    #[test]
    fn reads_announcements_and_refuses_what_is_not_one() {
        let a = Announcement::parse(&json("writing", Some("00000000-0000-8000-8001-0000000003e9"))).unwrap();
        assert_eq!((a.role.as_str(), a.activity), ("ben", Activity::Writing));
        assert_eq!(Announcement::parse(&serde_json::to_string(&a).unwrap()), Some(a), "what a desk sends, it reads");
        assert!(Announcement::parse(&json("left", None)).is_some(), "leaving names no patient");
        let cases = [
            json("viewing", None),
            json("dancing", Some("g")),
            "not json".to_string(),
            json("viewing", Some(&"x".repeat(65))),
            format!("{}{}", json("viewing", Some("g")), " ".repeat(MAX_PAYLOAD)),
        ];
        for payload in cases {
            assert!(Announcement::parse(&payload).is_none(), "{payload:.80}");
        }
    }
}
