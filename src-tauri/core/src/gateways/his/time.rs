//! The hospital SMS server's timestamps (spec 003).
//!
//! Messages carry local server time without a zone and with seven fractional
//! digits (`2019-11-12T11:01:51.2143795`); the send response carries an
//! offset (`2019-11-11T08:08:21.8072824+02:00`). The `dateFrom` query
//! parameter is written `2019-11-12 11:01:26.8912252`, followed by the
//! offset when the server gave its times one.
//!
//! Servers that are not the spec's example write times in other ways too:
//! with `Z` or an offset on every time, with fewer or more fractional digits,
//! or in the old ASP.NET form `/Date(1573549311214+0200)/`. All of them are
//! read; a time with an offset keeps it.

use std::{cmp::Ordering, fmt};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a timestamp of the form 2019-11-12T11:01:51.2143795 (optionally with an offset)")]
pub struct TimeError(pub &'static str);

/// A server timestamp: the local wall-clock time as written, and the offset
/// when the server gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HisTime {
    pub local: NaiveDateTime,
    pub offset: Option<FixedOffset>,
}

impl HisTime {
    pub fn parse(s: &str) -> Option<HisTime> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        // The forms the server writes, read directly; anything else (and
        // anything the direct reading is unsure of) goes the general way.
        if let Some(fast) = parse_common(t.as_bytes()) {
            return Some(fast);
        }
        parse_general(t).or_else(|| parse_ms_date(t))
    }

    /// The same instant written at `offset`.
    pub fn from_utc(at: chrono::DateTime<chrono::Utc>, offset: Option<FixedOffset>) -> HisTime {
        match offset {
            Some(o) => HisTime { local: at.with_timezone(&o).naive_local(), offset: Some(o) },
            None => HisTime { local: at.naive_utc(), offset: None },
        }
    }

    /// The UTC instant, when the time carries an offset.
    pub fn instant(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let o = self.offset?;
        Some((self.local - chrono::TimeDelta::seconds(i64::from(o.local_minus_utc()))).and_utc())
    }

    /// The wall-clock time moved by `d`, keeping the offset.
    pub fn shifted(&self, d: chrono::TimeDelta) -> HisTime {
        HisTime { local: self.local + d, offset: self.offset }
    }

    /// The key times are ordered by: the UTC instant when there is an
    /// offset, else the wall-clock time.
    fn order_key(&self) -> NaiveDateTime {
        match self.offset {
            Some(o) => self.local - chrono::TimeDelta::seconds(i64::from(o.local_minus_utc())),
            None => self.local,
        }
    }

    pub fn from_local(local: NaiveDateTime) -> HisTime {
        HisTime { local, offset: None }
    }

    /// The `dateFrom` form: `2019-11-12 11:01:26.8912252` (the server's
    /// wall-clock time), with the offset when the time has one
    /// (`2019-11-12 11:01:26.8912252+02:00`), so a server that writes its
    /// times with offsets reads it as the same instant.
    pub fn to_query(&self) -> String {
        self.write(' ', true)
    }

    /// The message form: `2019-11-12T11:01:51.2143795`, with the offset if any.
    pub fn to_wire(&self) -> String {
        self.write('T', true)
    }

    /// Date, `sep`, the time of day with seven fractional digits (100 ns
    /// ticks, as .NET writes them), then the offset if asked and known.
    fn write(&self, sep: char, with_offset: bool) -> String {
        use std::fmt::Write;
        let d = self.local.date();
        let t = self.local.time();
        let offset = if with_offset { self.offset } else { None };
        if !(0..=9999).contains(&d.year()) || t.nanosecond() >= 1_000_000_000 {
            // Years chrono writes with a sign or more digits, and leap
            // seconds: its formatting.
            let base = format!("{}{sep}{}", self.local.format("%Y-%m-%d"), self.time_of_day());
            return match offset {
                Some(o) => format!("{base}{o}"),
                None => base,
            };
        }
        let ticks = t.nanosecond() % 1_000_000_000 / 100;
        let mut out = String::with_capacity(34);
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}.{ticks:07}",
            d.year(),
            d.month(),
            d.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        if let Some(o) = offset {
            let _ = write!(out, "{o}");
        }
        out
    }

    /// `11:01:26.8912252`: seven fractional digits.
    fn time_of_day(&self) -> String {
        let ticks = self.local.nanosecond() % 1_000_000_000 / 100;
        format!("{}.{ticks:07}", self.local.format("%H:%M:%S"))
    }
}

/// Every form [`HisTime::parse`] accepts, tried in order: RFC 3339, three
/// forms with an offset, then four without.
fn parse_general(t: &str) -> Option<HisTime> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(HisTime { local: dt.naive_local(), offset: Some(*dt.offset()) });
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Some(HisTime { local: dt.naive_local(), offset: Some(*dt.offset()) });
        }
    }
    let t = t.strip_suffix('Z').unwrap_or(t);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(HisTime { local, offset: None });
        }
    }
    None
}

/// The old ASP.NET JSON form: `/Date(1573549311214)/` (milliseconds since
/// 1970, UTC) or `/Date(1573549311214+0200)/` (the same instant, written by
/// a server at that offset).
fn parse_ms_date(t: &str) -> Option<HisTime> {
    let inner = t.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let split = inner.char_indices().skip(1).find(|(_, c)| *c == '+' || *c == '-').map(|(i, _)| i);
    let (ms, zone) = match split {
        Some(i) => (&inner[..i], Some(&inner[i..])),
        None => (inner, None),
    };
    let at = DateTime::from_timestamp_millis(ms.parse().ok()?)?;
    let offset = match zone {
        None => None,
        Some(z) if z.len() == 5 => {
            let (h, m) = (digits(&z.as_bytes()[1..3])?, digits(&z.as_bytes()[3..5])?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            Some(FixedOffset::east_opt(if z.starts_with('-') { -secs } else { secs })?)
        }
        Some(_) => return None,
    };
    Some(match offset {
        Some(o) => HisTime { local: at.with_timezone(&o).naive_local(), offset: Some(o) },
        None => HisTime { local: at.naive_utc(), offset: Some(FixedOffset::east_opt(0)?) },
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]` then nothing, `Z` or `±HH:MM`; or the
/// same with a space for the `T` and no offset. Returns what
/// [`parse_general`] returns for such input, and `None` (so that it runs)
/// for anything else, including values out of range.
fn parse_common(b: &[u8]) -> Option<HisTime> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let spaced = match b[10] {
        b'T' => false,
        b' ' => true,
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(digits(&b[0..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let (h, m, sec) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&frac[..n])? * 10u32.pow(9 - n as u32);
        rest = &frac[n..];
    }
    let local = date.and_time(NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?);
    let offset = match rest {
        [] => None,
        // RFC 3339 reads a zone as an offset, a space separator too: leave
        // those to it.
        _ if spaced => return None,
        [b'Z'] => Some(FixedOffset::east_opt(0)?),
        [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
            let (oh, om) = (digits(hh)?, digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = (oh * 3600 + om * 60) as i32;
            Some(FixedOffset::east_opt(if *sign == b'-' { -secs } else { secs })?)
        }
        _ => return None,
    };
    Some(HisTime { local, offset })
}

impl PartialOrd for HisTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered by wall-clock time, as the server compares `dateFrom`; times
/// with an offset by their instant (so `10:00+02:00` comes before
/// `09:30+00:00`). The spec's servers write one form throughout.
impl Ord for HisTime {
    fn cmp(&self, other: &Self) -> Ordering {
        let offset = |t: &HisTime| t.offset.map(|o| o.local_minus_utc());
        self.order_key()
            .cmp(&other.order_key())
            .then(self.local.cmp(&other.local))
            .then(offset(self).cmp(&offset(other)))
    }
}

impl fmt::Display for HisTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl Serialize for HisTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for HisTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HisTime::parse(&s)
            .ok_or_else(|| de::Error::custom(format!("{s:?} is not a timestamp like 2019-11-12T11:01:51.2143795")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_forms_exactly() {
        let m = HisTime::parse("2019-11-12T11:01:51.2143795").unwrap();
        assert_eq!(m.offset, None);
        assert_eq!(m.to_wire(), "2019-11-12T11:01:51.2143795");
        assert_eq!(m.local.and_utc().timestamp_subsec_nanos(), 214_379_500);
        let s = HisTime::parse("2019-11-11T08:08:21.8072824+02:00").unwrap();
        assert_eq!(s.offset, Some(FixedOffset::east_opt(7200).unwrap()));
        assert_eq!(s.to_wire(), "2019-11-11T08:08:21.8072824+02:00");
        let q = HisTime::parse("2019-11-12 11:01:26.8912252").unwrap();
        assert_eq!(q.to_query(), "2019-11-12 11:01:26.8912252");
    }

    #[test]
    fn orders_by_local_time_to_the_tick() {
        let a = HisTime::parse("2019-11-12T11:01:51.2143795").unwrap();
        let b = HisTime::parse("2019-11-12T11:01:51.2143907").unwrap();
        assert!(a < b);
        assert_eq!(HisTime::parse("2019-11-12T11:01:51").unwrap().to_query(), "2019-11-12 11:01:51.0000000");
    }

    #[test]
    fn old_aspnet_dates_are_instants() {
        let plain = HisTime::parse("/Date(1573549311214)/").unwrap();
        assert_eq!(plain.to_wire(), "2019-11-12T09:01:51.2140000+00:00");
        let zoned = HisTime::parse("/Date(1573549311214+0200)/").unwrap();
        assert_eq!(zoned.to_wire(), "2019-11-12T11:01:51.2140000+02:00");
        assert_eq!(zoned.instant(), plain.instant());
        assert!(HisTime::parse("/Date(x)/").is_none());
        assert!(HisTime::parse("/Date(1573549311214+99)/").is_none());
    }

    #[test]
    fn times_with_offsets_order_by_instant_and_query_keeps_the_offset() {
        let a = HisTime::parse("2024-03-01T10:00:00+02:00").unwrap();
        let b = HisTime::parse("2024-03-01T09:30:00+00:00").unwrap();
        assert!(a < b, "08:00Z is before 09:30Z");
        assert_eq!(a.to_query(), "2024-03-01 10:00:00.0000000+02:00");
        assert_eq!(HisTime::parse("2024-03-01T10:00:00").unwrap().to_query(), "2024-03-01 10:00:00.0000000");
        let back = HisTime::parse(&a.to_query()).unwrap();
        assert_eq!(back, a);
        let utc = a.instant().unwrap();
        assert_eq!(HisTime::from_utc(utc, a.offset), a);
        assert_eq!(a.shifted(chrono::TimeDelta::minutes(5)).to_wire(), "2024-03-01T10:05:00.0000000+02:00");
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "yesterday", "2019-13-01T00:00:00", "12/11/2019 11:01"] {
            assert!(HisTime::parse(s).is_none(), "{s}");
        }
    }
    /// The old writer: chrono's formatting throughout.
    fn wire_by_chrono(t: &HisTime, sep: char, with_offset: bool) -> String {
        let ticks = t.local.nanosecond() % 1_000_000_000 / 100;
        let base = format!("{}{sep}{}.{ticks:07}", t.local.format("%Y-%m-%d"), t.local.format("%H:%M:%S"));
        match t.offset.filter(|_| with_offset) {
            Some(o) => format!("{base}{o}"),
            None => base,
        }
    }

    #[test]
    fn the_direct_reading_agrees_with_the_general_one() {
        let cases = [
            "2019-11-12T11:01:51.2143795",
            "2019-11-12T11:01:51",
            "2019-11-12T11:01:51.1",
            "2019-11-12T11:01:51.123456789",
            "2019-11-12 11:01:26.8912252",
            "2019-11-11T08:08:21.8072824+02:00",
            "2019-11-11T08:08:21.8072824-05:30",
            "2019-11-11T08:08:21-00:00",
            "2026-11-21T10:00:00.123456Z",
            "2026-11-21T10:00:00Z",
            "0000-01-01T00:00:00",
            "2024-02-29T23:59:59.999999999",
            // Left to the general reading:
            "2024-02-30T10:00:00",
            "2019-11-12T24:00:00",
            "2016-12-31T23:59:60Z",
            "2019-11-12T11:01:51.",
            "2019-11-12T11:01:51.1234567890",
            "2019-11-12 11:01:26+02:00",
            "2019-11-12T11:01:26+0200",
            "2019-11-12T11:01:26z",
            "2019-11-12T11:01",
            "2019-11-12t11:01:26",
            "2019-11-12T11:01:26+24:00",
        ];
        for c in cases {
            if let Some(direct) = parse_common(c.as_bytes()) {
                assert_eq!(Some(direct), parse_general(c), "{c}");
            }
            assert_eq!(HisTime::parse(c), parse_general(c), "{c}");
        }
        assert!(parse_common(b"2024-02-30T10:00:00").is_none());
        assert!(parse_common(b"2019-11-12T11:01:51.2143795").is_some());
    }

    #[test]
    fn the_writer_agrees_with_chrono() {
        for s in ["2019-11-12T11:01:51.2143795", "2019-11-11T08:08:21.8072824+02:00", "0001-01-01T00:00:00Z"] {
            let t = HisTime::parse(s).unwrap();
            assert_eq!(t.to_wire(), wire_by_chrono(&t, 'T', true), "{s}");
            assert_eq!(t.to_query(), wire_by_chrono(&t, ' ', true), "{s}");
        }
        let leap = HisTime::parse("2016-12-31T23:59:60.5Z").unwrap();
        assert_eq!(leap.to_wire(), wire_by_chrono(&leap, 'T', true));
        let far = HisTime::from_local(NaiveDate::from_ymd_opt(12_345, 1, 1).unwrap().and_hms_opt(1, 2, 3).unwrap());
        assert_eq!(far.to_wire(), wire_by_chrono(&far, 'T', true));
    }

    proptest::proptest! {
        #[test]
        fn direct_and_general_readings_agree(
            s in "[0-9]{4}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,10})?(Z|[+-][0-2][0-9]:[0-6][0-9])?"
        ) {
            if let Some(direct) = parse_common(s.as_bytes()) {
                proptest::prop_assert_eq!(Some(direct), parse_general(&s));
            }
            proptest::prop_assert_eq!(HisTime::parse(&s), parse_general(&s));
        }

        #[test]
        fn written_times_agree_with_chrono(secs in -62_000_000_000i64..253_000_000_000i64, nanos in 0u32..2_000_000_000,
                                           off in proptest::option::of(-86_399i32..86_400)) {
            if let Some(local) = chrono::DateTime::from_timestamp(secs, nanos).map(|d| d.naive_utc()) {
                let t = HisTime { local, offset: off.and_then(FixedOffset::east_opt) };
                proptest::prop_assert_eq!(t.to_wire(), wire_by_chrono(&t, 'T', true));
                proptest::prop_assert_eq!(t.to_query(), wire_by_chrono(&t, ' ', true));
            }
        }
    }
}
