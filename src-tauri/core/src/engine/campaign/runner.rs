//! The campaign runner: each call of [`feed`] hands the running campaigns'
//! next recipients to the outbox, only as many as keep about two seconds
//! of sending queued ahead of the sender ([`ahead`]), so the outbox is
//! never flooded and a pause or a cancel takes effect within seconds. Each
//! recipient is checked again at its turn (consent, a revocation awaiting
//! review, the frequency cap, its quiet hours) and then queued in one
//! transaction with its message and outbox row. The desk's lock is taken
//! per recipient, so the app stays responsive.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::{
    desk::{lock, Desk},
    engine::outbox::{
        enqueue::{self, Addressee},
        hold, Hold,
    },
    rules::campaign::{ahead, eta_secs, CampaignState, SkipReason},
    rules::error::{CoreError, Result},
    rules::phone::E164,
    store::campaigns::{Campaign, DueRecipient},
};

/// The most recipients one call looks at per campaign (skipped and
/// deferred ones included), so one call stays short.
const MAX_LOOKED_AT: usize = 1000;

/// Where a campaign stands, for a progress bar.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct CampaignProgress {
    pub campaign_id: i64,
    pub state: CampaignState,
    pub total: u64,
    /// Handed to the outbox (sent, being sent, or about to be).
    pub queued: u64,
    /// Of those, still in the outbox.
    pub in_outbox: u64,
    pub skipped: u64,
    /// Not queued yet.
    pub pending: u64,
    /// Seconds until the rest have gone at the rate (none when unlimited).
    pub eta_secs: Option<u64>,
    /// Every pending recipient's quiet hours are closed: the next opening.
    pub waiting_until: Option<String>,
}

/// What one [`feed`] did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FeedReport {
    pub queued: usize,
    pub skipped: usize,
    /// Recipients whose quiet hours are closed now: they wait for the opening.
    pub deferred: usize,
    /// The campaigns it worked on.
    pub progress: Vec<CampaignProgress>,
}

/// One step of the runner for every running (or due scheduled) campaign
/// this desk may feed (in team mode: whose lock it holds), at
/// `rate_per_sec` (the outbox's rate; 0: unlimited).
pub fn feed(desk: &Mutex<Desk>, rate_per_sec: f64, now: DateTime<Utc>) -> Result<FeedReport> {
    // In team mode a campaign runs on one desk at a time: the one whose team
    // session holds its lock (`engine::team::campaign_runs`).
    let campaigns = {
        let d = lock(desk)?;
        let mut mine = Vec::new();
        for c in d.db().feeding_campaigns()? {
            if d.may_feed_campaign(&c.gid)? {
                mine.push(c);
            }
        }
        mine
    };
    let mut report = FeedReport::default();
    for c in campaigns {
        if let Some(p) = feed_one(desk, &c, rate_per_sec, now, &mut report)? {
            report.progress.push(p);
        }
    }
    Ok(report)
}

fn feed_one(
    desk: &Mutex<Desk>,
    c: &Campaign,
    rate: f64,
    now: DateTime<Utc>,
    report: &mut FeedReport,
) -> Result<Option<CampaignProgress>> {
    let mut state = c.state;
    if state == CampaignState::Scheduled {
        let due = c.start_at.as_deref().and_then(crate::store::outbox::parse_ts).is_none_or(|t| t <= now);
        if !due {
            return Ok(None);
        }
        let d = lock(desk)?;
        if !d.db().set_campaign_state(c.id, state, CampaignState::Running, "run", &d.actor(), now)? {
            return Ok(None);
        }
        state = CampaignState::Running;
    }
    let open = lock(desk)?.db().campaign_open_texts(c.id)?;
    let mut room = ahead(rate, crate::engine::DRAIN_BATCH).saturating_sub(open);
    let mut looked = 0;
    while room > 0 && looked < MAX_LOOKED_AT {
        let due = lock(desk)?.db().due_recipients(c.id, now, room)?;
        if due.is_empty() {
            break;
        }
        looked += due.len();
        // A few recipients per transaction: each still queued with its
        // message and outbox row (or none of them), at a fraction of the
        // commits, so feeding a campaign keeps up with a fast send rate.
        for chunk in due.chunks(QUEUE_CHUNK) {
            let d = lock(desk)?;
            let turns =
                d.db().atomically(|_| -> Result<Vec<Turn>> { chunk.iter().map(|r| turn(&d, c, r, now)).collect() })?;
            drop(d);
            for t in turns {
                match t {
                    Turn::Queued => {
                        report.queued += 1;
                        room -= 1;
                    }
                    Turn::Skipped => report.skipped += 1,
                    Turn::Deferred => report.deferred += 1,
                    Turn::Gone => {}
                }
            }
        }
    }
    let d = lock(desk)?;
    let (total, pending, skipped) = d.db().campaign_tally(c.id)?;
    let in_outbox = d.db().campaign_open_texts(c.id)? as u64;
    if pending == 0
        && in_outbox == 0
        && d.db().set_campaign_state(c.id, state, CampaignState::Done, "done", &d.actor(), now)?
    {
        state = CampaignState::Done;
        tracing::info!(campaign = c.id, total, skipped, "campaign done");
    }
    let waiting_until = (pending > 0 && report.queued == 0)
        .then(|| d.db().campaign_next_opening(c.id))
        .transpose()?
        .flatten()
        .filter(|t| crate::store::outbox::parse_ts(t).is_some_and(|t| t > now));
    Ok(Some(CampaignProgress {
        campaign_id: c.id,
        state,
        total,
        queued: total - pending - skipped,
        in_outbox,
        skipped,
        pending,
        eta_secs: eta_secs(pending + in_outbox, rate),
        waiting_until,
    }))
}

enum Turn {
    Queued,
    Skipped,
    Deferred,
    /// Another process took it meanwhile.
    Gone,
}

/// Recipients queued in one transaction.
const QUEUE_CHUNK: usize = 25;

/// One recipient's turn: checked again, then queued, skipped or deferred.
fn turn(d: &Desk, c: &Campaign, r: &DueRecipient, now: DateTime<Utc>) -> Result<Turn> {
    let db = d.db();
    let skip = |why: SkipReason, detail: &str| -> Result<Turn> {
        Ok(if db.skip_recipient(r.id, why, detail)? { Turn::Skipped } else { Turn::Gone })
    };
    if db.is_opted_out(&r.number)? {
        return skip(SkipReason::OptedOut, "the number opted out of SMS");
    }
    if db.revocation_pending(&r.number)? {
        return skip(
            SkipReason::RevocationPendingReview,
            "a reply from the number reads like a revocation of consent and no one has decided on it yet",
        );
    }
    let (day, week) = db.campaign_texts_to(&r.number, now)?;
    if !c.caps.allows(day, week) {
        let detail = format!(
            "the number had {day} campaign text(s) in 24 h and {week} in 7 days (cap {} a day, {} a week)",
            c.caps.per_day, c.caps.per_week
        );
        return skip(SkipReason::OverCap, &detail);
    }
    let quiet = match enqueue::quiet_window(d)? {
        Some(w) => Some((w, enqueue::recipient_zone(d, r.time_zone.as_deref())?)),
        None => None,
    };
    if let Some(opens) = hold::at_claim(now, quiet, false) {
        db.defer_recipient(r.id, opens)?;
        return Ok(Turn::Deferred);
    }
    let number = E164::from_trusted(r.number.clone());
    let to = Addressee { patient_id: r.patient_id, number: &number, time_zone: r.time_zone.as_deref() };
    let note = format!(" (campaign {})", c.id);
    let out = match enqueue::outbound(d, c.route, to, &r.body, Some(&note), &Hold::default(), now) {
        Ok(out) => out,
        Err(CoreError::OptedOut { .. }) => return skip(SkipReason::OptedOut, "the number opted out of SMS"),
        Err(e) => return Err(e),
    };
    let (actor, sent_by) = (d.actor(), d.sender_name());
    match db.queue_campaign_recipient(r.id, &out.new, &actor, &sent_by, &out.detail, out.held, now)? {
        Some(ids) => {
            enqueue::enqueued(&out, ids);
            Ok(Turn::Queued)
        }
        None => Ok(Turn::Gone),
    }
}
