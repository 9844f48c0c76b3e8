//! Campaigns: one template to many recipients (a CSV of ECM ids with extra
//! merge columns, a roster search, or the whole roster), previewed merged
//! with its segment count, then started. The runner ([`runner::feed`],
//! called by every engine cycle, `caredesk sync` and `caredesk campaign
//! start`) queues a few recipients ahead of the sender at a time, each in
//! one transaction with its message and outbox row, so every recipient is
//! texted exactly once across crashes and restarts; the outbox sends them
//! at `sms.rate_per_sec`, inside each recipient's quiet hours. Opted-out,
//! unreachable and over-cap recipients are skipped with the reason.
//!
//! - [`create`] → a draft; [`preview`]; [`act`] start, pause, resume,
//!   cancel; [`status`]; the report: `records::campaign_report`.
//! - Progress: [`runner::feed`] returns a [`CampaignProgress`] per campaign
//!   it worked on (the engine reports it as `EngineEvent::CampaignProgress`).

pub mod create;
pub mod runner;
pub mod team;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use create::{create, preview, CampaignPreview, CampaignRequest, PreviewMessage, Recipients};
pub use runner::{feed, CampaignProgress, FeedReport};
pub use team::{statuses, team_reports};

use crate::{
    desk::Desk,
    rules::campaign::{next_state, Action, CampaignState},
    rules::error::{CodedError, ErrorCode, Result},
    store::campaigns::{Campaign, CampaignCounts},
};

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("no campaign {0} (`caredesk campaign list` shows them)")]
    NotFound(i64),
    #[error("campaign {id} is {}: it cannot {}", .state.as_str(), .action.as_str())]
    WrongState { id: i64, state: CampaignState, action: Action },
    #[error("the recipients file: {0}")]
    RecipientsFile(String),
    #[error("a campaign needs recipients: none were listed")]
    NoRecipients,
    #[error("a campaign needs a name")]
    NoName,
    #[error(
        "campaign {name:?} runs on {runs_on}'s desk: only that desk can start, pause, resume or cancel it, or show its recipients"
    )]
    RunsElsewhere { name: String, runs_on: String },
}

impl CodedError for CampaignError {
    fn code(&self) -> ErrorCode {
        match self {
            CampaignError::NotFound(_) => ErrorCode::NotFound,
            CampaignError::WrongState { .. } => ErrorCode::CampaignState,
            CampaignError::RecipientsFile(_) => ErrorCode::Import,
            CampaignError::NoRecipients | CampaignError::NoName => ErrorCode::InvalidMessage,
            CampaignError::RunsElsewhere { .. } => ErrorCode::CampaignElsewhere,
        }
    }
}

/// What `campaign status` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct CampaignStatus {
    pub id: i64,
    pub name: String,
    pub state: CampaignState,
    #[serde(flatten)]
    #[ts(flatten)]
    pub counts: CampaignCounts,
    /// Seconds until the pending texts have gone at the rate (none when
    /// the rate is unlimited or nothing is pending).
    pub eta_secs: Option<u64>,
    /// Team mode: a colleague's campaign, shown read-only: the member whose
    /// desk runs it. `None`: this desk's own.
    pub runs_on: Option<String>,
}

/// This desk's campaign `id`. A colleague's (a negative id, see
/// [`team`]) is refused: only the desk that runs it acts on it.
pub fn get(desk: &Desk, id: i64) -> Result<Campaign> {
    if id < 0 {
        return Err(match desk.db().colleague_campaign(-id)? {
            Some(c) => CampaignError::RunsElsewhere { name: c.progress.name, runs_on: c.runs_on },
            None => CampaignError::NotFound(id),
        }
        .into());
    }
    Ok(desk.db().campaign(id)?.ok_or(CampaignError::NotFound(id))?)
}

pub fn list(desk: &Desk) -> Result<Vec<Campaign>> {
    Ok(desk.db().campaigns()?)
}

/// Start, pause, resume or cancel a campaign (audited). Starting one whose
/// start time is to come schedules it; cancelling skips every recipient
/// not queued yet (the few already handed to the outbox still go).
pub fn act(desk: &Desk, id: i64, action: Action, now: DateTime<Utc>) -> Result<Campaign> {
    let c = get(desk, id)?;
    let later = c.start_at.as_deref().and_then(crate::store::outbox::parse_ts).is_some_and(|t| t > now);
    let to = next_state(c.state, action, later).ok_or(CampaignError::WrongState { id, state: c.state, action })?;
    if to != c.state && !desk.db().set_campaign_state(id, c.state, to, action.as_str(), &desk.actor(), now)? {
        // Another process changed it meanwhile: judge again from its state now.
        return act(desk, id, action, now);
    }
    get(desk, id)
}

/// A campaign's state and counts (a colleague's as their desk last
/// reported them).
pub fn status(desk: &Desk, id: i64) -> Result<CampaignStatus> {
    if id < 0 {
        return team::colleague_status(desk, -id);
    }
    let c = get(desk, id)?;
    let counts = desk.db().campaign_counts(id)?;
    let rate = desk.setting("sms.rate_per_sec")?.and_then(|v| v.parse::<f64>().ok()).unwrap_or(1.0);
    let eta_secs = (counts.pending > 0 && c.state.feeds())
        .then(|| crate::rules::campaign::eta_secs(counts.pending, rate))
        .flatten();
    Ok(CampaignStatus { id, name: c.name, state: c.state, counts, eta_secs, runs_on: None })
}
