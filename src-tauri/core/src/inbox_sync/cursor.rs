//! The server's clock and the poll cursor.
//!
//! The hospital SMS server writes message times as its local wall-clock time
//! without a zone; only the send response carries an offset
//! (`2019-11-11T08:08:21.8072824+02:00`). CareDesk assumes the server keeps
//! the desk's time zone (`chrono::Local`) unless the send responses of the
//! last day show another offset, in which case that offset is used.
//!
//! A daylight-saving fall-back repeats an hour of wall-clock time, so a
//! message written in the second pass can carry an `UpdatedAt` older than a
//! cursor taken in the first. Whenever the UTC offset changed within the last
//! 25 hours (by `chrono::Local`, or between send responses) the re-read
//! overlap grows by the size of the change, covering the repeated hour. The
//! daily reconciliation pass catches anything else a poll could miss.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, SecondsFormat, TimeDelta, TimeZone, Utc};

use crate::{
    his::time::HisTime,
    store::{Database, StoreError},
};

/// How far back offsets count as recent: a day and an hour of margin.
const RECENT: TimeDelta = TimeDelta::hours(25);

/// A `Duration` as a `TimeDelta`, saturating at ten years.
pub(crate) fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::days(3650)).min(TimeDelta::days(3650))
}

fn local_offset(at: DateTime<Utc>) -> FixedOffset {
    at.with_timezone(&Local).offset().fix()
}

/// How far apart the offsets are: the size of a DST change among them.
pub fn offset_spread(offsets: &[FixedOffset]) -> TimeDelta {
    let secs = offsets.iter().map(|o| o.local_minus_utc());
    match (secs.clone().min(), secs.max()) {
        (Some(lo), Some(hi)) => TimeDelta::seconds(i64::from(hi - lo)),
        _ => TimeDelta::zero(),
    }
}

/// What CareDesk knows of the server's clock at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerClock {
    /// Now, on the desk's clock.
    pub now: DateTime<Utc>,
    /// The server's offset when it differs from the desk's zone (learnt from
    /// the newest send response); `None`: the desk's zone.
    pub offset: Option<FixedOffset>,
    /// How much the UTC offset moved in the last 25 hours (zero, or an hour
    /// around a DST change).
    pub dst_shift: TimeDelta,
}

impl ServerClock {
    /// From the desk's zone and the send responses stored in the last 25 hours.
    pub fn observe(db: &Database, now: DateTime<Utc>) -> Result<ServerClock, StoreError> {
        let since = (now - RECENT).to_rfc3339_opts(SecondsFormat::Micros, true);
        let sends: Vec<FixedOffset> =
            db.recent_send_times(&since, 200)?.iter().filter_map(|s| HisTime::parse(s)?.offset).collect();
        Ok(ServerClock::from_parts(now, [local_offset(now), local_offset(now - RECENT)], &sends))
    }

    /// `local`: the desk zone's offset now and 25 hours ago; `sends`: the
    /// offsets of recent send responses, newest first.
    pub fn from_parts(now: DateTime<Utc>, local: [FixedOffset; 2], sends: &[FixedOffset]) -> ServerClock {
        let same_zone = sends.iter().all(|o| local.contains(o));
        let dst_shift = offset_spread(&local).max(offset_spread(sends));
        let offset = if same_zone { None } else { sends.first().copied() };
        ServerClock { now, offset, dst_shift }
    }

    /// Now, in the server's wall-clock time.
    pub fn server_now(&self) -> NaiveDateTime {
        self.server_time(self.now)
    }

    /// An instant in the server's wall-clock time.
    pub fn server_time(&self, at: DateTime<Utc>) -> NaiveDateTime {
        match self.offset {
            Some(o) => at.with_timezone(&o).naive_local(),
            None => at.with_timezone(&Local).naive_local(),
        }
    }

    /// The re-read overlap: `base`, plus the DST change of the last day.
    pub fn overlap(&self, base: Duration) -> TimeDelta {
        delta(base) + self.dst_shift
    }

    /// A server time as a UTC instant: by its own offset if it has one, else
    /// in the server's zone. In a repeated hour the earlier reading is taken;
    /// a time in a skipped hour is read an hour later.
    pub fn to_utc(&self, t: &HisTime) -> DateTime<Utc> {
        if let Some(o) = t.offset {
            if let Some(at) = o.from_local_datetime(&t.local).single() {
                return at.with_timezone(&Utc);
            }
        }
        if let Some(o) = self.offset {
            return (t.local - TimeDelta::seconds(i64::from(o.local_minus_utc()))).and_utc();
        }
        Local
            .from_local_datetime(&t.local)
            .earliest()
            .or_else(|| Local.from_local_datetime(&(t.local + TimeDelta::hours(1))).earliest())
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_else(|| t.local.and_utc())
    }
}

/// The stored cursor of poll `name`; an unreadable one counts as none.
pub fn read_cursor(db: &Database, name: &str) -> Result<Option<HisTime>, StoreError> {
    Ok(db.sync_cursor(name)?.and_then(|s| {
        let parsed = HisTime::parse(&s);
        if parsed.is_none() {
            tracing::warn!(name, "the stored sync cursor cannot be read; polling from the initial lookback");
        }
        parsed
    }))
}

/// Moves the cursor of poll `name` to `to` if that is later; never back.
/// Returns whether it moved. Call it in the transaction that stored the
/// messages up to `to`.
pub fn advance_cursor(db: &Database, name: &str, to: HisTime) -> Result<bool, StoreError> {
    let to = HisTime::from_local(to.local);
    if read_cursor(db, name)?.is_some_and(|current| current >= to) {
        return Ok(false);
    }
    db.set_sync_cursor(name, &to.to_wire())?;
    Ok(true)
}

/// `dateFrom` of a poll: the cursor minus the overlap, or, before the first
/// message, `initial_lookback` before now.
pub fn poll_date_from(
    cursor: Option<HisTime>,
    clock: &ServerClock,
    overlap: Duration,
    initial_lookback: Duration,
) -> HisTime {
    let local = match cursor {
        Some(c) => c.local - clock.overlap(overlap),
        None => clock.server_now() - delta(initial_lookback),
    };
    HisTime::from_local(local)
}

/// `dateFrom` of a reconciliation: `window` before now, minus the overlap.
pub fn window_date_from(clock: &ServerClock, window: Duration, overlap: Duration) -> HisTime {
    HisTime::from_local(clock.server_now() - delta(window) - clock.overlap(overlap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

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
    fn the_overlap_grows_by_a_dst_change_of_the_last_day() {
        let steady = ServerClock::from_parts(now(), [hours(2), hours(2)], &[hours(2)]);
        assert_eq!(steady.dst_shift, TimeDelta::zero());
        assert_eq!(steady.overlap(Duration::from_secs(300)), TimeDelta::minutes(5));
        // The desk's zone fell back from +03:00 to +02:00 within the day.
        let fell_back = ServerClock::from_parts(now(), [hours(2), hours(3)], &[]);
        assert_eq!(fell_back.overlap(Duration::from_secs(300)), TimeDelta::minutes(65));
        // The send responses show the change even when the desk's zone does not.
        let by_sends = ServerClock::from_parts(now(), [hours(0), hours(0)], &[hours(2), hours(3)]);
        assert_eq!(by_sends.dst_shift, TimeDelta::hours(1));
        assert_eq!(by_sends.offset, Some(hours(2)), "a server in another zone: the newest offset is used");
    }

    #[test]
    fn a_message_in_the_repeated_hour_is_re_read() {
        // Cursor from the first pass through 01:00-02:00; after the clocks go
        // back, a message arrives at 01:10 (second pass).
        let cursor = at("2024-10-27T01:50:00");
        let second_pass = at("2024-10-27T01:10:00");
        let clock = ServerClock::from_parts(now(), [hours(2), hours(3)], &[]);
        let from = poll_date_from(Some(cursor), &clock, Duration::from_secs(300), Duration::from_secs(86_400));
        assert!(from <= second_pass, "dateFrom {from} must reach back to {second_pass}");
        let steady = ServerClock::from_parts(now(), [hours(2), hours(2)], &[]);
        let from = poll_date_from(Some(cursor), &steady, Duration::from_secs(300), Duration::from_secs(86_400));
        assert_eq!(from, at("2024-10-27T01:45:00"));
    }

    #[test]
    fn server_times_to_utc() {
        let clock = ServerClock::from_parts(now(), [hours(0), hours(0)], &[hours(2)]);
        assert_eq!(clock.server_now(), at("2024-10-27T04:30:00").local);
        assert_eq!(clock.to_utc(&at("2024-10-27T04:30:00")), now());
        assert_eq!(clock.to_utc(&at("2024-10-27T07:30:00+05:00")), now());
        let window = window_date_from(&clock, Duration::from_secs(86_400), Duration::from_secs(300));
        assert_eq!(window, at("2024-10-26T04:25:00"));
    }

    #[test]
    fn the_cursor_never_moves_back() {
        let (_d, db) = test_db();
        assert!(advance_cursor(&db, "his.incoming", at("2019-11-12T11:01:51.2143907")).unwrap());
        assert!(!advance_cursor(&db, "his.incoming", at("2019-11-12T11:01:51.2143907")).unwrap());
        assert!(!advance_cursor(&db, "his.incoming", at("2019-11-12T10:00:00")).unwrap());
        assert_eq!(read_cursor(&db, "his.incoming").unwrap(), Some(at("2019-11-12T11:01:51.2143907")));
        assert!(advance_cursor(&db, "his.incoming", at("2019-11-12T11:01:51.2143908")).unwrap());
        db.set_sync_cursor("his.incoming", "garbage").unwrap();
        assert_eq!(read_cursor(&db, "his.incoming").unwrap(), None);
    }
}
