//! What this desk knows of the others' presence, without I/O: the last
//! announcement heard from each desk, forgotten when that desk says it
//! left or when its announcements stop for [`EXPIRE_AFTER`]. Time is passed
//! in, so expiry is tested without waiting.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::gateways::team_db::{Activity, Announcement};

/// How often a desk repeats its own presence while it lasts.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(2);

/// How many announcements in a row may be missed before a desk's presence
/// is forgotten (it quit, crashed, or lost its connection without a word).
pub const MISSED: u32 = 3;

/// A presence not heard again within this is forgotten: [`MISSED`]
/// announcements and a second of slack.
pub const EXPIRE_AFTER: Duration = Duration::from_secs(ANNOUNCE_EVERY.as_secs() * MISSED as u64 + 1);

/// Another desk's member in a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub desk_id: Uuid,
    pub role: String,
    pub name: String,
    pub patient_gid: String,
    /// Viewing or writing.
    pub activity: Activity,
}

#[derive(Debug, Clone)]
struct Entry {
    present: Present,
    heard: Instant,
}

/// The others' presence, by desk.
#[derive(Debug, Clone)]
pub struct Board {
    own: Uuid,
    expire_after: Duration,
    entries: HashMap<Uuid, Entry>,
}

impl Board {
    /// A board for the desk `own` (whose own announcements it ignores).
    pub fn new(own: Uuid) -> Board {
        Board::with_expiry(own, EXPIRE_AFTER)
    }

    pub fn with_expiry(own: Uuid, expire_after: Duration) -> Board {
        Board { own, expire_after, entries: HashMap::new() }
    }

    /// Takes in an announcement heard at `now`; true when what the board
    /// shows changed (a repeat only refreshes the time).
    pub fn hear(&mut self, a: Announcement, now: Instant) -> bool {
        if a.desk_id == self.own {
            return false;
        }
        let gid = match (a.activity, a.patient_gid) {
            (Activity::Left, _) | (_, None) => return self.entries.remove(&a.desk_id).is_some(),
            (_, Some(gid)) => gid,
        };
        let present =
            Present { desk_id: a.desk_id, role: a.role, name: a.name, patient_gid: gid, activity: a.activity };
        let changed = self.entries.get(&a.desk_id).is_none_or(|e| e.present != present);
        self.entries.insert(a.desk_id, Entry { present, heard: now });
        changed
    }

    /// Forgets the desks not heard from within the expiry; true when any went.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.entries.len();
        let limit = self.expire_after;
        self.entries.retain(|_, e| now.saturating_duration_since(e.heard) < limit);
        self.entries.len() != before
    }

    /// Forgets everyone (team mode went off); true when anyone was shown.
    pub fn clear(&mut self) -> bool {
        let had = !self.entries.is_empty();
        self.entries.clear();
        had
    }

    /// Who is where, by name then desk (a stable order for the UI).
    pub fn present(&self) -> Vec<Present> {
        let mut all: Vec<Present> = self.entries.values().map(|e| e.present.clone()).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.desk_id.cmp(&b.desk_id)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = "00000000-0000-8000-8001-0000000003e9";

    fn said(desk: Uuid, name: &str, activity: Activity) -> Announcement {
        let patient_gid = (activity != Activity::Left).then(|| PATIENT.to_string());
        Announcement { desk_id: desk, role: name.to_lowercase(), name: name.into(), patient_gid, activity }
    }

    #[test]
    fn a_desk_that_stops_announcing_is_gone_after_three_missed_announcements() {
        let (me, ben) = (Uuid::new_v4(), Uuid::new_v4());
        let mut board = Board::new(me);
        let t0 = Instant::now();
        assert!(board.hear(said(ben, "Ben", Activity::Viewing), t0));
        // Announced every ANNOUNCE_EVERY: a repeat changes nothing shown.
        let mut t = t0;
        for _ in 0..5 {
            t += ANNOUNCE_EVERY;
            assert!(!board.hear(said(ben, "Ben", Activity::Viewing), t));
            assert!(!board.expire(t));
        }
        // Then silence: still there after two missed, gone after three.
        assert!(!board.expire(t + ANNOUNCE_EVERY * 2));
        assert_eq!(board.present().len(), 1);
        assert!(board.expire(t + ANNOUNCE_EVERY * MISSED + Duration::from_secs(1)));
        assert!(board.present().is_empty());
        assert!(EXPIRE_AFTER <= Duration::from_secs(10), "gone within seconds");
    }

    #[test]
    fn leaving_forgets_at_once_and_a_change_of_activity_shows() {
        let (me, ben, cy) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut board = Board::new(me);
        let t = Instant::now();
        board.hear(said(ben, "Ben", Activity::Viewing), t);
        board.hear(said(cy, "Cy", Activity::Viewing), t);
        assert!(board.hear(said(ben, "Ben", Activity::Writing), t), "viewing to writing shows");
        let shown: Vec<_> = board.present().into_iter().map(|p| (p.name, p.activity)).collect();
        assert_eq!(shown, [("Ben".to_string(), Activity::Writing), ("Cy".to_string(), Activity::Viewing)]);
        assert!(board.hear(said(ben, "Ben", Activity::Left), t));
        assert!(!board.hear(said(ben, "Ben", Activity::Left), t), "gone already");
        assert_eq!(board.present().len(), 1);
        assert!(!board.hear(said(me, "Me", Activity::Writing), t), "this desk's own announcements are not shown");
        assert!(board.clear() && !board.clear());
    }
}
