use chrono::Timelike;
use proptest::prelude::*;

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

#[test]
fn the_window_opens_at_local_eight_across_both_clock_changes() {
    let w = SendWindow::default();
    let closed = |at: &str| Verdict::ClosedUntil(utc(at));
    let cases: &[(&str, &str, Verdict)] = &[
        // Los Angeles, spring forward 2026-03-08 02:00 PST -> 03:00 PDT.
        ("America/Los_Angeles", "2026-03-08T05:00:00Z", closed("2026-03-08T15:00:00Z")), // Sat 21:00 PST
        ("America/Los_Angeles", "2026-03-08T10:30:00Z", closed("2026-03-08T15:00:00Z")), // 03:30 PDT
        ("America/Los_Angeles", "2026-03-08T14:59:59Z", closed("2026-03-08T15:00:00Z")),
        ("America/Los_Angeles", "2026-03-08T15:00:00Z", Verdict::Open), // 08:00 PDT
        ("America/Los_Angeles", "2026-03-09T03:59:00Z", Verdict::Open), // 20:59 PDT
        ("America/Los_Angeles", "2026-03-09T04:00:00Z", closed("2026-03-09T15:00:00Z")), // 21:00 PDT
        // Los Angeles, fall back 2026-11-01 02:00 PDT -> 01:00 PST.
        ("America/Los_Angeles", "2026-11-01T04:00:00Z", closed("2026-11-01T16:00:00Z")), // Sat 21:00 PDT
        ("America/Los_Angeles", "2026-11-01T09:30:00Z", closed("2026-11-01T16:00:00Z")), // 01:30 PST (2nd)
        ("America/Los_Angeles", "2026-11-01T15:30:00Z", closed("2026-11-01T16:00:00Z")), // 07:30 PST
        ("America/Los_Angeles", "2026-11-01T16:00:00Z", Verdict::Open),
        ("America/Los_Angeles", "2026-11-02T05:00:00Z", closed("2026-11-02T16:00:00Z")), // 21:00 PST
        // Berlin, spring forward 2026-03-29 02:00 CET -> 03:00 CEST.
        ("Europe/Berlin", "2026-03-28T20:00:00Z", closed("2026-03-29T06:00:00Z")), // Sat 21:00 CET
        ("Europe/Berlin", "2026-03-29T01:30:00Z", closed("2026-03-29T06:00:00Z")), // 03:30 CEST
        ("Europe/Berlin", "2026-03-29T06:00:00Z", Verdict::Open),
        ("Europe/Berlin", "2026-03-29T18:59:00Z", Verdict::Open), // 20:59 CEST
        ("Europe/Berlin", "2026-03-29T19:00:00Z", closed("2026-03-30T06:00:00Z")),
        // Berlin, fall back 2026-10-25 03:00 CEST -> 02:00 CET.
        ("Europe/Berlin", "2026-10-25T00:30:00Z", closed("2026-10-25T07:00:00Z")), // 02:30 CEST (1st)
        ("Europe/Berlin", "2026-10-25T01:30:00Z", closed("2026-10-25T07:00:00Z")), // 02:30 CET (2nd)
        ("Europe/Berlin", "2026-10-25T06:59:00Z", closed("2026-10-25T07:00:00Z")),
        ("Europe/Berlin", "2026-10-25T07:00:00Z", Verdict::Open), // 08:00 CET
        ("Europe/Berlin", "2026-10-25T20:00:00Z", closed("2026-10-26T07:00:00Z")), // 21:00 CET
    ];
    for (zone, at, want) in cases {
        assert_eq!(w.check(utc(at), tz(zone)), *want, "{zone} {at}");
    }
}

#[test]
fn a_window_starting_in_a_skipped_hour_opens_after_the_gap() {
    let w = SendWindow::parse("02:30-21:00").unwrap();
    let la = tz("America/Los_Angeles");
    // 01:30 PST on the spring-forward day: 02:30 does not exist, 03:00 PDT does.
    assert_eq!(w.check(utc("2026-03-08T09:30:00Z"), la), Verdict::ClosedUntil(utc("2026-03-08T10:00:00Z")));
    assert_eq!(w.check(utc("2026-03-08T10:00:00Z"), la), Verdict::Open);
}

#[test]
fn settings_parse_or_say_how_to_write_them() {
    let w = SendWindow::parse(" 09:15-17:45 ").unwrap();
    assert_eq!((w.start.hour(), w.start.minute(), w.end.hour(), w.end.minute()), (9, 15, 17, 45));
    for bad in ["", "9-17", "21:00-08:00", "08:00-08:00", "08:00 to 21:00", "25:00-26:00"] {
        let e = SendWindow::parse(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Config);
        assert!(e.to_string().contains("HH:MM-HH:MM"), "{bad}: {e}");
    }
}

const ZONES: &[&str] = &[
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Berlin",
    "Europe/Vilnius",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
];

fn window() -> impl Strategy<Value = SendWindow> {
    // Starts and ends away from the hours clocks change at (00:00-03:00).
    (5u32 * 60..14 * 60, 60u32..9 * 60).prop_map(|(start, len)| {
        let t = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap();
        SendWindow { start: t(start), end: t(start + len) }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Over 2024-2030 (every clock change in between) and zones with
    /// 1-hour, 30-minute and 45-minute offsets and changes.
    #[test]
    fn sends_only_inside_the_local_window_and_waits_for_its_next_opening(
        secs in 1_704_067_200i64..1_893_456_000,
        zone in prop::sample::select(ZONES),
        w in window(),
    ) {
        let at = DateTime::from_timestamp(secs, 0).unwrap();
        let zone = tz(zone);
        let local = at.with_timezone(&zone).time();
        match w.check(at, zone) {
            Verdict::Open => prop_assert!(local >= w.start && local < w.end, "open at {local}"),
            Verdict::ClosedUntil(opens) => {
                prop_assert!(local < w.start || local >= w.end, "closed at {local}");
                prop_assert!(opens > at);
                prop_assert!(opens - at <= TimeDelta::hours(25), "waits {}", opens - at);
                prop_assert_eq!(w.check(opens, zone), Verdict::Open);
                prop_assert_eq!(opens.with_timezone(&zone).time(), w.start);
                // Nothing in between is open: the minute before is still closed.
                let before = opens - TimeDelta::minutes(1);
                if before >= at {
                    prop_assert_eq!(w.check(before, zone), Verdict::ClosedUntil(opens));
                }
            }
        }
    }
}
