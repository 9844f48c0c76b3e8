//! The hospital SMS server's clock, as CareDesk estimates it.
//!
//! The spec's server writes message times as its own wall-clock time
//! without a zone, and the send answer with an offset. A real server may
//! also be minutes off the desk's clock, keep its lists in UTC while it
//! labels its answers with its machine's zone, or sit in any zone. Nothing
//! CareDesk promises (each SMS once, each reply once) rests on this
//! estimate: the check before a retry reads a window wide enough for any
//! zone, and replies are told apart by their server `Id`. The estimate
//! decides how far to re-read, where the cursor may go, and the order and
//! times shown in threads.
//!
//! What it is learnt from, most trusted first:
//!
//! 1. the setting `his.time_zone` (an IANA name, like `Europe/Vilnius`);
//! 2. `list`: the server's own Outgoing list matched, by `Id`, to the sends
//!    CareDesk made (the list's zone-less `CreatedAt` against the moment the
//!    send went, on the server's clock);
//! 3. `incoming`: fresh replies in a page against the page's `Date` header,
//!    when two or more agree (one odd row alone teaches nothing);
//! 4. `answer`: the send answers' `CreatedAt`, by its offset, or against the
//!    answer's `Date` header;
//! 5. `desk`: the desk's own zone, a guess.
//!
//! The skew (the server's clock minus the desk's) comes from the `Date`
//! header of every answer. Offsets are rounded to 15 minutes, as zones are.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::{
    gateways::his::{client::Stamp, time::HisTime, wire::HisMessage},
    store::{Database, ServerClockRow, StoreError},
};

/// The name of the hospital SMS server's row in `server_clocks`.
pub use crate::store::server_clocks::HIS_CLOCK as HIS;

/// How far from UTC any zone's offset lies, either way, at the most
/// (UTC-12 to UTC+14): what a window must add when the zone is a guess.
pub const ZONE_SPREAD: TimeDelta = TimeDelta::hours(26);

/// How far past the server's estimated present a message time may move the
/// cursor (the `Date` header has whole seconds; answers take time).
pub const PRESENT_MARGIN: TimeDelta = TimeDelta::minutes(2);

/// How far back offsets count as recent for the DST widening: a day and an
/// hour of margin.
const RECENT: TimeDelta = TimeDelta::hours(25);

/// How zone-less server times are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
    /// The desk's own zone.
    Desk,
}

/// Where [`Zone`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    Setting,
    List,
    Incoming,
    Answer,
    Desk,
}

/// What CareDesk knows of the server's clock at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerClock {
    /// Now, on the desk's clock.
    pub now: DateTime<Utc>,
    /// The server's clock minus the desk's (zero when unknown).
    pub skew: TimeDelta,
    /// Whether `skew` was measured (a `Date` header was seen).
    pub skew_known: bool,
    pub zone: Zone,
    pub source: ZoneSource,
    /// How much the zone's UTC offset moved in the last 25 hours (zero, or
    /// an hour around a DST change).
    pub dst_shift: TimeDelta,
}

/// Seconds east of UTC, rounded to the nearest quarter hour and kept
/// within the zones that exist.
pub fn round_offset(d: TimeDelta) -> Option<FixedOffset> {
    let quarter = 15 * 60;
    let secs = d.num_seconds();
    let rounded = (secs as f64 / quarter as f64).round() as i64 * quarter;
    if !(-12 * 3600..=14 * 3600).contains(&rounded) {
        return None;
    }
    FixedOffset::east_opt(rounded as i32)
}

impl Zone {
    pub fn offset_at(&self, at: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Named(tz) => at.with_timezone(tz).offset().fix(),
            Zone::Fixed(o) => *o,
            Zone::Desk => at.with_timezone(&Local).offset().fix(),
        }
    }

    /// A wall-clock time as an instant: in a repeated hour the earlier
    /// reading, in a skipped hour an hour later.
    fn instant(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        fn pick<Z: TimeZone>(z: &Z, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
            z.from_local_datetime(&wall)
                .earliest()
                .or_else(|| z.from_local_datetime(&(wall + TimeDelta::hours(1))).earliest())
                .map(|t| t.with_timezone(&Utc))
        }
        match self {
            Zone::Named(tz) => pick(tz, wall),
            Zone::Fixed(o) => pick(o, wall),
            Zone::Desk => pick(&Local, wall),
        }
        .unwrap_or_else(|| wall.and_utc())
    }

    /// How the zone is written in Settings.
    pub fn describe(&self, at: DateTime<Utc>) -> String {
        let o = self.offset_at(at);
        match self {
            Zone::Named(tz) => format!("{} (UTC{o})", tz.name()),
            Zone::Fixed(_) => format!("UTC{o}"),
            Zone::Desk => format!("UTC{o}, this computer's zone"),
        }
    }
}

impl ServerClock {
    /// From the setting `his.time_zone` and what the server's answers taught.
    pub fn observe(db: &Database, now: DateTime<Utc>) -> Result<ServerClock, StoreError> {
        let row = db.server_clock(HIS)?;
        let named = db.setting("his.time_zone")?.and_then(|v| v.parse::<Tz>().ok());
        let since = (now - RECENT).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let answers: Vec<FixedOffset> =
            db.recent_send_times(&since, 200)?.iter().filter_map(|s| HisTime::parse(s)?.offset).collect();
        Ok(ServerClock::from_row(now, &row, named, &answers))
    }

    /// `answers`: offsets of recent send answers (for the DST widening).
    pub fn from_row(
        now: DateTime<Utc>,
        row: &ServerClockRow,
        named: Option<Tz>,
        answers: &[FixedOffset],
    ) -> ServerClock {
        let fixed = row.list_offset.and_then(FixedOffset::east_opt);
        let (zone, source) = match (named, fixed, row.list_source.as_deref()) {
            (Some(tz), _, _) => (Zone::Named(tz), ZoneSource::Setting),
            (None, Some(o), Some("list")) => (Zone::Fixed(o), ZoneSource::List),
            (None, Some(o), Some("incoming")) => (Zone::Fixed(o), ZoneSource::Incoming),
            (None, Some(o), _) => (Zone::Fixed(o), ZoneSource::Answer),
            (None, None, _) => (Zone::Desk, ZoneSource::Desk),
        };
        let skew = TimeDelta::milliseconds(row.skew_ms.unwrap_or(0));
        ServerClock { skew_known: row.skew_ms.is_some(), ..ServerClock::new(now, skew, zone, source, answers) }
    }

    pub fn new(
        now: DateTime<Utc>,
        skew: TimeDelta,
        zone: Zone,
        source: ZoneSource,
        answers: &[FixedOffset],
    ) -> ServerClock {
        let server_now = now + skew;
        let mut offsets = vec![zone.offset_at(server_now), zone.offset_at(server_now - RECENT)];
        if zone == Zone::Desk || source == ZoneSource::Answer {
            offsets.extend_from_slice(answers);
        }
        let secs = offsets.iter().map(|o| o.local_minus_utc());
        let dst_shift = match (secs.clone().min(), secs.max()) {
            (Some(lo), Some(hi)) => TimeDelta::seconds(i64::from(hi - lo)).min(TimeDelta::hours(2)),
            _ => TimeDelta::zero(),
        };
        ServerClock { now, skew, skew_known: true, zone, source, dst_shift }
    }

    /// A clock for tests: the server in `zone` (a fixed offset), `skew` off.
    pub fn fixed(now: DateTime<Utc>, offset: FixedOffset, skew: TimeDelta) -> ServerClock {
        ServerClock::new(now, skew, Zone::Fixed(offset), ZoneSource::List, &[])
    }

    /// Whether the zone of zone-less times is known rather than guessed.
    pub fn zone_is_known(&self) -> bool {
        matches!(self.source, ZoneSource::Setting | ZoneSource::List)
    }

    /// How far a window must reach further back because the zone is a guess.
    pub fn zone_doubt(&self) -> TimeDelta {
        if self.zone_is_known() {
            TimeDelta::zero()
        } else {
            ZONE_SPREAD
        }
    }

    /// The server's present, as an instant.
    pub fn server_instant(&self) -> DateTime<Utc> {
        self.now + self.skew
    }

    /// An instant as the server's wall-clock time.
    pub fn wall(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.zone.offset_at(at)).naive_local()
    }

    /// Now, in the server's wall-clock time.
    pub fn server_now(&self) -> NaiveDateTime {
        self.wall(self.server_instant())
    }

    /// The re-read overlap: `base`, plus the DST change of the last day.
    pub fn overlap(&self, base: std::time::Duration) -> TimeDelta {
        super::cursor::delta(base) + self.dst_shift
    }

    /// A server time as the instant it names on the server's clock: by its
    /// own offset if it has one, else in the server's zone.
    pub fn to_utc(&self, t: &HisTime) -> DateTime<Utc> {
        t.instant().unwrap_or_else(|| self.zone.instant(t.local))
    }

    /// A server time on the desk's clock (the skew taken out), so that it
    /// sorts among the desk's own times.
    pub fn to_desk(&self, t: &HisTime) -> DateTime<Utc> {
        self.to_utc(t) - self.skew
    }

    /// The latest time a message may move a cursor to: the server's present
    /// plus [`PRESENT_MARGIN`], written like `like` (at its offset when it
    /// has one; zone-less otherwise).
    pub fn present_limit(&self, like: Option<&HisTime>) -> HisTime {
        let at = self.server_instant() + PRESENT_MARGIN;
        match like.and_then(|t| t.offset) {
            Some(o) => HisTime::from_utc(at, Some(o)),
            None => HisTime::from_local(self.wall(at)),
        }
    }
}

/// What one answer teaches: the skew from its `Date` header (which has
/// whole seconds, so half a second is added), kept as it was while within
/// a second of it.
pub fn learn_skew(row: &mut ServerClockRow, stamp: &Stamp) {
    if let Some(date) = stamp.server_date {
        let skew = (date + TimeDelta::milliseconds(500) - stamp.received_at).num_milliseconds();
        // Within the header's one-second resolution it has not moved: no write.
        if row.skew_ms.is_none_or(|old| (old - skew).abs() >= 1000) {
            row.skew_ms = Some(skew);
        }
    }
}

/// What a send answer teaches: the offset its `CreatedAt` carries, or the
/// one between its zone-less `CreatedAt` and its `Date` header. It becomes
/// the list's zone too, until the list itself tells.
pub fn learn_from_answer(row: &mut ServerClockRow, created_at: Option<&HisTime>, stamp: &Stamp) {
    learn_skew(row, stamp);
    let offset = match created_at {
        Some(HisTime { offset: Some(o), .. }) => Some(*o),
        Some(t) => stamp.server_date.and_then(|d| round_offset(t.local - d.naive_utc())),
        None => None,
    };
    if let Some(o) = offset {
        row.answer_offset = Some(o.local_minus_utc());
        if row.list_source.is_none() || row.list_source.as_deref() == Some("answer") {
            row.list_offset = Some(o.local_minus_utc());
            row.list_source = Some("answer".into());
        }
    }
}

/// What an Outgoing list teaches: its zone-less `CreatedAt` of messages
/// CareDesk sent, against the moment each went (`sent`: server id and the
/// desk's time of the attempt; the skew converts it to the server's clock).
/// The median of the matches is kept.
pub fn learn_from_list(row: &mut ServerClockRow, list: &[HisMessage], sent: &[(i64, DateTime<Utc>)]) {
    let skew = TimeDelta::milliseconds(row.skew_ms.unwrap_or(0));
    let mut offsets: Vec<i32> = list
        .iter()
        .filter(|m| m.created_at.offset.is_none())
        .filter_map(|m| {
            let (_, at) = sent.iter().find(|(id, _)| *id == m.id)?;
            round_offset(m.created_at.local - (*at + skew).naive_utc()).map(|o| o.local_minus_utc())
        })
        .collect();
    if offsets.is_empty() {
        return;
    }
    offsets.sort_unstable();
    row.list_offset = Some(offsets[offsets.len() / 2]);
    row.list_source = Some("list".into());
}

/// What a page of replies teaches, when the list's zone is not known from
/// the list itself: each zone-less `UpdatedAt` against the page's `Date`
/// header is at most the zone's offset (a message is not in the future),
/// and within minutes of it for a fresh one. The highest offset that two
/// or more messages (distinct Ids) round to is taken, so one odd row alone
/// (a bad stamp) teaches nothing.
pub fn learn_from_incoming(row: &mut ServerClockRow, messages: &[HisMessage], stamp: &Stamp) {
    if matches!(row.list_source.as_deref(), Some("list")) {
        return;
    }
    let Some(date) = stamp.server_date else { return };
    let mut votes: std::collections::BTreeMap<i32, std::collections::BTreeSet<i64>> = Default::default();
    for m in messages.iter().filter(|m| m.updated_at.offset.is_none()) {
        if let Some(o) = round_offset(m.updated_at.local - date.naive_utc()) {
            votes.entry(o.local_minus_utc()).or_default().insert(m.id);
        }
    }
    if let Some((offset, _)) = votes.iter().rev().find(|(_, ids)| ids.len() >= 2) {
        row.list_offset = Some(*offset);
        row.list_source = Some("incoming".into());
    }
}

/// Stores what `teach` learns, starting from the stored row.
pub fn learn(db: &Database, teach: impl FnOnce(&mut ServerClockRow)) -> Result<(), StoreError> {
    let mut row = db.server_clock(HIS)?;
    let before = row.clone();
    teach(&mut row);
    if row != before {
        db.set_server_clock(HIS, &row)?;
    }
    Ok(())
}

/// The estimate as Settings shows it, next to `his.time_zone`.
pub fn describe(db: &Database, now: DateTime<Utc>) -> Result<String, StoreError> {
    let clock = ServerClock::observe(db, now)?;
    let zone = clock.zone.describe(clock.server_instant());
    let how = match clock.source {
        ZoneSource::Setting => "set here",
        ZoneSource::List => "estimated from the server's lists of sent messages",
        ZoneSource::Incoming => "estimated from the times of fresh replies",
        ZoneSource::Answer => "estimated from the server's answers to sends",
        ZoneSource::Desk => "not known yet: this computer's zone is assumed until a message is sent",
    };
    let skew = match clock.skew.num_seconds() {
        _ if !clock.skew_known => String::new(),
        -5..=5 => "; its clock agrees with this computer's".to_string(),
        s if s > 0 => format!("; its clock is {s} s ahead of this computer's"),
        s => format!("; its clock is {} s behind this computer's", -s),
    };
    Ok(format!("{zone}, {how}{skew}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn hours(h: i32) -> FixedOffset {
        FixedOffset::east_opt(h * 3600).unwrap()
    }

    fn at(s: &str) -> HisTime {
        HisTime::parse(s).unwrap()
    }

    #[test]
    fn offsets_round_to_quarter_hours_within_real_zones() {
        assert_eq!(round_offset(TimeDelta::seconds(7195)), Some(hours(2)));
        assert_eq!(round_offset(TimeDelta::minutes(5 * 60 + 31)), FixedOffset::east_opt(5 * 3600 + 1800));
        assert_eq!(round_offset(TimeDelta::minutes(-7)), Some(hours(0)));
        assert_eq!(round_offset(TimeDelta::hours(48)), None, "two days is no zone");
        assert_eq!(round_offset(TimeDelta::hours(-13)), None);
    }

    #[test]
    fn a_skewed_server_in_another_zone() {
        // The server is 7 minutes ahead and at UTC+09:00.
        let now = utc("2026-12-02T10:00:00Z");
        let clock = ServerClock::fixed(now, hours(9), TimeDelta::minutes(7));
        assert_eq!(clock.server_now(), at("2026-12-02T19:07:00").local);
        // A reply stamped 19:07:05 there happened 5 s ago on the desk's clock.
        assert_eq!(clock.to_desk(&at("2026-12-02T19:07:05")), utc("2026-12-02T10:00:05Z"));
        assert_eq!(clock.to_utc(&at("2026-12-02T12:00:00+02:00")), utc("2026-12-02T10:00:00Z"));
        assert_eq!(clock.present_limit(None), at("2026-12-02T19:09:00"));
        assert_eq!(
            clock.present_limit(Some(&at("2026-12-01T00:00:00+02:00"))).to_wire(),
            "2026-12-02T12:09:00.0000000+02:00",
            "written at the cursor's own offset"
        );
    }

    #[test]
    fn named_zones_follow_dst_and_widen_the_overlap_after_a_change() {
        let tz: Tz = "Europe/Vilnius".parse().unwrap();
        // The night of 2024-10-27 the clocks went back from +03:00 to +02:00.
        let after =
            ServerClock::new(utc("2024-10-27T10:00:00Z"), TimeDelta::zero(), Zone::Named(tz), ZoneSource::Setting, &[]);
        assert_eq!(after.dst_shift, TimeDelta::hours(1));
        assert_eq!(after.overlap(std::time::Duration::from_secs(300)), TimeDelta::minutes(65));
        let steady =
            ServerClock::new(utc("2024-11-27T10:00:00Z"), TimeDelta::zero(), Zone::Named(tz), ZoneSource::Setting, &[]);
        assert_eq!(steady.dst_shift, TimeDelta::zero());
        // The repeated hour reads as its first pass.
        assert_eq!(after.to_utc(&at("2024-10-27T03:30:00")), utc("2024-10-27T00:30:00Z"));
        // The spring gap reads an hour later.
        assert_eq!(steady.to_utc(&at("2024-03-31T03:30:00")), utc("2024-03-31T01:30:00Z"));
    }

    #[test]
    fn answers_and_lists_teach_the_zone_and_the_list_wins() {
        let sent_at = utc("2026-12-02T10:00:00Z");
        let stamp = Stamp { received_at: sent_at, server_date: Some(utc("2026-12-02T10:07:00Z")) };
        let mut row = ServerClockRow::default();
        // The answer says +02:00 (the spec's example form).
        learn_from_answer(&mut row, Some(&at("2026-12-02T12:07:00.1234567+02:00")), &stamp);
        assert_eq!(
            (row.answer_offset, row.list_offset, row.list_source.as_deref()),
            (Some(7200), Some(7200), Some("answer"))
        );
        assert_eq!(row.skew_ms, Some(420_500));
        // But the list writes its times zone-less in UTC.
        let mut listed = crate::gateways::his::read::message(
            &serde_json::json!({"Id": 5, "From": "x", "CreatedAt": "2026-12-02T10:07:00.2", "Type": 1}),
            crate::gateways::his::wire::MessageType::Outgoing,
        )
        .unwrap();
        learn_from_list(&mut row, std::slice::from_ref(&listed), &[(5, sent_at)]);
        assert_eq!((row.list_offset, row.list_source.as_deref()), (Some(0), Some("list")));
        // A later answer no longer moves the list's zone.
        learn_from_answer(&mut row, Some(&at("2026-12-02T12:08:00+02:00")), &stamp);
        assert_eq!(row.list_offset, Some(0));
        // Unknown ids teach nothing.
        listed.id = 6;
        let before = row.clone();
        learn_from_list(&mut row, &[listed], &[(5, sent_at)]);
        assert_eq!(row, before);
        // A zone-less answer is read against its Date header.
        let mut row = ServerClockRow::default();
        learn_from_answer(&mut row, Some(&at("2026-12-02T15:37:01")), &stamp);
        assert_eq!(row.answer_offset, Some(5 * 3600 + 1800));
        let clock = ServerClock::from_row(sent_at, &row, None, &[]);
        assert_eq!((clock.source, clock.zone_is_known(), clock.zone_doubt()), (ZoneSource::Answer, false, ZONE_SPREAD));
    }

    #[test]
    fn fresh_replies_teach_the_zone_when_two_agree() {
        let date = utc("2026-12-02T10:00:00Z");
        let stamp = Stamp { received_at: date, server_date: Some(date) };
        let reply = |id: i64, at: &str| {
            crate::gateways::his::read::message(
                &serde_json::json!({"Id": id, "From": "37060000002", "UpdatedAt": at}),
                crate::gateways::his::wire::MessageType::Incoming,
            )
            .unwrap()
        };
        // The list is in UTC; the answers said +02:00.
        let mut row =
            ServerClockRow { list_offset: Some(7200), list_source: Some("answer".into()), ..Default::default() };
        // One odd row two hours ahead, alone, teaches nothing.
        learn_from_incoming(&mut row, &[reply(1, "2026-12-02T12:00:00"), reply(2, "2026-12-02T09:59:50")], &stamp);
        assert_eq!((row.list_offset, row.list_source.as_deref()), (Some(7200), Some("answer")));
        // Two fresh replies agree on UTC; an older one does not outvote them.
        learn_from_incoming(
            &mut row,
            &[reply(2, "2026-12-02T09:59:50"), reply(3, "2026-12-02T09:58:00"), reply(4, "2026-12-02T06:00:00")],
            &stamp,
        );
        assert_eq!((row.list_offset, row.list_source.as_deref()), (Some(0), Some("incoming")));
        let clock = ServerClock::from_row(date, &row, None, &[]);
        assert_eq!((clock.source, clock.zone_is_known()), (ZoneSource::Incoming, false));
        // The list itself, matched to CareDesk's sends, is not overruled.
        let mut listed =
            ServerClockRow { list_offset: Some(3600), list_source: Some("list".into()), ..Default::default() };
        learn_from_incoming(&mut listed, &[reply(2, "2026-12-02T09:59:50"), reply(3, "2026-12-02T09:58:00")], &stamp);
        assert_eq!(listed.list_offset, Some(3600));
    }

    #[test]
    fn the_setting_wins_over_everything() {
        let row = ServerClockRow { list_offset: Some(0), list_source: Some("list".into()), ..Default::default() };
        let tz: Tz = "America/New_York".parse().unwrap();
        let clock = ServerClock::from_row(utc("2026-12-02T10:00:00Z"), &row, Some(tz), &[]);
        assert_eq!(clock.source, ZoneSource::Setting);
        assert_eq!(clock.server_now(), at("2026-12-02T05:00:00").local);
        let guess = ServerClock::from_row(utc("2026-12-02T10:00:00Z"), &ServerClockRow::default(), None, &[]);
        assert_eq!(guess.zone, Zone::Desk);
    }
}
