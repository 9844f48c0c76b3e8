//! The hospital SMS server's timestamps (spec 003).
//!
//! Messages carry local server time without a zone and with seven fractional
//! digits (`2019-11-12T11:01:51.2143795`); the send response carries an
//! offset (`2019-11-11T08:08:21.8072824+02:00`). The `dateFrom` query
//! parameter is written `2019-11-12 11:01:26.8912252`.

use std::{cmp::Ordering, fmt};

use chrono::{DateTime, FixedOffset, NaiveDateTime};
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

    pub fn from_local(local: NaiveDateTime) -> HisTime {
        HisTime { local, offset: None }
    }

    /// The `dateFrom` form: `2019-11-12 11:01:26.8912252` (local time).
    pub fn to_query(&self) -> String {
        format!("{} {}", self.local.format("%Y-%m-%d"), self.time_of_day())
    }

    /// `11:01:26.8912252`: seven fractional digits (100 ns ticks, as .NET writes them).
    fn time_of_day(&self) -> String {
        use chrono::Timelike;
        let ticks = self.local.nanosecond() % 1_000_000_000 / 100;
        format!("{}.{ticks:07}", self.local.format("%H:%M:%S"))
    }

    /// The message form: `2019-11-12T11:01:51.2143795`, with the offset if any.
    pub fn to_wire(&self) -> String {
        let base = format!("{}T{}", self.local.format("%Y-%m-%d"), self.time_of_day());
        match self.offset {
            Some(o) => format!("{base}{o}"),
            None => base,
        }
    }
}

impl PartialOrd for HisTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered by local wall-clock time, as the server compares `dateFrom`.
impl Ord for HisTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.local.cmp(&other.local)
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
    fn rejects_garbage() {
        for s in ["", "yesterday", "2019-13-01T00:00:00", "12/11/2019 11:01"] {
            assert!(HisTime::parse(s).is_none(), "{s}");
        }
    }
}
