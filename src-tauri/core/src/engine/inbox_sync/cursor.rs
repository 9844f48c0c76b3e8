//! The poll cursor: where the next Get SMS resumes.
//!
//! The cursor is the newest `UpdatedAt` a committed page held, as the server
//! wrote it (with its offset, when it gave one), so `dateFrom` goes back in
//! the server's own form. It never moves back, and never beyond the
//! server's present plus a small margin ([`ServerClock::present_limit`]):
//! one message stamped in the future (a server clock stepped back, a bad
//! row) cannot blind the polls that follow. A stored cursor beyond that
//! limit is pulled back at the next poll.
//!
//! A daylight-saving fall-back repeats an hour of wall-clock time, so a
//! message written in the second pass can carry an `UpdatedAt` older than a
//! cursor taken in the first. Whenever the UTC offset changed within the last
//! 25 hours the re-read overlap grows by the size of the change, covering the
//! repeated hour. The reconciliation pass catches anything else.

use std::time::Duration;

use chrono::TimeDelta;

pub use super::clock::ServerClock;
use crate::{
    gateways::his::time::HisTime,
    store::{Database, StoreError},
};

/// A `Duration` as a `TimeDelta`, saturating at ten years.
pub(crate) fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::days(3650)).min(TimeDelta::days(3650))
}

/// The stored cursor of poll `name`; an unreadable one counts as none. In
/// team mode, the later of this desk's and the team's (the cursor of
/// whichever desk polled last, `store::team::cursor`).
pub fn read_cursor(db: &Database, name: &str) -> Result<Option<HisTime>, StoreError> {
    let parse = |s: String| {
        let parsed = HisTime::parse(&s);
        if parsed.is_none() {
            tracing::warn!(name, "a stored sync cursor cannot be read; it is not used");
        }
        parsed
    };
    let own = db.sync_cursor(name)?.and_then(parse);
    let team = db.team_cursor(name)?.and_then(parse);
    Ok(own.max(team))
}

/// Moves the cursor of poll `name` to `to` if that is later, but not
/// beyond `limit` (see [`ServerClock::present_limit`]); never back.
/// Returns whether it moved. Call it in the transaction that stored the
/// messages up to `to`.
pub fn advance_cursor(db: &Database, name: &str, to: HisTime, limit: &HisTime) -> Result<bool, StoreError> {
    let to = if to > *limit {
        tracing::warn!(
            cursor = %to,
            limit = %limit,
            "a message is stamped after the server's present; the cursor stops at the present"
        );
        *limit
    } else {
        to
    };
    if read_cursor(db, name)?.is_some_and(|current| current >= to) {
        return Ok(false);
    }
    db.set_sync_cursor(name, &to.to_wire())?;
    Ok(true)
}

/// Pulls a stored cursor that lies beyond the server's present back to the
/// present. Returns the cursor to poll from.
pub fn pull_back(db: &Database, name: &str, clock: &ServerClock) -> Result<Option<HisTime>, StoreError> {
    let Some(cursor) = read_cursor(db, name)? else { return Ok(None) };
    let limit = clock.present_limit(Some(&cursor));
    if cursor > limit {
        tracing::warn!(cursor = %cursor, limit = %limit, "the stored cursor is after the server's present; pulled back");
        db.set_sync_cursor(name, &limit.to_wire())?;
        return Ok(Some(limit));
    }
    Ok(Some(cursor))
}

/// `dateFrom` of a poll: the cursor minus the overlap, or, before the first
/// message, `initial_lookback` before now.
pub fn poll_date_from(
    cursor: Option<HisTime>,
    clock: &ServerClock,
    overlap: Duration,
    initial_lookback: Duration,
) -> HisTime {
    match cursor {
        Some(c) => c.shifted(-clock.overlap(overlap)),
        None => HisTime::from_local(clock.server_now() - delta(initial_lookback) - clock.zone_doubt()),
    }
}

/// `dateFrom` of a reconciliation: `window` before now, minus the overlap,
/// reaching further back by a day and two hours while the server's zone is
/// a guess.
pub fn window_date_from(clock: &ServerClock, window: Duration, overlap: Duration) -> HisTime {
    HisTime::from_local(clock.server_now() - delta(window) - clock.overlap(overlap) - clock.zone_doubt())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, Utc};

    use super::*;
    use crate::{engine::inbox_sync::clock::Zone, store::test_db};

    fn at(s: &str) -> HisTime {
        HisTime::parse(s).unwrap()
    }

    fn hours(h: i32) -> FixedOffset {
        FixedOffset::east_opt(h * 3600).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-10-27T02:30:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_message_in_the_repeated_hour_is_re_read() {
        // Cursor from the first pass through 03:00-04:00 (Vilnius); after the
        // clocks go back, a message arrives at 03:10 (second pass).
        let tz = "Europe/Vilnius".parse().unwrap();
        let clock =
            ServerClock::new(now(), TimeDelta::zero(), Zone::Named(tz), super::super::clock::ZoneSource::Setting, &[]);
        let cursor = at("2024-10-27T03:50:00");
        let second_pass = at("2024-10-27T03:10:00");
        let from = poll_date_from(Some(cursor), &clock, Duration::from_secs(300), Duration::from_secs(86_400));
        assert!(from <= second_pass, "dateFrom {from} must reach back to {second_pass}");
        let steady = ServerClock::fixed(now(), hours(2), TimeDelta::zero());
        let from = poll_date_from(Some(cursor), &steady, Duration::from_secs(300), Duration::from_secs(86_400));
        assert_eq!(from, at("2024-10-27T03:45:00"));
    }

    #[test]
    fn the_cursor_keeps_the_servers_offset() {
        let clock = ServerClock::fixed(now(), hours(2), TimeDelta::zero());
        let cursor = at("2024-10-27T04:00:00.1234567+02:00");
        let from = poll_date_from(Some(cursor), &clock, Duration::from_secs(300), Duration::from_secs(86_400));
        assert_eq!(from.to_query(), "2024-10-27 03:55:00.1234567+02:00");
    }

    #[test]
    fn windows_reach_back_further_while_the_zone_is_a_guess() {
        let known = ServerClock::fixed(now(), hours(2), TimeDelta::zero());
        let window = window_date_from(&known, Duration::from_secs(86_400), Duration::from_secs(300));
        assert_eq!(window, at("2024-10-26T04:25:00"));
        let guess = ServerClock::new(
            now(),
            TimeDelta::zero(),
            Zone::Fixed(hours(2)),
            super::super::clock::ZoneSource::Answer,
            &[],
        );
        let wide = window_date_from(&guess, Duration::from_secs(86_400), Duration::from_secs(300));
        assert_eq!(wide, at("2024-10-25T02:25:00"));
    }

    #[test]
    fn the_cursor_never_moves_back_nor_past_the_present() {
        let (_d, db) = test_db();
        let far = at("2099-01-01T00:00:00");
        assert!(advance_cursor(&db, "his.incoming", at("2019-11-12T11:01:51.2143907"), &far).unwrap());
        assert!(!advance_cursor(&db, "his.incoming", at("2019-11-12T11:01:51.2143907"), &far).unwrap());
        assert!(!advance_cursor(&db, "his.incoming", at("2019-11-12T10:00:00"), &far).unwrap());
        assert_eq!(read_cursor(&db, "his.incoming").unwrap(), Some(at("2019-11-12T11:01:51.2143907")));
        assert!(advance_cursor(&db, "his.incoming", at("2019-11-12T11:01:51.2143908"), &far).unwrap());
        // A message two days ahead moves it only to the present's limit.
        let limit = at("2019-11-12T12:00:00");
        assert!(advance_cursor(&db, "his.incoming", at("2019-11-14T12:00:00"), &limit).unwrap());
        assert_eq!(read_cursor(&db, "his.incoming").unwrap(), Some(limit));
        db.set_sync_cursor("his.incoming", "garbage").unwrap();
        assert_eq!(read_cursor(&db, "his.incoming").unwrap(), None);
    }

    #[test]
    fn a_stored_cursor_beyond_the_present_is_pulled_back() {
        let (_d, db) = test_db();
        let clock = ServerClock::fixed(now(), hours(2), TimeDelta::zero());
        db.set_sync_cursor("his.incoming", "2024-10-29T04:30:00.0000000").unwrap();
        let back = pull_back(&db, "his.incoming", &clock).unwrap().unwrap();
        assert_eq!(back, at("2024-10-27T04:32:00"));
        assert_eq!(read_cursor(&db, "his.incoming").unwrap(), Some(back));
        db.set_sync_cursor("his.incoming", "2024-10-27T04:00:00.0000000").unwrap();
        assert_eq!(pull_back(&db, "his.incoming", &clock).unwrap(), Some(at("2024-10-27T04:00:00")));
    }
}
