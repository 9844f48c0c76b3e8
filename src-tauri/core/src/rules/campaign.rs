//! Campaign rules, pure: a campaign's states and what may change them, why
//! a recipient is skipped, the frequency cap per number, the answers a
//! template declares ("1=confirm, 2=cancel") and how a reply is read as
//! one, and the send's ETA at the configured rate.

use chrono::{DateTime, TimeDelta, Utc};

use crate::rules::error::{CodedError, ErrorCode};

/// The FCC's healthcare exemption: at most one text a day and three a week
/// to a number (the caps a campaign gets unless it says otherwise).
pub const DEFAULT_CAP_DAY: u32 = 1;
pub const DEFAULT_CAP_WEEK: u32 = 3;
/// How long after its text a reply counts as an answer, by default.
pub const DEFAULT_ANSWER_HOURS: u32 = 72;

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Created, previewed, not started.
    Draft,
    /// Started with a start time still to come.
    Scheduled,
    Running,
    Paused,
    /// Every recipient queued or skipped, and every text out of the outbox.
    Done,
    Cancelled,
}

impl CampaignState {
    pub const ALL: [CampaignState; 6] = [
        CampaignState::Draft,
        CampaignState::Scheduled,
        CampaignState::Running,
        CampaignState::Paused,
        CampaignState::Done,
        CampaignState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Scheduled => "scheduled",
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Done => "done",
            CampaignState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignState> {
        CampaignState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the runner feeds its recipients to the outbox.
    pub fn feeds(self) -> bool {
        matches!(self, CampaignState::Running | CampaignState::Scheduled)
    }
}

/// What a coordinator asks of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Cancel,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
        }
    }
}

/// The state an action leads to from `from` (`starts_later`: the start time
/// is still to come), or `None` when it does not apply. Starting a running
/// campaign again, or pausing a paused one, changes nothing.
pub fn next_state(from: CampaignState, action: Action, starts_later: bool) -> Option<CampaignState> {
    use CampaignState::*;
    let go = if starts_later { Scheduled } else { Running };
    match (action, from) {
        (Action::Start, Draft | Scheduled | Running) => Some(if from == Running { Running } else { go }),
        (Action::Resume, Paused | Running | Scheduled) => Some(if from == Running { Running } else { go }),
        (Action::Pause, Running | Scheduled | Paused) => Some(Paused),
        (Action::Cancel, Draft | Scheduled | Running | Paused) => Some(Cancelled),
        _ => None,
    }
}

/// Why a recipient gets no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No patient has that ECM id.
    UnknownPatient,
    /// Listed twice: texted once.
    Duplicate,
    /// No current number.
    NoNumber,
    /// The number does not read as a phone number.
    InvalidNumber,
    /// The FHIR server says inactive, deceased or deleted.
    PatientInactive,
    /// A merge field has no value (the detail names it).
    MissingField,
    /// The merged text cannot be sent (too long, empty).
    InvalidText,
    /// The number opted out (STOP, staff, the carrier).
    OptedOut,
    /// A reply from the number reads like a revocation of consent and no
    /// one has decided on it yet (no consent change since).
    RevocationPendingReview,
    /// The number had its cap of campaign texts in the last day or week.
    OverCap,
    /// The campaign was cancelled before its turn.
    Cancelled,
}

impl SkipReason {
    pub const ALL: [SkipReason; 11] = [
        SkipReason::UnknownPatient,
        SkipReason::Duplicate,
        SkipReason::NoNumber,
        SkipReason::InvalidNumber,
        SkipReason::PatientInactive,
        SkipReason::MissingField,
        SkipReason::InvalidText,
        SkipReason::OptedOut,
        SkipReason::RevocationPendingReview,
        SkipReason::OverCap,
        SkipReason::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::UnknownPatient => "unknown_patient",
            SkipReason::Duplicate => "duplicate",
            SkipReason::NoNumber => "no_number",
            SkipReason::InvalidNumber => "invalid_number",
            SkipReason::PatientInactive => "patient_inactive",
            SkipReason::MissingField => "missing_field",
            SkipReason::InvalidText => "invalid_text",
            SkipReason::OptedOut => "opted_out",
            SkipReason::RevocationPendingReview => "revocation_pending_review",
            SkipReason::OverCap => "over_cap",
            SkipReason::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The frequency cap per number: campaign texts (of any campaign) in the
/// last 24 hours and the last 7 days. 0: no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Caps {
    pub per_day: u32,
    pub per_week: u32,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { per_day: DEFAULT_CAP_DAY, per_week: DEFAULT_CAP_WEEK }
    }
}

impl Caps {
    /// The caps asked for, each left out falling back to its default.
    pub fn or_default(per_day: Option<u32>, per_week: Option<u32>) -> Caps {
        let d = Caps::default();
        Caps { per_day: per_day.unwrap_or(d.per_day), per_week: per_week.unwrap_or(d.per_week) }
    }

    pub const DAY: TimeDelta = TimeDelta::hours(24);
    pub const WEEK: TimeDelta = TimeDelta::days(7);

    /// Whether one more text may go to a number that had `last_day` and
    /// `last_week` campaign texts in those windows.
    pub fn allows(&self, last_day: u32, last_week: u32) -> bool {
        (self.per_day == 0 || last_day < self.per_day) && (self.per_week == 0 || last_week < self.per_week)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("answers must be written KEY=ANSWER, separated by commas, like 1=confirm,2=cancel (got {0:?}): each key once, a key of up to 10 letters or digits")]
pub struct AnswersError(pub String);

impl CodedError for AnswersError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidMessage
    }
}

/// The answers a campaign reads in replies: key (what the patient texts,
/// compared without case or surrounding spaces or punctuation) and answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Answers(pub Vec<(String, String)>);

impl Answers {
    /// `1=confirm,2=cancel`; empty: no answers.
    pub fn parse(spec: &str) -> Result<Answers, AnswersError> {
        let bad = || AnswersError(spec.to_string());
        let mut out: Vec<(String, String)> = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(bad)?;
            let (k, v) = (normalize(k), v.trim().to_string());
            let key_ok = !k.is_empty() && k.chars().count() <= 10 && k.chars().all(char::is_alphanumeric);
            if !key_ok || v.is_empty() || out.iter().any(|(x, _)| *x == k) {
                return Err(bad());
            }
            out.push((k, v));
        }
        Ok(Answers(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As stored and shown: `1=confirm,2=cancel`.
    pub fn spec(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }

    /// The answer a reply gives: its whole text (trimmed, any case, a
    /// trailing period or exclamation mark aside) is one of the keys.
    pub fn answer(&self, reply: &str) -> Option<&str> {
        let said = normalize(reply);
        self.0.iter().find(|(k, _)| *k == said).map(|(_, v)| v.as_str())
    }
}

fn normalize(s: &str) -> String {
    s.trim().trim_end_matches(['.', '!']).trim().to_lowercase()
}

/// Whether a reply at `at` to a text sent at `sent` falls in the answer window.
pub fn in_answer_window(sent: DateTime<Utc>, at: DateTime<Utc>, hours: u32) -> bool {
    at >= sent && at <= sent + TimeDelta::hours(i64::from(hours))
}

/// Seconds until `left` texts have gone at `rate_per_sec` (none when the
/// rate is unlimited: as fast as the servers answer).
pub fn eta_secs(left: u64, rate_per_sec: f64) -> Option<u64> {
    (rate_per_sec > 0.0 && rate_per_sec.is_finite()).then(|| (left as f64 / rate_per_sec).ceil() as u64)
}

/// How many recipients the runner keeps queued ahead of the sender: about
/// two seconds' worth at the rate (at least 2, at most `max`), so a pause or
/// a cancel takes effect within seconds and the outbox is never flooded.
pub fn ahead(rate_per_sec: f64, max: usize) -> usize {
    if !(rate_per_sec > 0.0 && rate_per_sec.is_finite()) {
        return max;
    }
    ((rate_per_sec * 2.0).ceil() as usize + 1).clamp(2, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_change_only_as_the_actions_allow() {
        use CampaignState::*;
        let cases = [
            (Draft, Action::Start, false, Some(Running)),
            (Draft, Action::Start, true, Some(Scheduled)),
            (Running, Action::Start, true, Some(Running)),
            (Running, Action::Pause, false, Some(Paused)),
            (Paused, Action::Start, false, None),
            (Paused, Action::Resume, false, Some(Running)),
            (Paused, Action::Resume, true, Some(Scheduled)),
            (Scheduled, Action::Cancel, false, Some(Cancelled)),
            (Done, Action::Cancel, false, None),
            (Cancelled, Action::Resume, false, None),
            (Done, Action::Start, false, None),
        ];
        for (from, action, later, to) in cases {
            assert_eq!(next_state(from, action, later), to, "{from:?} {action:?} {later}");
        }
        for s in CampaignState::ALL {
            assert_eq!(CampaignState::parse(s.as_str()), Some(s));
        }
        for r in SkipReason::ALL {
            assert_eq!(SkipReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn caps_count_the_day_and_the_week() {
        let c = Caps::default();
        assert!(c.allows(0, 0));
        assert!(c.allows(0, 2));
        assert!(!c.allows(1, 1), "one a day");
        assert!(!c.allows(0, 3), "three a week");
        let none = Caps { per_day: 0, per_week: 0 };
        assert!(none.allows(50, 500));
        assert!(Caps { per_day: 2, per_week: 0 }.allows(1, 40));
    }

    #[test]
    fn answers_are_read_from_whole_replies_only() {
        let a = Answers::parse(" 1 = confirm , 2=cancel,Y=yes ").unwrap();
        assert_eq!(a.spec(), "1=confirm,2=cancel,y=yes");
        assert_eq!(a.answer("1"), Some("confirm"));
        assert_eq!(a.answer(" 2. "), Some("cancel"));
        assert_eq!(a.answer("y!"), Some("yes"));
        assert_eq!(a.answer("1 but later"), None, "other replies stay ordinary replies");
        assert_eq!(a.answer("12"), None);
        assert!(Answers::parse("").unwrap().is_empty());
        for bad in ["1", "=x", "1=", "1=a,1=b", "one two=x", "abcdefghijk=x"] {
            assert!(Answers::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answer_window_eta_and_lookahead() {
        let sent = DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z").unwrap().with_timezone(&Utc);
        assert!(in_answer_window(sent, sent + TimeDelta::hours(72), 72));
        assert!(!in_answer_window(sent, sent + TimeDelta::hours(73), 72));
        assert!(!in_answer_window(sent, sent - TimeDelta::seconds(1), 72));
        assert_eq!(eta_secs(10, 3.0), Some(4));
        assert_eq!(eta_secs(10, 0.0), None);
        assert_eq!(ahead(1.0, 200), 3);
        assert_eq!(ahead(0.5, 200), 2);
        assert_eq!(ahead(500.0, 200), 200);
        assert_eq!(ahead(0.0, 200), 200);
    }
}
