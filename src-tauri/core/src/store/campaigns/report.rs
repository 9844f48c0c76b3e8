//! What became of a campaign's recipients: the counts of `campaign status`
//! and the rows of its report. A queued recipient's fate is its message's
//! state: still in the outbox (pending), accepted by a server (sent, and
//! delivered when the carrier says so), or not sent (failed).

use std::collections::BTreeMap;

use rusqlite::params;

use crate::store::{Database, StoreError};

/// Message states that mean the text did not reach the recipient.
const FAILED: &str = "('failed', 'uncertain', 'undelivered', 'rejected', 'expired')";
/// Message states of a text not yet handed to, or answered by, a server.
const WAITING: &str = "('queued', 'sending')";

/// A recipient that gets no text, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SkippedRecipient {
    /// `null` for an ECM id no patient has.
    pub patient_id: Option<i64>,
    pub reason: String,
}

/// A campaign's counts; `total` = `pending` + `sent` + `failed` + skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct CampaignCounts {
    pub total: u64,
    /// Not queued yet, or queued and not yet accepted or refused.
    pub pending: u64,
    /// Accepted by a server (including those delivered).
    pub sent: u64,
    /// Of those sent, delivered to the phone.
    pub delivered: u64,
    /// Refused, given up, or not delivered.
    pub failed: u64,
    /// Recipients with any reply since their text.
    pub replied: u64,
    pub skipped: Vec<SkippedRecipient>,
    /// Answers read in replies, by answer.
    pub answers: BTreeMap<String, u64>,
}

/// One row of the report: one recipient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct RecipientRow {
    pub patient_id: Option<i64>,
    pub ecm_patient_id: Option<i64>,
    pub number: Option<String>,
    /// pending, sent, delivered, failed or skipped.
    pub state: String,
    /// Why skipped or failed.
    pub reason: Option<String>,
    pub sent_at: Option<String>,
    pub delivered: bool,
    pub answer: Option<String>,
    pub replied: bool,
    pub message_id: Option<i64>,
}

/// A recipient as the preview shows it: the merged text, or why skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub patient_id: Option<i64>,
    pub ecm_patient_id: Option<i64>,
    pub number: Option<String>,
    pub text: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

const ROWS: &str = "
    SELECT r.patient_id, r.ecm_patient_id, r.number, r.state, r.reason, r.detail, m.state, m.error_message,
           COALESCE(o.sent_at, r.queued_at), r.answer, r.message_id,
           EXISTS (SELECT 1 FROM messages i WHERE i.direction = 'inbound' AND i.from_number = r.number
                     AND r.queued_at IS NOT NULL AND i.created_at >= r.queued_at)
      FROM campaign_recipients r
      LEFT JOIN messages m ON m.id = r.message_id
      LEFT JOIN outbox o ON o.message_id = r.message_id
     WHERE r.campaign_id = ?1
     ORDER BY r.seq";

impl Database {
    /// Every recipient's merged text (or why skipped), in order.
    pub fn campaign_preview_rows(&self, id: i64) -> Result<Vec<PreviewRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT patient_id, ecm_patient_id, number, body, reason, detail FROM campaign_recipients
              WHERE campaign_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(PreviewRow {
                patient_id: r.get(0)?,
                ecm_patient_id: r.get(1)?,
                number: r.get(2)?,
                text: r.get(3)?,
                reason: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every recipient of a campaign, in the order they were listed.
    pub fn campaign_rows(&self, id: i64) -> Result<Vec<RecipientRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(ROWS)?;
        let rows = stmt.query_map([id], |r| {
            let row_state: String = r.get(3)?;
            let message_state: Option<String> = r.get(6)?;
            let (state, reason) = match (row_state.as_str(), message_state.as_deref()) {
                ("skipped", _) => ("skipped", r.get::<_, Option<String>>(4)?),
                ("pending", _) | (_, None) => ("pending", None),
                (_, Some(m)) if WAITING.contains(&format!("'{m}'")) => ("pending", None),
                (_, Some(m)) if FAILED.contains(&format!("'{m}'")) => ("failed", r.get::<_, Option<String>>(7)?),
                (_, Some("delivered")) => ("delivered", None),
                _ => ("sent", None),
            };
            Ok(RecipientRow {
                patient_id: r.get(0)?,
                ecm_patient_id: r.get(1)?,
                number: r.get(2)?,
                state: state.to_string(),
                reason,
                sent_at: if matches!(state, "sent" | "delivered" | "failed") { r.get(8)? } else { None },
                delivered: state == "delivered",
                answer: r.get(9)?,
                replied: r.get(11)?,
                message_id: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A campaign's counts, its skipped recipients and its answers.
    pub fn campaign_counts(&self, id: i64) -> Result<CampaignCounts, StoreError> {
        let mut c = CampaignCounts::default();
        let (total, queued, sent, delivered, failed, replied): (i64, i64, i64, i64, i64, i64) = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*), count(*) FILTER (WHERE r.state = 'queued'),
                        count(*) FILTER (WHERE r.state = 'queued' AND m.state NOT IN {WAITING} AND m.state NOT IN {FAILED}),
                        count(*) FILTER (WHERE r.state = 'queued' AND m.state = 'delivered'),
                        count(*) FILTER (WHERE r.state = 'queued' AND m.state IN {FAILED}),
                        count(*) FILTER (WHERE r.state = 'queued' AND EXISTS (SELECT 1 FROM messages i
                            WHERE i.direction = 'inbound' AND i.from_number = r.number AND i.created_at >= r.queued_at))
                   FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
                  WHERE r.campaign_id = ?1"
            ))?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT patient_id, reason FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'skipped' ORDER BY seq",
        )?;
        c.skipped = stmt
            .query_map([id], |r| Ok(SkippedRecipient { patient_id: r.get(0)?, reason: r.get(1)? }))?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT answer, count(*) FROM campaign_recipients WHERE campaign_id = ?1 AND answer IS NOT NULL
              GROUP BY answer",
        )?;
        c.answers = stmt
            .query_map(params![id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        let n = |v: i64| v.max(0) as u64;
        c.total = n(total);
        c.sent = n(sent);
        c.delivered = n(delivered);
        c.failed = n(failed);
        c.replied = n(replied);
        c.pending = n(total - c.skipped.len() as i64 - sent - failed);
        debug_assert!(queued >= sent + failed);
        Ok(c)
    }
}
