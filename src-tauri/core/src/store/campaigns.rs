//! The `campaigns` and `campaign_recipients` tables: a campaign and one row
//! per recipient. A recipient is queued in the same transaction as its
//! message and outbox row ([`Database::queue_campaign_recipient`]), so a
//! crash at any point has either queued it once or not at all; from there
//! the outbox sends it once. Every change of a campaign's state is audited
//! with it (names and numbers never: the campaign's id and counts).

use chrono::{DateTime, Utc};
use rusqlite::{named_params, params, OptionalExtension, Row};

use super::{
    outbox::{ts, HoldUntil, QueuedIds},
    Database, NewOutbound, StoreError,
};
use crate::rules::campaign::{Answers, CampaignState, Caps, SkipReason};

mod report;
pub use report::{CampaignCounts, PreviewRow, RecipientRow, SkippedRecipient};

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Campaign {
    pub id: i64,
    pub gid: String,
    pub name: String,
    pub template: String,
    /// The template's text when the campaign was created.
    pub body: String,
    pub route: super::Route,
    pub state: CampaignState,
    /// Not before this instant (RFC 3339 UTC).
    pub start_at: Option<String>,
    pub caps: Caps,
    pub answers: Answers,
    pub answer_window_hours: u32,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// A new campaign.
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub template: &'a str,
    pub body: &'a str,
    pub route: super::Route,
    pub start_at: Option<DateTime<Utc>>,
    pub caps: Caps,
    pub answers: &'a Answers,
    pub answer_window_hours: u32,
}

/// A recipient as the campaign is created: resolved and merged, or
/// skipped with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecipient {
    pub patient_id: Option<i64>,
    pub ecm_patient_id: Option<i64>,
    pub number: Option<String>,
    pub time_zone: Option<String>,
    /// The file's extra columns, JSON.
    pub merge_values: String,
    pub body: Option<String>,
    pub skip: Option<(SkipReason, String)>,
}

/// A recipient the runner is to queue next.
#[derive(Debug, Clone, PartialEq)]
pub struct DueRecipient {
    pub id: i64,
    pub patient_id: Option<i64>,
    pub number: String,
    pub time_zone: Option<String>,
    pub body: String,
}

const SELECT: &str = "SELECT id, gid, name, template, body, route, state, start_at, cap_day, cap_week, answers,
    answer_window_hours, created_by, created_at, started_at, finished_at FROM campaigns";

fn campaign(r: &Row<'_>) -> rusqlite::Result<Campaign> {
    let route: String = r.get(5)?;
    let state: String = r.get(6)?;
    let answers: Option<String> = r.get(10)?;
    Ok(Campaign {
        id: r.get(0)?,
        gid: r.get(1)?,
        name: r.get(2)?,
        template: r.get(3)?,
        body: r.get(4)?,
        route: super::Route::parse(&route).unwrap_or(super::Route::His),
        state: CampaignState::parse(&state).unwrap_or(CampaignState::Draft),
        start_at: r.get(7)?,
        caps: Caps { per_day: r.get(8)?, per_week: r.get(9)? },
        answers: answers.as_deref().and_then(|a| Answers::parse(a).ok()).unwrap_or_default(),
        answer_window_hours: r.get(11)?,
        created_by: r.get(12)?,
        created_at: r.get(13)?,
        started_at: r.get(14)?,
        finished_at: r.get(15)?,
    })
}

/// Campaign texts still in the outbox (waiting, sending, being checked).
const OPEN_TEXTS: &str = "SELECT count(*) FROM outbox o JOIN campaign_recipients r ON r.message_id = o.message_id
     WHERE o.state IN ('pending', 'in_flight', 'ambiguous') AND r.campaign_id = ?1";

impl Database {
    /// Stores a draft campaign and its recipients, in order: one
    /// transaction, audited. Returns its id.
    pub fn create_campaign(
        &self,
        c: &NewCampaign<'_>,
        recipients: &[NewRecipient],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let now = ts(now);
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO campaigns (gid, name, template, body, route, state, start_at, cap_day, cap_week, answers,
                                    answer_window_hours, created_by, created_at, updated_at)
             VALUES (:gid, :name, :template, :body, :route, 'draft', :start, :day, :week, :answers, :hours, :actor,
                     :now, :now)",
            named_params! {
                ":gid": uuid::Uuid::new_v4().to_string(), ":name": c.name.trim(), ":template": c.template,
                ":body": c.body, ":route": c.route.as_str(), ":start": c.start_at.map(ts), ":day": c.caps.per_day,
                ":week": c.caps.per_week, ":answers": (!c.answers.is_empty()).then(|| c.answers.spec()),
                ":hours": c.answer_window_hours, ":actor": actor, ":now": now,
            },
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO campaign_recipients (campaign_id, seq, patient_id, ecm_patient_id, number, time_zone,
                                                  merge_values, body, state, reason, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for (seq, r) in recipients.iter().enumerate() {
                let (state, reason, detail) = match &r.skip {
                    Some((why, detail)) => ("skipped", Some(why.as_str()), Some(detail.as_str())),
                    None => ("pending", None, None),
                };
                insert.execute(params![
                    id,
                    seq as i64,
                    r.patient_id,
                    r.ecm_patient_id,
                    r.number,
                    r.time_zone,
                    r.merge_values,
                    r.body,
                    state,
                    reason,
                    detail
                ])?;
            }
        }
        let skipped = recipients.iter().filter(|r| r.skip.is_some()).count();
        let detail = format!(
            "campaign {id} created from template {:?}: {} recipients, {skipped} skipped",
            c.template,
            recipients.len()
        );
        self.audit_on(&tx, actor, "campaign.create", None, &detail)?;
        tx.commit()?;
        Ok(id)
    }

    pub fn campaign(&self, id: i64) -> Result<Option<Campaign>, StoreError> {
        Ok(self.conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?.query_row([id], campaign).optional()?)
    }

    /// Every campaign, newest first.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT} ORDER BY id DESC"))?;
        let rows = stmt.query_map([], campaign)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Campaigns the runner feeds: running, or scheduled to start.
    pub fn feeding_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached(&format!("{SELECT} WHERE state IN ('running', 'scheduled') ORDER BY id"))?;
        let rows = stmt.query_map([], campaign)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves a campaign from `from` to `to` (audited as `action`); a cancel
    /// also skips every recipient not queued yet. False when it was no
    /// longer in `from` (another process changed it).
    pub fn set_campaign_state(
        &self,
        id: i64,
        from: CampaignState,
        to: CampaignState,
        action: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = ts(now);
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute(
            "UPDATE campaigns SET state = :to, updated_at = :now,
                    started_at = CASE WHEN :to = 'running' THEN COALESCE(started_at, :now) ELSE started_at END,
                    finished_at = CASE WHEN :to IN ('done', 'cancelled') THEN :now ELSE finished_at END
              WHERE id = :id AND state = :from",
            named_params! { ":id": id, ":from": from.as_str(), ":to": to.as_str(), ":now": now },
        )?;
        if changed != 1 {
            return Ok(false);
        }
        let mut detail = format!("campaign {id}: {} -> {}", from.as_str(), to.as_str());
        if to == CampaignState::Cancelled {
            let skipped = tx.execute(
                "UPDATE campaign_recipients SET state = 'skipped', reason = 'cancelled',
                        detail = 'the campaign was cancelled before its turn'
                  WHERE campaign_id = ?1 AND state = 'pending'",
                [id],
            )?;
            detail.push_str(&format!(" ({skipped} recipients not texted)"));
        }
        self.audit_on(&tx, actor, &format!("campaign.{action}"), None, &detail)?;
        tx.commit()?;
        Ok(true)
    }

    /// Campaign texts of this campaign still in the outbox.
    pub fn campaign_open_texts(&self, id: i64) -> Result<usize, StoreError> {
        Ok(self.conn.prepare_cached(OPEN_TEXTS)?.query_row([id], |r| r.get::<_, i64>(0))? as usize)
    }

    /// (recipients, pending, skipped) of a campaign.
    pub fn campaign_tally(&self, id: i64) -> Result<(u64, u64, u64), StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*), count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'skipped')
                   FROM campaign_recipients WHERE campaign_id = ?1",
            )?
            .query_row([id], |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                Ok((n(0)?, n(1)?, n(2)?))
            })?)
    }

    /// Recipients still to queue (pending), whatever their quiet hours.
    pub fn campaign_pending(&self, id: i64) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'pending'")?
            .query_row([id], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// The next `limit` pending recipients whose quiet hours are not known
    /// to be closed at `now`, in order.
    pub fn due_recipients(&self, id: i64, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueRecipient>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, patient_id, number, time_zone, body FROM campaign_recipients
              WHERE campaign_id = ?1 AND state = 'pending' AND (not_before IS NULL OR not_before <= ?2)
              ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![id, ts(now), limit as i64], |r| {
            Ok(DueRecipient {
                id: r.get(0)?,
                patient_id: r.get(1)?,
                number: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                time_zone: r.get(3)?,
                body: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The earliest time a pending recipient's quiet hours open, for one
    /// whose window is closed (none when some are due now or none wait).
    pub fn campaign_next_opening(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT min(not_before) FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'pending'",
            )?
            .query_row([id], |r| r.get(0))?)
    }

    /// A pending recipient's quiet hours are closed until `opens`.
    pub fn defer_recipient(&self, recipient_id: i64, opens: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE campaign_recipients SET not_before = ?2 WHERE id = ?1 AND state = 'pending'")?
            .execute(params![recipient_id, ts(opens)])?;
        Ok(())
    }

    /// A pending recipient gets no text, for `reason`.
    pub fn skip_recipient(&self, recipient_id: i64, reason: SkipReason, detail: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE campaign_recipients SET state = 'skipped', reason = ?2, detail = ?3
                  WHERE id = ?1 AND state = 'pending'",
            )?
            .execute(params![recipient_id, reason.as_str(), detail])?;
        Ok(n == 1)
    }

    /// Campaign texts (any campaign) queued to `number` in the day and the
    /// week before `now`.
    pub fn campaign_texts_to(&self, number: &str, now: DateTime<Utc>) -> Result<(u32, u32), StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FILTER (WHERE queued_at > ?2), count(*) FROM campaign_recipients
                  WHERE number = ?1 AND state = 'queued' AND queued_at > ?3",
            )?
            .query_row(params![number, ts(now - Caps::DAY), ts(now - Caps::WEEK)], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    /// Queues a pending recipient: the recipient row becomes `queued` with
    /// its message, and the message, its outbox row and its audit entry are
    /// written, all in one transaction. `None` (nothing written) when the
    /// recipient is no longer pending.
    #[allow(clippy::too_many_arguments)]
    pub fn queue_campaign_recipient(
        &self,
        recipient_id: i64,
        m: &NewOutbound,
        actor: &str,
        sent_by: &str,
        audit_detail: &str,
        hold: Option<HoldUntil>,
        now: DateTime<Utc>,
    ) -> Result<Option<QueuedIds>, StoreError> {
        // Its own transaction, or a savepoint of the caller's (the runner
        // queues a few recipients in one).
        self.atomically(|tx| {
            let taken = tx
                .prepare_cached(
                    "UPDATE campaign_recipients SET state = 'queued', queued_at = ?2 WHERE id = ?1 AND state = 'pending'",
                )?
                .execute(params![recipient_id, ts(now)])?;
            if taken != 1 {
                return Ok(None);
            }
            let ids = self.enqueue_on(tx, m, actor, sent_by, audit_detail, hold, now)?;
            tx.prepare_cached("UPDATE campaign_recipients SET message_id = ?2 WHERE id = ?1")?
                .execute(params![recipient_id, ids.message_id])?;
            Ok(Some(ids))
        })
    }

    /// Records a reply as a campaign answer: the latest campaign text to
    /// `from` whose campaign declares answers, still unanswered, sent
    /// within its answer window before `at`, whose answers `text` names.
    /// Returns the answer. Runs in the caller's transaction, if any.
    pub fn record_campaign_answer(
        &self,
        reply_id: i64,
        from: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let found: Option<(i64, String, String, u32)> = self
            .conn
            .prepare_cached(
                "SELECT r.id, r.queued_at, c.answers, c.answer_window_hours FROM campaign_recipients r
                   JOIN campaigns c ON c.id = r.campaign_id
                  WHERE r.number = ?1 AND r.state = 'queued' AND r.answer IS NULL AND c.answers IS NOT NULL
                    AND r.queued_at <= ?2
                  ORDER BY r.queued_at DESC LIMIT 1",
            )?
            .query_row(params![from, ts(at)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((id, queued_at, spec, hours)) = found else { return Ok(None) };
        let sent = super::outbox::parse_ts(&queued_at).unwrap_or(at);
        if !crate::rules::campaign::in_answer_window(sent, at, hours) {
            return Ok(None);
        }
        let answers = Answers::parse(&spec).unwrap_or_default();
        let Some(answer) = answers.answer(text) else { return Ok(None) };
        self.conn
            .prepare_cached(
                "UPDATE campaign_recipients SET answer = ?2, answer_message_id = ?3, answered_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, answer, reply_id, ts(at)])?;
        Ok(Some(answer.to_string()))
    }

    /// The campaign answer a reply was read as, if any.
    pub fn answer_of_reply(&self, reply_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT answer FROM campaign_recipients WHERE answer_message_id = ?1")?
            .query_row([reply_id], |r| r.get(0))
            .optional()?)
    }
}

#[cfg(test)]
mod tests;
