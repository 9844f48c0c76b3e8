//! When a new text may first go: after the undo delay, at the time the
//! coordinator chose (send later), and never outside the recipient's quiet
//! hours unless an urgent override with a reason lifts them. Pure: the
//! caller passes the time, the window and the zone.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::{
    rules::error::{CoreError, Result},
    rules::quiet_hours::{SendWindow, Verdict},
    store::outbox::{HoldReason, HoldUntil},
};

/// What the coordinator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub undo_delay: TimeDelta,
    /// Send later: not before this instant.
    pub at: Option<DateTime<Utc>>,
    /// An urgent override of quiet hours was given (with a reason, audited).
    pub override_quiet_hours: bool,
}

/// The hold of a text written at `now` for a recipient in `zone`; `None`:
/// it may go at once. `quiet`: the recipient's window and zone, if
/// quiet hours apply. A time to send later that has passed is refused.
pub fn plan(now: DateTime<Utc>, release: Release, quiet: Option<(SendWindow, Tz)>) -> Result<Option<HoldUntil>> {
    let undo_end = now + release.undo_delay;
    let mut hold = (release.undo_delay > TimeDelta::zero()).then(|| HoldUntil::undo(undo_end));
    if let Some(at) = release.at {
        if at <= now {
            return Err(CoreError::InvalidMessage(format!(
                "the time to send it has passed ({}); choose a later one",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        if at > undo_end {
            hold = Some(HoldUntil { until: at, reason: HoldReason::Scheduled });
        }
    }
    let Some((window, zone)) = quiet.filter(|_| !release.override_quiet_hours) else {
        return Ok(hold);
    };
    let goes = hold.map_or(now, |h| h.until);
    Ok(match window.check(goes, zone) {
        Verdict::Open => hold,
        Verdict::ClosedUntil(opens) => Some(HoldUntil { until: opens, reason: HoldReason::QuietHours }),
    })
}

/// The worker's check when it is about to claim a text at `now`: the
/// opening to hold it until when its recipient's window is closed, unless
/// it carries an urgent override. A retry after backoff, an undo hold that
/// ran into the evening or a campaign text never goes at night.
pub fn at_claim(now: DateTime<Utc>, quiet: Option<(SendWindow, Tz)>, urgent: bool) -> Option<DateTime<Utc>> {
    let (window, zone) = quiet.filter(|_| !urgent)?;
    match window.check(now, zone) {
        Verdict::Open => None,
        Verdict::ClosedUntil(opens) => Some(opens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_claimed_outside_its_recipients_window_waits_for_the_opening_unless_urgent() {
        let w = SendWindow::default();
        let (chicago, la): (Tz, Tz) = ("America/Chicago".parse().unwrap(), "America/Los_Angeles".parse().unwrap());
        // 20:30 in Los Angeles is 22:30 in Chicago.
        let now = utc("2026-06-11T03:30:00Z");
        assert_eq!(at_claim(now, Some((w, la)), false), None);
        assert_eq!(at_claim(now, Some((w, chicago)), false), Some(utc("2026-06-11T13:00:00Z")));
        assert_eq!(at_claim(now, Some((w, chicago)), true), None, "an urgent override goes");
        assert_eq!(at_claim(now, None, false), None, "quiet hours off");
        // Both clock changes: the night before each, held until 08:00 local.
        let spring = utc("2026-03-08T07:00:00Z"); // 23:00 PST, Saturday
        assert_eq!(at_claim(spring, Some((w, la)), false), Some(utc("2026-03-08T15:00:00Z")));
        let fall = utc("2026-11-01T08:30:00Z"); // 01:30 PDT, the first one
        assert_eq!(at_claim(fall, Some((w, la)), false), Some(utc("2026-11-01T16:00:00Z")));
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_text_waits_for_its_undo_delay_its_time_and_the_quiet_hours() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let w = SendWindow::default();
        let noon = utc("2026-06-10T19:00:00Z"); // 12:00 PDT
        let late = utc("2026-06-11T05:00:00Z"); // 22:00 PDT
        let r = |undo: i64, at: Option<&str>, over: bool| Release {
            undo_delay: TimeDelta::seconds(undo),
            at: at.map(utc),
            override_quiet_hours: over,
        };
        let held = |until: &str, reason| Some(HoldUntil { until: utc(until), reason });
        assert_eq!(plan(noon, r(0, None, false), Some((w, la))).unwrap(), None);
        assert_eq!(
            plan(noon, r(5, None, false), Some((w, la))).unwrap(),
            held("2026-06-10T19:00:05Z", HoldReason::Undo)
        );
        let at = "2026-06-10T21:00:00Z";
        assert_eq!(plan(noon, r(5, Some(at), false), Some((w, la))).unwrap(), held(at, HoldReason::Scheduled));
        // Written at 22:00: held until 08:00, unless overridden.
        assert_eq!(
            plan(late, r(0, None, false), Some((w, la))).unwrap(),
            held("2026-06-11T15:00:00Z", HoldReason::QuietHours)
        );
        assert_eq!(plan(late, r(0, None, true), Some((w, la))).unwrap(), None);
        assert_eq!(plan(late, r(0, None, false), None).unwrap(), None);
        // Scheduled for 23:00 local: moved to the window's opening.
        let night = "2026-06-11T06:00:00Z";
        assert_eq!(
            plan(noon, r(0, Some(night), false), Some((w, la))).unwrap(),
            held("2026-06-11T15:00:00Z", HoldReason::QuietHours)
        );
        let e = plan(noon, r(0, Some("2026-06-10T18:00:00Z"), false), Some((w, la))).unwrap_err();
        assert!(e.to_string().contains("has passed"), "{e}");
    }
}
