//! One exchange with the team database: push this desk's waiting changes in
//! order, then pull and apply the log after the last position applied.
//!
//! **Push** ([`push_batch`], then [`PushedBatch::confirm`]). One PostgreSQL
//! transaction per batch: the changes the log already has (a push whose
//! commit answer was lost) are left out, each other change writes its
//! state rows ([`super::state_rows`]), the team's audit trail gets a row
//! per change, and [`team_db::append_all`] appends them as its last
//! statements and commits. Only then are they forgotten locally; a crash
//! or a lost answer in between leaves them to be pushed again, and the log
//! takes each `(desk id, seq)` once.
//!
//! **Pull** ([`pull`]). `read_after(last applied)`, a page at a time, each
//! page applied in one local transaction that records its position
//! (`store::team::apply`).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

use super::state_rows::{self, Decision};
use crate::{
    desk::{lock, Desk},
    gateways::team_db::{self, ChangeListener, ConnectOptions, NewChange, TeamDb, TeamDbError},
    rules::error::{CoreError, Result},
    store::team::{ApplyReport, OutboxChange, PulledChange},
};

/// The most changes one push transaction carries.
pub const PUSH_BATCH: usize = 200;
/// The most changes one pull reads and applies at a time.
pub const PULL_PAGE: i64 = 500;

/// A desk's session with the team database, and its listener.
pub struct Session {
    pub db: TeamDb,
    pub listener: ChangeListener,
    pub desk_id: Uuid,
}

impl Session {
    /// Opens a session as this desk's member (schema and membership
    /// checked), listens for the log, reads the members' names, and makes
    /// sure this desk never numbers a change the log already has.
    pub async fn open(desk: &Arc<Mutex<Desk>>, opts: &ConnectOptions) -> Result<Session> {
        let desk_id = lock(desk)?.desk_id()?;
        let db = TeamDb::open(opts).await?;
        let listener = db.listen().await?;
        let session = Session { db, listener, desk_id };
        session.refresh_members(desk).await?;
        let highest: Option<i64> = session
            .db
            .client()
            .query_one("SELECT max(desk_seq) FROM caredesk.changes WHERE desk_id = $1", &[&desk_id])
            .await
            .map_err(|e| session.db.error(&e, "read this desk's last change"))?
            .get(0);
        if let Some(h) = highest {
            blocking(desk, move |d| Ok(d.db().team_outbox_after(h)?)).await?;
        }
        Ok(session)
    }

    /// Reads the team's members (role, display name) into the desk's cache.
    pub async fn refresh_members(&self, desk: &Arc<Mutex<Desk>>) -> Result<()> {
        let rows = self
            .db
            .client()
            .query("SELECT role::text, display_name FROM caredesk.members ORDER BY role", &[])
            .await
            .map_err(|e| self.db.error(&e, "read the team's members"))?;
        let members: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        blocking(desk, move |d| Ok(d.db().set_team_members(&members)?)).await?;
        Ok(())
    }
}

/// Runs `work` on the desk off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    desk: &Arc<Mutex<Desk>>,
    work: impl FnOnce(&Desk) -> Result<T> + Send + 'static,
) -> Result<T> {
    let desk = desk.clone();
    tokio::task::spawn_blocking(move || work(&*lock(&desk)?))
        .await
        .map_err(|e| CoreError::Io(format!("the team sync's database work stopped: {e}")))?
}

/// A batch committed to the team database and not yet forgotten locally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushedBatch {
    /// Every change of the batch (appended, already in the log, or dropped).
    pub seqs: Vec<i64>,
    /// Appended now.
    pub appended: usize,
    /// Already in the log (a push whose answer was lost).
    pub already: usize,
    /// Dropped: the team database already said so.
    pub dropped: usize,
}

impl PushedBatch {
    /// Forgets the batch's changes locally: the team has them.
    pub async fn confirm(&self, desk: &Arc<Mutex<Desk>>) -> Result<()> {
        let seqs = self.seqs.clone();
        blocking(desk, move |d| Ok(d.db().team_outbox_done(&seqs)?)).await?;
        Ok(())
    }
}

/// Pushes the oldest waiting changes (at most [`PUSH_BATCH`]) in one
/// transaction; `None` when nothing waits. The caller confirms the batch
/// ([`PushedBatch::confirm`]).
pub async fn push_batch(session: &mut Session, desk: &Arc<Mutex<Desk>>) -> Result<Option<PushedBatch>> {
    let batch: Vec<OutboxChange> = blocking(desk, |d| Ok(d.db().team_outbox_batch(PUSH_BATCH)?)).await?;
    if batch.is_empty() {
        return Ok(None);
    }
    let desk_id = session.desk_id;
    let seqs: Vec<i64> = batch.iter().map(|c| c.seq).collect();
    let tx = session.db.transaction().await?;
    let known: HashSet<i64> = tx
        .sql()
        .query("SELECT desk_seq FROM caredesk.changes WHERE desk_id = $1 AND desk_seq = ANY($2)", &[&desk_id, &seqs])
        .await
        .map_err(|e| tx.error(&e, "look for changes already pushed"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = PushedBatch { seqs: seqs.clone(), already: known.len(), ..Default::default() };
    let mut appended: Vec<(i64, String, serde_json::Value)> = Vec::new();
    for change in batch.iter().filter(|c| !known.contains(&c.seq)) {
        match state_rows::decide(&tx, change, desk_id).await? {
            Decision::Append(body) => appended.push((change.seq, change.kind.clone(), body)),
            Decision::Drop => out.dropped += 1,
        }
    }
    audit(&tx, desk_id, &appended).await?;
    let changes: Vec<NewChange> =
        appended.iter().map(|(seq, kind, body)| NewChange { desk_id, desk_seq: *seq, kind, body }).collect();
    let positions = team_db::append_all(tx, &changes).await?;
    out.appended = positions.iter().filter(|p| p.is_some()).count();
    out.already += positions.len() - out.appended;
    Ok(Some(out))
}

/// The team's audit trail: one row per appended change (who is
/// PostgreSQL's `current_user`), naming the patient, never the content.
async fn audit(
    tx: &team_db::TeamTx<'_>,
    desk_id: Uuid,
    appended: &[(i64, String, serde_json::Value)],
) -> Result<(), TeamDbError> {
    if appended.is_empty() {
        return Ok(());
    }
    let desks: Vec<Uuid> = vec![desk_id; appended.len()];
    let actions: Vec<&str> = appended.iter().map(|(_, kind, _)| kind.as_str()).collect();
    let patients: Vec<Option<Uuid>> =
        appended.iter().map(|(_, kind, body)| state_rows::patient_of(kind, body)).collect();
    let details: Vec<String> = appended.iter().map(|(seq, kind, body)| audit_detail(*seq, kind, body)).collect();
    tx.sql()
        .execute(
            "INSERT INTO caredesk.audit (desk_id, action, patient_gid, detail)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])",
            &[&desks, &actions, &patients, &details],
        )
        .await
        .map_err(|e| tx.error(&e, "write the team's audit trail"))?;
    Ok(())
}

fn audit_detail(seq: i64, kind: &str, body: &serde_json::Value) -> String {
    let s = |k: &str| body.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match kind {
        crate::store::team::kinds::ASSIGN => format!(
            "change {seq}: assign to {} ({})",
            body.get("requested").and_then(|v| v.as_str()).unwrap_or("nobody"),
            if body.get("accepted").and_then(|v| v.as_bool()) == Some(true) { "made" } else { "not made" }
        ),
        crate::store::team::kinds::STATUS => format!("change {seq}: thread {}", s("status")),
        _ => format!("change {seq}"),
    }
}

/// Pushes everything waiting, batch after batch. Returns (appended,
/// already in the log, dropped).
pub async fn push_all(session: &mut Session, desk: &Arc<Mutex<Desk>>) -> Result<(usize, usize, usize)> {
    let mut total = (0, 0, 0);
    while let Some(batch) = push_batch(session, desk).await? {
        batch.confirm(desk).await?;
        total = (total.0 + batch.appended, total.1 + batch.already, total.2 + batch.dropped);
        if batch.seqs.len() < PUSH_BATCH {
            break;
        }
    }
    Ok(total)
}

/// Reads the log after the last position applied and applies it, a page at
/// a time, until the head. A new desk that finds a long log (a full first
/// page) loads a snapshot of the team's state instead ([`super::snapshot`])
/// and goes on from its position.
pub async fn pull(session: &mut Session, desk: &Arc<Mutex<Desk>>) -> Result<ApplyReport> {
    pull_pages(session, desk, true).await
}

/// The log after the last position applied, applied change by change, a
/// page at a time, until the head (a pull that never loads a snapshot).
pub async fn pull_log(session: &mut Session, desk: &Arc<Mutex<Desk>>) -> Result<ApplyReport> {
    pull_pages(session, desk, false).await
}

async fn pull_pages(session: &mut Session, desk: &Arc<Mutex<Desk>>, snapshot: bool) -> Result<ApplyReport> {
    let mut total = ApplyReport::default();
    loop {
        let after = blocking(desk, |d| Ok(d.db().team_applied()?)).await?;
        let page = team_db::read_after(&session.db, after, PULL_PAGE).await?;
        let full = page.len() as i64 >= PULL_PAGE;
        if snapshot && after == 0 && full {
            if let Some(joined) = super::snapshot::join_if_new(session, desk).await? {
                total.applied += joined.rows;
                continue;
            }
        }
        if page.is_empty() {
            total.position = after;
            break;
        }
        let page: Vec<PulledChange> = page.into_iter().map(pulled).collect();
        let r = blocking(desk, move |d| Ok(d.db().team_apply(&page)?)).await?;
        total.applied += r.applied;
        total.unchanged += r.unchanged;
        total.shadowed += r.shadowed;
        total.skipped += r.skipped;
        total.position = r.position;
        if !full {
            break;
        }
    }
    Ok(total)
}

/// A change read from the log, as the store applies it.
pub fn pulled(c: team_db::Change) -> PulledChange {
    PulledChange {
        pos: c.pos,
        desk_id: c.desk_id.to_string(),
        desk_seq: c.desk_seq,
        actor: c.actor,
        kind: c.kind,
        body: c.body,
    }
}
