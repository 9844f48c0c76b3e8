//! Outreach in team mode: templates shared by the team, and colleagues'
//! campaigns shown on every desk.
//!
//! **Templates** (`template.upsert`, recorded by the triggers of migration
//! 0023): a change carries the template whole, so applying one is an
//! upsert by gid, and the copy with the newest `updated_at` wins on every
//! desk (ties: a tombstone over a live copy, then the larger `updated_by`,
//! text and name, so two desks never disagree). A removal is a tombstone
//! (`deleted_at`) and wins like any newer write; an older edit arriving
//! after it changes nothing.
//!
//! **Name clash**: two desks may each add a live template of one name
//! (any case) before they see each other's. The unique index on live names
//! must hold, so the template with the smaller gid keeps the name and the
//! other is renamed `<name> (<first 8 characters of its gid>)`, on every
//! desk alike, whichever arrives first. The rename is this desk's reading
//! of the log, not a change of its own: it is not pushed again.
//!
//! **Campaigns** (`campaign.progress`): a campaign runs on the desk that
//! created it (its recipients are there); that desk reports its state and
//! counts, and the others keep the newest report in `team_campaigns`, shown
//! read-only (`engine::campaign::statuses`).

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    apply::{Outcome, Skip},
    kinds::{CampaignProgressBody, TemplateBody},
};
use crate::store::{Database, StoreError};

/// The name a template takes when another live one of a smaller gid holds
/// its name.
pub fn clash_name(name: &str, gid: &str) -> String {
    let short: String = gid.chars().take(8).collect();
    format!("{} ({short})", name.trim())
}

/// Whether `theirs` wins over `mine`: the newer write, ties settled the
/// same way on every desk.
pub fn template_wins(theirs: &TemplateBody, mine: &TemplateBody) -> bool {
    let key = |t: &TemplateBody| {
        (t.updated_at.clone(), t.deleted_at.is_some(), t.updated_by.clone(), t.text.clone(), t.name.clone())
    };
    key(theirs) > key(mine)
}

fn local_template(c: &Connection, gid: &str) -> Result<Option<TemplateBody>, StoreError> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM team_template_body WHERE gid = ?1")?
        .query_row([gid], |r| r.get(0))
        .optional()?;
    body.map(|b| {
        serde_json::from_str(&b).map_err(|e| StoreError::Io(format!("a template's body does not read back: {e}")))
    })
    .transpose()
}

pub(super) fn template(c: &Connection, b: &TemplateBody) -> Result<Outcome, StoreError> {
    if b.gid.trim().is_empty() || b.name.trim().is_empty() || b.updated_at.is_empty() {
        return Ok(Err(Skip::Unreadable("a template without its id, name or time".into())));
    }
    let mine = local_template(c, &b.gid)?;
    if let Some(m) = &mine {
        if !template_wins(b, m) {
            return Ok(Ok(false));
        }
    }
    let mut name = b.name.trim().to_string();
    if b.deleted_at.is_none() {
        let other: Option<(i64, String, String)> = c
            .prepare_cached(
                "SELECT id, gid, name FROM templates
                  WHERE deleted_at IS NULL AND name = ?1 COLLATE NOCASE AND gid <> ?2",
            )?
            .query_row(params![name, b.gid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((id, gid, other_name)) = other {
            if gid < b.gid {
                name = clash_name(&name, &b.gid);
            } else {
                c.execute("UPDATE templates SET name = ?2 WHERE id = ?1", params![id, clash_name(&other_name, &gid)])?;
            }
        }
    }
    match mine {
        Some(_) => c.execute(
            "UPDATE templates SET name = ?2, body = ?3, updated_at = ?4, updated_by = ?5, deleted_at = ?6
              WHERE gid = ?1",
            params![b.gid, name, b.text, b.updated_at, b.updated_by, b.deleted_at],
        )?,
        None => c.execute(
            "INSERT INTO templates (gid, name, body, created_at, updated_at, updated_by, deleted_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
            params![b.gid, name, b.text, b.updated_at, b.updated_by, b.deleted_at],
        )?,
    };
    Ok(Ok(true))
}

/// A colleague's campaign report; this desk's own campaigns are its own
/// rows (a report of one, its own echo or a copy of this data directory
/// elsewhere, changes nothing).
pub(super) fn campaign(c: &Connection, b: &CampaignProgressBody, actor: &str) -> Result<Outcome, StoreError> {
    if crate::rules::campaign::CampaignState::parse(&b.state).is_none() || b.updated_at.is_empty() {
        return Ok(Err(Skip::Unreadable("a campaign state CareDesk does not know".into())));
    }
    let own: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM campaigns WHERE gid = ?1)")?
        .query_row([&b.gid], |r| r.get(0))?;
    if own {
        return Ok(Ok(false));
    }
    let runs_on = if b.runs_on.trim().is_empty() {
        c.prepare_cached("SELECT display_name FROM team_members WHERE role = ?1")?
            .query_row([actor], |r| r.get::<_, String>(0))
            .optional()?
            .unwrap_or_else(|| actor.to_string())
    } else {
        b.runs_on.clone()
    };
    let body = serde_json::to_string(b).map_err(|e| StoreError::Io(e.to_string()))?;
    let n = c
        .prepare_cached(
            "INSERT INTO team_campaigns (gid, name, state, runs_on, desk_id, updated_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(gid) DO UPDATE SET name = excluded.name, state = excluded.state, runs_on = excluded.runs_on,
                desk_id = excluded.desk_id, updated_at = excluded.updated_at, body = excluded.body
              WHERE excluded.updated_at >= team_campaigns.updated_at AND team_campaigns.body IS NOT excluded.body",
        )?
        .execute(params![b.gid, b.name, b.state, runs_on, b.desk_id, b.updated_at, body])?;
    Ok(Ok(n > 0))
}

/// A colleague's campaign as this desk shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColleagueCampaign {
    /// This desk's number for it (`team_campaigns.id`); the engine shows
    /// it negated, so it never names one of this desk's own campaigns.
    pub id: i64,
    pub runs_on: String,
    pub progress: CampaignProgressBody,
}

fn colleague(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn read_colleague((id, runs_on, body): (i64, String, String)) -> Option<ColleagueCampaign> {
    match serde_json::from_str(&body) {
        Ok(progress) => Some(ColleagueCampaign { id, runs_on, progress }),
        Err(_) => {
            tracing::warn!(id, "a colleague's campaign report does not read back; not shown");
            None
        }
    }
}

impl Database {
    /// Colleagues' campaigns, newest report first.
    pub fn colleague_campaigns(&self) -> Result<Vec<ColleagueCampaign>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, runs_on, body FROM team_campaigns ORDER BY updated_at DESC, id")?;
        let rows = stmt.query_map([], colleague)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().filter_map(read_colleague).collect())
    }

    /// The colleague's campaign this desk numbers `id`.
    pub fn colleague_campaign(&self, id: i64) -> Result<Option<ColleagueCampaign>, StoreError> {
        let row = self
            .conn
            .prepare_cached("SELECT id, runs_on, body FROM team_campaigns WHERE id = ?1")?
            .query_row([id], colleague)
            .optional()?;
        Ok(row.and_then(read_colleague))
    }

    /// Queues this desk's report of one of its campaigns for the team (in
    /// team mode only). `false` when not in team mode.
    pub fn team_record_campaign_progress(&self, b: &CampaignProgressBody) -> Result<bool, StoreError> {
        if !super::joined(&self.conn)? {
            return Ok(false);
        }
        let body = serde_json::to_value(b).map_err(|e| StoreError::Io(e.to_string()))?;
        super::outbox::record(&self.conn, super::kinds::CAMPAIGN, &format!("campaign:{}", b.gid), &body)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::team::{apply::PulledChange, kinds};
    use crate::store::test_db;

    fn body(gid: &str, name: &str, text: &str, at: &str, deleted: Option<&str>) -> serde_json::Value {
        serde_json::json!({"gid": gid, "name": name, "text": text, "updated_at": at, "updated_by": "ben",
            "deleted_at": deleted})
    }

    fn pulled(pos: i64, kind: &str, body: serde_json::Value) -> PulledChange {
        PulledChange { pos, desk_id: "d".into(), desk_seq: pos, actor: "ben".into(), kind: kind.into(), body }
    }

    fn live(db: &Database) -> Vec<(String, String)> {
        db.templates().unwrap().into_iter().map(|t| (t.name, t.text)).collect()
    }

    const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
    const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";

    #[test]
    fn in_team_mode_adding_editing_and_removing_a_template_is_recorded_but_applying_one_is_not() {
        let (_d, db) = test_db();
        let now = chrono::Utc::now();
        db.add_template("Before", "alone", "ana", now).unwrap();
        let joined = db.team_join("ana", "2026-01-01T00:00:00Z").unwrap().unwrap();
        assert_eq!(joined.templates, 1, "what the desk had is queued when it joins");
        db.add_template("Reminder", "v1", "ana", now).unwrap();
        db.edit_template("reminder", "v2", "ana", now).unwrap();
        db.remove_template("Reminder", "ana", now).unwrap();
        let queued: Vec<(String, String)> = db
            .team_outbox_batch(100)
            .unwrap()
            .into_iter()
            .filter(|c| c.kind == kinds::TEMPLATE)
            .map(|c| (c.body["text"].as_str().unwrap().to_string(), c.body["deleted_at"].to_string()))
            .collect();
        assert_eq!(queued.len(), 4, "{queued:?}");
        assert_eq!(queued[2].0, "v2");
        assert!(queued[3].1 != "null", "the removal is a tombstone: {queued:?}");
        let before = db.team_waiting().unwrap();
        db.team_apply(&[pulled(1, kinds::TEMPLATE, body(A, "Other", "x", "2026-01-01T10:00:00.000Z", None))]).unwrap();
        assert_eq!(db.team_waiting().unwrap(), before, "a pulled template is not pushed back");
    }

    #[test]
    fn the_newest_write_wins_and_a_tombstone_is_not_undone_by_an_older_edit() {
        let (_d, db) = test_db();
        let t = |pos, text, at, del| pulled(pos, kinds::TEMPLATE, body(A, "Reminder", text, at, del));
        db.team_apply(&[t(1, "v1", "2026-01-01T10:00:00.000Z", None)]).unwrap();
        assert_eq!(live(&db), [("Reminder".to_string(), "v1".to_string())]);
        // An older copy (a desk that was offline) changes nothing.
        let r = db.team_apply(&[t(2, "v0", "2026-01-01T09:00:00.000Z", None)]).unwrap();
        assert_eq!((r.applied, r.unchanged), (0, 1));
        db.team_apply(&[t(3, "v1", "2026-01-01T11:00:00.000Z", Some("2026-01-01T11:00:00.000Z"))]).unwrap();
        assert!(live(&db).is_empty(), "removed");
        // An edit older than the removal arrives late: still removed.
        let r = db.team_apply(&[t(4, "v2", "2026-01-01T10:30:00.000Z", None)]).unwrap();
        assert_eq!((r.applied, r.unchanged), (0, 1));
        assert!(live(&db).is_empty());
        // Applying the same change again changes nothing.
        assert_eq!(db.team_apply(&[t(3, "v1", "x", None)]).unwrap().applied, 0);
    }

    #[test]
    fn two_live_templates_of_one_name_end_the_same_on_every_desk_whatever_the_order() {
        let a = pulled(1, kinds::TEMPLATE, body(A, "Reminder", "from A", "2026-01-01T10:00:00.000Z", None));
        let b = pulled(2, kinds::TEMPLATE, body(B, "reminder", "from B", "2026-01-01T09:00:00.000Z", None));
        let mut ends = Vec::new();
        for order in [[a.clone(), b.clone()], [b.clone(), a.clone()]] {
            let (_d, db) = test_db();
            for (i, c) in order.into_iter().enumerate() {
                let r = db.team_apply(&[PulledChange { pos: i as i64 + 1, ..c }]).unwrap();
                assert_eq!(r.skipped, 0, "{r:?}");
            }
            ends.push(live(&db));
        }
        assert_eq!(ends[0], ends[1]);
        assert_eq!(
            ends[0],
            [("Reminder".to_string(), "from A".to_string()), ("reminder (bbbbbbbb)".to_string(), "from B".to_string())]
        );
    }

    #[test]
    fn a_colleagues_campaign_report_keeps_the_newest_and_skips_this_desks_own() {
        let (_d, db) = test_db();
        let report = |pos, state: &str, sent, at: &str| {
            pulled(
                pos,
                kinds::CAMPAIGN,
                serde_json::json!({"gid": "c1", "name": "Flu", "state": state, "total": 3, "sent": sent,
                    "runs_on": "Ben Okafor", "updated_at": at}),
            )
        };
        db.team_apply(&[report(1, "running", 1, "2026-01-01T10:00:02Z")]).unwrap();
        db.team_apply(&[report(2, "running", 0, "2026-01-01T10:00:01Z")]).unwrap();
        let all = db.colleague_campaigns().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].progress.sent, all[0].runs_on.as_str()), (1, "Ben Okafor"));
        db.team_apply(&[report(3, "done", 3, "2026-01-01T10:00:09Z")]).unwrap();
        let c = db.colleague_campaign(all[0].id).unwrap().unwrap();
        assert_eq!((c.progress.state.as_str(), c.progress.sent), ("done", 3));
        let r = db.team_apply(&[report(4, "sideways", 3, "2026-01-01T10:00:10Z")]).unwrap();
        assert_eq!(r.skipped, 1);
    }
}
