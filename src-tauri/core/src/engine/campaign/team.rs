//! Campaigns in team mode. A campaign runs on the desk that created it (its
//! recipients are there), one desk at a time (`engine::team::campaign_runs`
//! holds its lock); that desk reports each of its campaigns to the team
//! ([`team_reports`], `campaign.progress`), and every other desk lists it
//! read-only beside its own ([`statuses`]), numbered with a negative id so
//! an action on it is refused ([`super::get`]) and never reaches a campaign
//! of this desk's.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::{CampaignError, CampaignStatus};
use crate::{
    desk::Desk,
    rules::campaign::CampaignState,
    rules::error::Result,
    store::campaigns::{CampaignCounts, SkippedRecipient},
    store::team::{kinds::CampaignProgressBody, ColleagueCampaign},
};

/// How long a finished campaign is still reported to the team.
pub const REPORT_FINISHED_FOR: Duration = Duration::days(7);

/// This desk's campaigns and, in team mode, colleagues' (marked with who
/// runs them), newest first.
pub fn statuses(desk: &Desk) -> Result<Vec<CampaignStatus>> {
    let mut out = Vec::new();
    for c in desk.db().campaigns()? {
        out.push(super::status(desk, c.id)?);
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.id));
    // Reports kept from a team this desk has left are not shown.
    if desk.team_mode()? {
        out.extend(desk.db().colleague_campaigns()?.into_iter().map(from_report));
    }
    Ok(out)
}

/// A colleague's campaign, as `statuses` lists it.
pub fn colleague_status(desk: &Desk, id: i64) -> Result<CampaignStatus> {
    match desk.db().colleague_campaign(id)? {
        Some(c) => Ok(from_report(c)),
        None => Err(CampaignError::NotFound(-id).into()),
    }
}

fn from_report(c: ColleagueCampaign) -> CampaignStatus {
    let p = c.progress;
    let skipped = p
        .skipped
        .iter()
        .flat_map(|(reason, n)| (0..*n).map(move |_| SkippedRecipient { patient_id: None, reason: reason.clone() }))
        .collect();
    CampaignStatus {
        id: -c.id,
        name: p.name,
        state: CampaignState::parse(&p.state).unwrap_or(CampaignState::Paused),
        counts: CampaignCounts {
            total: p.total,
            pending: p.pending,
            sent: p.sent,
            delivered: p.delivered,
            failed: p.failed,
            replied: p.replied,
            skipped,
            answers: p.answers,
        },
        eta_secs: p.eta_secs,
        runs_on: Some(c.runs_on),
    }
}

/// This desk's reports of its campaigns for the team: every campaign not
/// finished, and those finished in the last [`REPORT_FINISHED_FOR`].
/// `updated_at` is `now`; the caller sends only those that changed.
pub fn team_reports(desk: &Desk, now: DateTime<Utc>) -> Result<Vec<CampaignProgressBody>> {
    let since = crate::store::outbox::ts(now - REPORT_FINISHED_FOR);
    let runs_on = desk.sender_name();
    let role = desk.db().team_role()?;
    let desk_id = desk.desk_id().ok().map(|d| d.to_string());
    let mut out = Vec::new();
    for c in desk.db().campaigns()? {
        let finished = matches!(c.state, CampaignState::Done | CampaignState::Cancelled);
        if finished && c.finished_at.as_deref().is_some_and(|t| t < since.as_str()) {
            continue;
        }
        let s = super::status(desk, c.id)?;
        let mut skipped = BTreeMap::new();
        for k in &s.counts.skipped {
            *skipped.entry(k.reason.clone()).or_default() += 1;
        }
        out.push(CampaignProgressBody {
            gid: c.gid,
            name: s.name,
            state: s.state.as_str().to_string(),
            total: s.counts.total,
            pending: s.counts.pending,
            sent: s.counts.sent,
            delivered: s.counts.delivered,
            failed: s.counts.failed,
            replied: s.counts.replied,
            skipped,
            answers: s.counts.answers,
            eta_secs: s.eta_secs,
            runs_on: runs_on.clone(),
            runs_on_role: role.clone(),
            desk_id: desk_id.clone(),
            updated_at: crate::store::now_rfc3339(),
        });
    }
    Ok(out)
}
