//! Quiet hours (`sms.quiet_hours`, default 08:00-21:00, the TCPA's window):
//! a text reaches a recipient only between those local times in the
//! recipient's zone. Pure: given an instant and a zone, whether sending is
//! allowed and, if not, the instant the window next opens. Local times a
//! clock change skips open at the first instant after the gap; a repeated
//! hour counts from its first occurrence.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::rules::error::{CodedError, ErrorCode};

pub const SETTING: &str = "sms.quiet_hours";
pub const DEFAULT: &str = "08:00-21:00";
/// The value that turns quiet hours off (the clinic takes responsibility).
pub const OFF: &str = "off";

/// The window `sms.quiet_hours` sets: `None` when it is `off`. A value
/// that does not read (an older build's) enforces the default window:
/// a wrong setting never lets a text through at night.
pub fn from_setting(value: Option<&str>) -> Option<SendWindow> {
    match value.map(str::trim) {
        Some(v) if v.eq_ignore_ascii_case(OFF) => None,
        Some(v) => Some(SendWindow::parse(v).unwrap_or_default()),
        None => Some(SendWindow::default()),
    }
}

/// The zone a recipient's quiet hours follow: the patient's own zone when
/// the roster names a valid one, else the clinic's. (A number's area code
/// is not used: no Rust library maps numbers to zones, and a mobile number
/// moves with its owner.)
pub fn recipient_zone(patient_zone: Option<&str>, clinic: Tz) -> Tz {
    patient_zone.and_then(|z| z.trim().parse::<Tz>().ok()).unwrap_or(clinic)
}

/// The local window texts may go in: from `start` (inclusive) to `end`
/// (exclusive), on one day (`start` < `end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quiet hours must be written HH:MM-HH:MM with the start before the end, like 08:00-21:00 (got {0:?})")]
pub struct QuietHoursError(pub String);

impl CodedError for QuietHoursError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Config
    }
}

/// Whether a text may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Open,
    /// Outside the window: it opens at this instant.
    ClosedUntil(DateTime<Utc>),
}

impl Default for SendWindow {
    fn default() -> Self {
        SendWindow::parse(DEFAULT).unwrap_or(SendWindow { start: NaiveTime::MIN, end: NaiveTime::MIN })
    }
}

impl SendWindow {
    /// `HH:MM-HH:MM`.
    pub fn parse(value: &str) -> Result<SendWindow, QuietHoursError> {
        let bad = || QuietHoursError(value.to_string());
        let (a, b) = value.trim().split_once('-').ok_or_else(bad)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(a)?, time(b)?);
        if start >= end {
            return Err(bad());
        }
        Ok(SendWindow { start, end })
    }

    /// Whether a text may reach a recipient in `zone` at `at`, else when it
    /// may. A day's window runs from the first instant of its local `start`
    /// to the first instant of its local `end`.
    pub fn check(&self, at: DateTime<Utc>, zone: Tz) -> Verdict {
        let day = at.with_timezone(&zone).date_naive();
        let opens = opening(day, self.start, zone);
        if at < opens {
            return Verdict::ClosedUntil(opens);
        }
        if at < opening(day, self.end, zone) {
            return Verdict::Open;
        }
        Verdict::ClosedUntil(opening(day.succ_opt().unwrap_or(day), self.start, zone))
    }
}

/// The first instant of `day` at or after local `start`.
fn opening(day: NaiveDate, start: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let mut local = day.and_time(start);
    // A clock change skips at most a few hours; step through the gap.
    for _ in 0..(4 * 60) {
        if let Some(t) = zone.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += TimeDelta::minutes(1);
    }
    local.and_utc()
}

#[cfg(test)]
mod tests;
