//! The clinic's time zone (`clinic.time_zone`, default: this computer's
//! zone): the activity log's days, its day filter and the export's local
//! times follow it, whatever zone the servers or UTC put a day boundary at.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const SETTING: &str = "clinic.time_zone";

/// The zone `clinic.time_zone` names, else this computer's (the OS zone,
/// as `iana-time-zone` reads it), else UTC.
pub fn zone(setting: Option<&str>) -> Tz {
    setting.and_then(|v| v.parse::<Tz>().ok()).or_else(os_zone).unwrap_or(Tz::UTC)
}

/// This computer's IANA zone, when the OS says.
pub fn os_zone() -> Option<Tz> {
    iana_time_zone::get_timezone().ok().and_then(|name| name.parse::<Tz>().ok())
}

/// A stored time as an instant: RFC 3339 (any offset), or a time without
/// an offset, which CareDesk stores only in UTC.
pub fn instant(at: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(at) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(at, f).ok())
        .map(|naive| naive.and_utc())
}

/// The clinic day (YYYY-MM-DD) of an instant.
pub fn day_of(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The instant a clinic day begins: its local midnight, or the first moment
/// after it on a day whose midnight a clock change skips.
pub fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += chrono::TimeDelta::minutes(30);
    }
    local.and_utc()
}

/// A local time written `YYYY-MM-DD HH:MM` (a `T` may stand for the
/// space) in `tz`, as an instant: in a repeated hour its first occurrence;
/// a time a clock change skips is refused, naming the gap.
pub fn local_instant(value: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let naive = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value.trim(), f).ok())
        .ok_or_else(|| format!("{value:?} is not a local time written YYYY-MM-DD HH:MM"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{value} does not exist in {}: the clocks skip it; choose another time", tz.name()))
}

/// An instant in the clinic zone with its offset: `2026-11-20T23:30:00-08:00`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        instant(s).unwrap()
    }

    #[test]
    fn evening_work_stays_on_its_clinic_day() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let day = |s: &str| day_of(utc(s), la).to_string();
        // 23:30 and 00:30 Pacific (PST, UTC-8) in November.
        assert_eq!(day("2026-11-21T07:30:00Z"), "2026-11-20");
        assert_eq!(day("2026-11-21T08:30:00Z"), "2026-11-21");
        // Either side of UTC midnight: the same Pacific afternoon.
        assert_eq!(day("2026-11-20T23:30:00Z"), "2026-11-20");
        assert_eq!(day("2026-11-21T00:30:00Z"), "2026-11-20");
        assert_eq!(day("2026-11-20T16:30:00-08:00"), "2026-11-20");
    }

    #[test]
    fn days_start_at_local_midnight_also_across_clock_changes() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(day_start(d("2026-11-21"), la), utc("2026-11-21T08:00:00Z"));
        assert_eq!(day_start(d("2026-07-01"), la), utc("2026-07-01T07:00:00Z"));
        // Santiago skips midnight when summer time starts (2026-09-06).
        let scl: Tz = "America/Santiago".parse().unwrap();
        assert_eq!(day_start(d("2026-09-06"), scl), utc("2026-09-06T04:00:00Z"));
        assert_eq!(local_time(utc("2026-11-21T07:30:00Z"), la), "2026-11-20T23:30:00-08:00");
    }

    #[test]
    fn local_times_to_send_at_are_read_in_the_clinic_zone() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        assert_eq!(local_instant("2026-12-03 09:00", la), Ok(utc("2026-12-03T17:00:00Z")));
        assert_eq!(local_instant("2026-07-03T09:00", la), Ok(utc("2026-07-03T16:00:00Z")));
        // Fall back: 01:30 happens twice; the first (PDT) is taken.
        assert_eq!(local_instant("2026-11-01 01:30", la), Ok(utc("2026-11-01T08:30:00Z")));
        assert!(local_instant("2026-03-08 02:30", la).unwrap_err().contains("skip"));
        assert!(local_instant("tomorrow 9", la).unwrap_err().contains("YYYY-MM-DD HH:MM"));
    }

    #[test]
    fn the_setting_wins_and_bad_or_missing_values_fall_back() {
        assert_eq!(zone(Some("Europe/Vilnius")).name(), "Europe/Vilnius");
        let fallback = os_zone().unwrap_or(Tz::UTC);
        assert_eq!(zone(None), fallback);
        assert_eq!(zone(Some("Mars/Olympus")), fallback);
        assert_eq!(instant("2026-11-20 10:00:00"), Some(utc("2026-11-20T10:00:00Z")));
        assert_eq!(instant("2026-11-20T10:00:00.123456"), instant("2026-11-20T10:00:00.123456Z"));
        assert_eq!(instant("yesterday"), None);
    }
}
