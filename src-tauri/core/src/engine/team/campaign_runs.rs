//! Campaigns in team mode, the sync's part: a campaign runs on one desk at
//! a time, and its progress shows on every desk.
//!
//! - **One desk feeds a campaign**: before each exchange the sync takes the
//!   lock (`gateways::team_db::campaign_lock`) of every campaign of this
//!   desk's that is running or scheduled and gives up those that stopped;
//!   the runner feeds only the campaigns whose lock this desk's session
//!   holds ([`Desk::may_feed_campaign`]). The session ending (the desk
//!   quits, crashes, loses the database) frees the locks, and the desk stops
//!   feeding at once ([`CampaignRuns::lose`]); a campaign therefore waits
//!   while the team database is out of reach, and resumes with the session.
//! - **Its progress shows everywhere**: at most every [`REPORT_EVERY`], the
//!   sync queues a `campaign.progress` report of each of this desk's
//!   campaigns whose state or counts changed since the last one it queued
//!   (`engine::campaign::team_reports`); other desks list them read-only.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{exchange::blocking, Session};
use crate::{
    desk::{lock, Desk},
    engine::campaign,
    rules::error::Result,
    store::team::kinds::CampaignProgressBody,
};

/// How often a desk tries again the lock of a campaign another desk holds.
pub const TRY_EVERY: Duration = super::IDLE_POLL;

/// How often the sync looks for a change in its campaigns' progress to report.
pub const REPORT_EVERY: Duration = Duration::from_secs(3);

/// The campaign locks this desk's session holds, and what it last reported.
#[derive(Debug, Default)]
pub(super) struct CampaignRuns {
    held: BTreeSet<String>,
    /// When the locks not held were last tried (every [`TRY_EVERY`]).
    last_try: Option<Instant>,
    /// Campaigns found locked by another desk (said once).
    elsewhere: BTreeSet<String>,
    /// The last report queued per campaign, its time left out.
    reported: HashMap<String, CampaignProgressBody>,
    last_report: Option<Instant>,
}

impl CampaignRuns {
    /// Takes the locks of this desk's campaigns that feed and gives up the
    /// others', then, when it is time (or `report_now`), queues the reports
    /// that changed. Call before pushing.
    pub(super) async fn tick(&mut self, session: &Session, desk: &Arc<Mutex<Desk>>, report_now: bool) -> Result<()> {
        let feeding: BTreeSet<String> =
            blocking(desk, |d| Ok(d.db().feeding_campaigns()?.into_iter().map(|c| c.gid).collect())).await?;
        let mut changed = false;
        let new = feeding.difference(&self.held).any(|g| !self.elsewhere.contains(g));
        if new || self.last_try.is_none_or(|t| t.elapsed() >= TRY_EVERY) {
            self.last_try = Some(Instant::now());
            for gid in feeding.difference(&self.held.clone()) {
                if session.db.try_campaign_lock(gid).await? {
                    tracing::info!(campaign = %gid, "this desk runs the campaign (it holds its lock)");
                    self.held.insert(gid.clone());
                    self.elsewhere.remove(gid);
                    changed = true;
                } else if self.elsewhere.insert(gid.clone()) {
                    tracing::warn!(campaign = %gid, "another desk holds this campaign's lock: not fed here");
                }
            }
        }
        for gid in self.held.clone().difference(&feeding) {
            session.db.release_campaign_lock(gid).await?;
            self.held.remove(gid);
            changed = true;
        }
        if changed {
            let held = self.held.clone();
            lock(desk)?.set_campaign_runs(held);
        }
        if report_now || changed || self.last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            self.last_report = Some(Instant::now());
            self.report(desk).await?;
        }
        Ok(())
    }

    async fn report(&mut self, desk: &Arc<Mutex<Desk>>) -> Result<()> {
        let reports = blocking(desk, |d| campaign::team_reports(d, chrono::Utc::now())).await?;
        let fresh: Vec<CampaignProgressBody> = reports
            .into_iter()
            .filter(|r| {
                let timeless = CampaignProgressBody { updated_at: String::new(), ..r.clone() };
                self.reported.get(&r.gid) != Some(&timeless)
            })
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let queued = fresh.clone();
        blocking(desk, move |d| {
            for r in &queued {
                d.db().team_record_campaign_progress(r)?;
            }
            Ok(())
        })
        .await?;
        for r in fresh {
            self.reported.insert(r.gid.clone(), CampaignProgressBody { updated_at: String::new(), ..r });
        }
        Ok(())
    }

    /// The session is gone (or team mode is off, or the sync stops): its
    /// locks went with it, and this desk stops feeding at once.
    pub(super) fn lose(&mut self, desk: &Arc<Mutex<Desk>>) {
        if !self.held.is_empty() {
            tracing::info!(campaigns = self.held.len(), "this desk no longer runs its campaigns (its session ended)");
        }
        self.held.clear();
        self.elsewhere.clear();
        self.last_try = None;
        if let Ok(mut d) = lock(desk) {
            d.set_campaign_runs(BTreeSet::new());
        }
    }
}
