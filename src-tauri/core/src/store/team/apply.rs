//! Applying changes pulled from the team's log to this desk's store.
//!
//! - **In log order, once.** A batch is applied in one transaction that also
//!   records the last position, so a batch is applied whole or not at all,
//!   and a change at or below the recorded position is never applied again.
//! - **Idempotent.** Rows are found by gid (or by the id every desk can
//!   compute: the ECM id of a patient, the hospital SMS server's Id of a
//!   text) and upserted; a text's state only moves forward
//!   ([`crate::rules::delivery`]); a note or a read is added once. Applying a
//!   change twice changes nothing the second time.
//! - **This desk's changes win where they are still waiting.** A pulled
//!   change about something this desk changed and has not pushed yet is not
//!   applied: this desk's change comes later in the log and every desk ends
//!   with it. A change this desk made itself and already pushed only
//!   confirms what it has.
//! - **Quiet.** The `applying` row of `team_state` keeps the recording
//!   triggers from queuing a pulled change as this desk's own.
//! - **Tolerant.** A change whose body cannot be read, of a kind this desk
//!   does not know, or about a patient it does not have is skipped and
//!   logged (never its content); it does not stop the log.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    key,
    kinds::{
        self, CallBody, ConsentBody, GidBody, MessageBody, NoteBody, NumberBody, PatientBody, ReadBody, ThreadBody,
    },
    set, unset,
};
use crate::{
    rules::phone::{self, E164},
    store::{now_rfc3339, patients::name_key, Database, StoreError},
};

/// A change read from the team's log.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledChange {
    pub pos: i64,
    /// The desk that made it (its data directory's instance id).
    pub desk_id: String,
    pub desk_seq: i64,
    /// The PostgreSQL role that appended it.
    pub actor: String,
    pub kind: String,
    pub body: serde_json::Value,
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// Changes that changed this desk's store.
    pub applied: usize,
    /// Changes this desk already had (its own, or seen before).
    pub unchanged: usize,
    /// Changes about something this desk changed and has not pushed yet.
    pub shadowed: usize,
    /// Changes that could not be read or are about something unknown here.
    pub skipped: usize,
    /// The last position applied (recorded with the batch).
    pub position: i64,
}

/// Why one change was not applied.
pub(super) enum Skip {
    Unreadable(String),
    Unknown(&'static str),
}

pub(super) type Outcome = Result<bool, Skip>;

impl Database {
    /// Applies `changes` (in position order) in one transaction that also
    /// records the last position. Changes at or below the recorded position
    /// are left out.
    pub fn team_apply(&self, changes: &[PulledChange]) -> Result<ApplyReport, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let mut report = ApplyReport { position: self.team_applied()?, ..Default::default() };
        let own_role = super::get(&tx, key::ROLE)?;
        set(&tx, key::APPLYING, "1")?;
        let from = report.position;
        for change in changes.iter().filter(|c| c.pos > from) {
            tx.execute_batch("SAVEPOINT team_change")?;
            match apply_one(&tx, change, own_role.as_deref()) {
                Ok(Applied::Changed) => report.applied += 1,
                Ok(Applied::Unchanged) => report.unchanged += 1,
                Ok(Applied::Shadowed) => report.shadowed += 1,
                Ok(Applied::Skipped(why)) => {
                    let reason = match &why {
                        Skip::Unreadable(e) => e.as_str(),
                        Skip::Unknown(what) => what,
                    };
                    tracing::warn!(pos = change.pos, kind = %change.kind, reason, "a team change was not applied");
                    report.skipped += 1;
                }
                Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    // It contradicts this desk's store (an id another row
                    // holds): leave it out rather than stop the log.
                    tx.execute_batch("ROLLBACK TO team_change")?;
                    tracing::warn!(pos = change.pos, kind = %change.kind, "a team change conflicts with this desk's records; left out");
                    report.skipped += 1;
                }
                Err(e) => return Err(e),
            }
            tx.execute_batch("RELEASE team_change")?;
            report.position = change.pos;
        }
        unset(&tx, key::APPLYING)?;
        set(&tx, key::APPLIED, &report.position.to_string())?;
        tx.commit()?;
        Ok(report)
    }
}

enum Applied {
    Changed,
    Unchanged,
    Shadowed,
    Skipped(Skip),
}

fn apply_one(c: &Connection, change: &PulledChange, own_role: Option<&str>) -> Result<Applied, StoreError> {
    let Some(entity) = kinds::entity(&change.kind, &change.body, &change.actor) else {
        return Ok(Applied::Skipped(if kinds::ALL.contains(&change.kind.as_str()) {
            Skip::Unreadable("the body lacks its ids".into())
        } else {
            Skip::Unknown("a kind of change this CareDesk does not know (update it)")
        }));
    };
    if waiting(c, &entity)? {
        return Ok(Applied::Shadowed);
    }
    let outcome = match change.kind.as_str() {
        kinds::PATIENT => read(change).map(|b| patient(c, &b)),
        kinds::NUMBER => read(change).map(|b| number(c, &b)),
        kinds::CONSENT => read(change).map(|b| consent(c, &b, &change.actor)),
        kinds::MESSAGE => read(change).map(|b| message(c, &b)),
        kinds::MESSAGE_DELETE => read(change).map(|b: GidBody| message_delete(c, &b.gid)),
        kinds::CALL => read(change).map(|b| call(c, &b)),
        kinds::NOTE => read(change).map(|b| note(c, &b, &change.actor)),
        kinds::ASSIGN | kinds::STATUS => read(change).map(|b| thread(c, &b)),
        kinds::READ => read(change).map(|b| member_read(c, &b, &change.actor, own_role)),
        kinds::CURSOR => read(change).map(|b| super::cursor::apply(c, &b)),
        kinds::TEMPLATE => read(change).map(|b| super::outreach::template(c, &b)),
        kinds::CAMPAIGN => read(change).map(|b| super::outreach::campaign(c, &b, &change.actor)),
        _ => unreachable!("entity() names only known kinds"),
    };
    Ok(match outcome {
        Err(skip) => Applied::Skipped(skip),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(Ok(true))) => Applied::Changed,
        Ok(Ok(Ok(false))) => Applied::Unchanged,
        Ok(Ok(Err(skip))) => Applied::Skipped(skip),
    })
}

fn read<T: serde::de::DeserializeOwned>(change: &PulledChange) -> Result<T, Skip> {
    serde_path_to_error::deserialize(&change.body)
        .map_err(|e| Skip::Unreadable(format!("at {}: {}", e.path(), e.inner())))
}

/// Whether a change of this desk's about `entity` waits to be pushed.
fn waiting(c: &Connection, entity: &str) -> Result<bool, StoreError> {
    Ok(c.prepare_cached("SELECT EXISTS (SELECT 1 FROM team_outbox WHERE entity = ?1)")?
        .query_row([entity], |r| r.get(0))?)
}

fn patient_id(c: &Connection, gid: &str) -> Result<Option<i64>, StoreError> {
    Ok(c.prepare_cached("SELECT id FROM patients WHERE gid = ?1")?.query_row([gid], |r| r.get(0)).optional()?)
}

fn message_id(c: &Connection, gid: &str) -> Result<Option<i64>, StoreError> {
    Ok(c.prepare_cached("SELECT id FROM messages WHERE gid = ?1")?.query_row([gid], |r| r.get(0)).optional()?)
}

pub(super) fn patient(c: &Connection, b: &PatientBody) -> Result<Outcome, StoreError> {
    let mut id = patient_id(c, &b.gid)?;
    if id.is_none() {
        // The same patient under an id every desk computes (one roster
        // imported on two desks before they joined): it takes the team's gid.
        let by_ecm = match b.ecm_patient_id {
            Some(ecm) => c
                .query_row("SELECT id FROM patients WHERE ecm_patient_id = ?1 AND gid IS NULL", [ecm], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let by_fhir = match (&by_ecm, &b.fhir_id) {
            (None, Some(f)) => c
                .query_row("SELECT id FROM patients WHERE fhir_id = ?1 AND gid IS NULL", [f], |r| r.get(0))
                .optional()?,
            _ => None,
        };
        if let Some(found) = by_ecm.or(by_fhir) {
            c.execute("UPDATE patients SET gid = ?2 WHERE id = ?1", params![found, b.gid])?;
            id = Some(found);
        }
    }
    // An ECM or FHIR id another patient here holds stays with that one.
    let ecm = match b.ecm_patient_id {
        Some(e) if holds(c, "ecm_patient_id", &e, id)? => None,
        other => other,
    };
    let fhir = match &b.fhir_id {
        Some(f) if holds(c, "fhir_id", f, id)? => None,
        other => other.clone(),
    };
    let now = now_rfc3339();
    match id {
        Some(id) => {
            let n = c.execute(
                "UPDATE patients SET name = ?2, name_key = ?3, ecm_patient_id = ?4, fhir_id = ?5, updated_at = ?6
                  WHERE id = ?1 AND (name IS NOT ?2 OR ecm_patient_id IS NOT ?4 OR fhir_id IS NOT ?5)",
                params![id, b.name, name_key(&b.name), ecm, fhir, now],
            )?;
            Ok(Ok(n > 0))
        }
        None => {
            let created = b.created_at.clone().unwrap_or_else(|| now.clone());
            c.prepare_cached(
                "INSERT INTO patients (gid, ecm_patient_id, fhir_id, name, name_key, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![b.gid, ecm, fhir, b.name, name_key(&b.name), created, now])?;
            Ok(Ok(true))
        }
    }
}

/// Whether another patient than `except` holds `value` in `column`.
fn holds(c: &Connection, column: &str, value: &dyn rusqlite::ToSql, except: Option<i64>) -> Result<bool, StoreError> {
    Ok(c.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM patients WHERE {column} = ?1 AND id IS NOT ?2)"),
        params![value, except],
        |r| r.get(0),
    )?)
}

pub(super) fn number(c: &Connection, b: &NumberBody) -> Result<Outcome, StoreError> {
    let Some(pid) = patient_id(c, &b.patient_gid)? else {
        return Ok(Err(Skip::Unknown("a number of a patient this desk does not have")));
    };
    if !matches!(b.kind.as_str(), "patient" | "contact") || !matches!(b.source.as_str(), "import" | "staff" | "link") {
        return Ok(Err(Skip::Unreadable("a number's kind or source is not one CareDesk knows".into())));
    }
    let e164 = E164::from_trusted(b.number.clone());
    let now = now_rfc3339();
    let n = c
        .prepare_cached(
            "INSERT INTO contact_points (patient_id, kind, name, relationship, number, digits, national, rank, active,
                                     source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
         ON CONFLICT(patient_id, number) DO UPDATE SET kind = excluded.kind, name = excluded.name,
            relationship = excluded.relationship, rank = excluded.rank, active = excluded.active,
            source = excluded.source, updated_at = excluded.updated_at
          WHERE kind IS NOT excluded.kind OR name IS NOT excluded.name OR relationship IS NOT excluded.relationship
             OR rank IS NOT excluded.rank OR active IS NOT excluded.active OR source IS NOT excluded.source",
        )?
        .execute(params![
            pid,
            b.kind,
            b.name,
            b.relationship,
            b.number,
            e164.digits(),
            phone::national_digits(&e164),
            b.rank,
            b.active,
            b.source,
            now
        ])?;
    Ok(Ok(n > 0))
}

pub(super) fn consent(c: &Connection, b: &ConsentBody, actor: &str) -> Result<Outcome, StoreError> {
    if !matches!(b.state.as_str(), "opted_in" | "opted_out") {
        return Ok(Err(Skip::Unreadable("a consent state CareDesk does not know".into())));
    }
    let old: Option<String> =
        c.query_row("SELECT state FROM sms_consent WHERE number = ?1", [&b.number], |r| r.get(0)).optional()?;
    if old.as_deref() == Some(b.state.as_str()) {
        return Ok(Ok(false));
    }
    let message = match &b.source_message_gid {
        Some(g) => message_id(c, g)?,
        None => None,
    };
    let now = now_rfc3339();
    let source = if b.source.is_empty() { "team" } else { b.source.as_str() };
    c.execute(
        "INSERT INTO sms_consent (number, state, source, source_message_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(number) DO UPDATE SET state = excluded.state, source = excluded.source,
            source_message_id = excluded.source_message_id, updated_at = excluded.updated_at",
        params![b.number, b.state, source, message, b.updated_at.clone().unwrap_or_else(|| now.clone())],
    )?;
    c.execute(
        "INSERT INTO consent_log (number, old_state, new_state, source, source_message_id, note, actor, at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'recorded by a colleague''s desk (team)', ?6, ?7)",
        params![b.number, old, b.state, source, message, actor, now],
    )?;
    Ok(Ok(true))
}

/// This desk's copy of a text, in the change body's shape.
fn local_message(c: &Connection, id: i64) -> Result<MessageBody, StoreError> {
    let body: String =
        c.prepare_cached("SELECT body FROM team_message_body WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    serde_json::from_str(&body).map_err(|e| StoreError::Io(format!("a text's body does not read back: {e}")))
}

fn message(c: &Connection, b: &MessageBody) -> Result<Outcome, StoreError> {
    if !matches!(b.direction.as_str(), "inbound" | "outbound") || !matches!(b.route.as_str(), "his" | "ecm") {
        return Ok(Err(Skip::Unreadable("a text's direction or route is not one CareDesk knows".into())));
    }
    let mut id = message_id(c, &b.gid)?;
    if id.is_none() {
        if let Some(his) = b.his_id {
            // The same text stored here under another gid (a reply this desk
            // read itself before it joined): it takes the team's gid.
            id = c.query_row("SELECT id FROM messages WHERE his_id = ?1", [his], |r| r.get(0)).optional()?;
            if let Some(found) = id {
                c.execute("UPDATE messages SET gid = ?2 WHERE id = ?1", params![found, b.gid])?;
            }
        }
    }
    let changed = match id {
        None => {
            insert_message(c, b)?;
            true
        }
        Some(id) => {
            let mut mine = local_message(c, id)?;
            // A colleague's ExternalKey stays theirs (see insert_message).
            let theirs = MessageBody { external_key: mine.external_key.clone(), ..b.clone() };
            let mut changed = mine.merge(&theirs);
            // Who sent it is the team database's word (its members' names),
            // over what the sending desk called its member.
            if b.sent_by.is_some() && (&mine.sent_by, &mine.sent_by_role) != (&b.sent_by, &b.sent_by_role) {
                mine.sent_by = b.sent_by.clone();
                mine.sent_by_role = b.sent_by_role.clone();
                changed = true;
            }
            if changed {
                update_message(c, id, &mine)?;
                true
            } else {
                false
            }
        }
    };
    let thread_changed = match &b.thread {
        Some(t) if !waiting(c, &format!("thread:{}", t.patient_gid))? => thread(c, t)?.unwrap_or(false),
        _ => false,
    };
    Ok(Ok(changed || thread_changed))
}

pub(super) fn insert_message(c: &Connection, b: &MessageBody) -> Result<(), StoreError> {
    let patient = match &b.patient_gid {
        Some(g) => patient_id(c, g)?,
        None => None,
    };
    let retried_as = match &b.retried_as_gid {
        Some(g) => message_id(c, g)?,
        None => None,
    };
    // A colleague's ExternalKey is theirs: this desk's outbox never checks it.
    c.prepare_cached(
        "INSERT INTO messages (gid, patient_id, direction, route, from_number, to_number, intended_to, body, state,
                               server_state, error_code, error_message, his_id, ecm_sms_id, twilio_sid,
                               reply_to_his_id, is_test, flagged, unmatched_reply, sent_by, sent_by_role, retried_as,
                               created_at, updated_at, server_created_at, server_updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26)",
    )?
    .execute(params![
        b.gid,
        patient,
        b.direction,
        b.route,
        b.from,
        b.to,
        b.intended_to,
        b.body,
        b.state,
        b.server_state,
        b.error_code,
        b.error_message,
        b.his_id,
        b.ecm_sms_id,
        b.twilio_sid,
        b.reply_to_his_id,
        b.is_test,
        b.flagged,
        b.unmatched_reply,
        b.sent_by,
        b.sent_by_role,
        retried_as,
        b.created_at,
        now_rfc3339(),
        b.server_created_at,
        b.server_updated_at
    ])?;
    Ok(())
}

fn update_message(c: &Connection, id: i64, m: &MessageBody) -> Result<(), StoreError> {
    c.execute(
        "UPDATE messages SET state = ?2, server_state = ?3, error_code = ?4, error_message = ?5, from_number = ?6,
                his_id = ?7, ecm_sms_id = ?8, twilio_sid = ?9, reply_to_his_id = ?10, flagged = ?11, sent_by = ?12,
                sent_by_role = ?13, retried_as = COALESCE((SELECT id FROM messages WHERE gid = ?14), retried_as),
                server_created_at = ?15, server_updated_at = ?16,
                patient_id = COALESCE((SELECT id FROM patients WHERE gid = ?17), patient_id), updated_at = ?18
          WHERE id = ?1",
        params![
            id,
            m.state,
            m.server_state,
            m.error_code,
            m.error_message,
            m.from,
            m.his_id,
            m.ecm_sms_id,
            m.twilio_sid,
            m.reply_to_his_id,
            m.flagged,
            m.sent_by,
            m.sent_by_role,
            m.retried_as_gid,
            m.server_created_at,
            m.server_updated_at,
            m.patient_gid,
            now_rfc3339()
        ],
    )?;
    Ok(())
}

/// A colleague took back a text before it left: it goes here too (only a
/// text no server took; this desk's own texts are its outbox's).
fn message_delete(c: &Connection, gid: &str) -> Result<Outcome, StoreError> {
    let n = c.execute(
        "DELETE FROM messages WHERE gid = ?1 AND direction = 'outbound' AND his_id IS NULL AND ecm_sms_id IS NULL
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = messages.id)
            AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.text_message_id = messages.id)",
        [gid],
    )?;
    Ok(Ok(n > 0))
}

pub(super) fn call(c: &Connection, b: &CallBody) -> Result<Outcome, StoreError> {
    let patient = match &b.patient_gid {
        Some(g) => patient_id(c, g)?,
        None => None,
    };
    let existing: Option<i64> =
        c.prepare_cached("SELECT id FROM calls WHERE gid = ?1")?.query_row([&b.gid], |r| r.get(0)).optional()?;
    let now = now_rfc3339();
    let n = match existing {
        None => c.prepare_cached(
            "INSERT INTO calls (gid, patient_id, direction, to_number, from_number, status, ecm_call_id, twilio_sid,
                                error_message, placed_by, placed_by_role, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")?.execute(params![
                b.gid,
                patient,
                b.direction,
                b.to,
                b.from,
                b.status,
                b.ecm_call_id,
                b.twilio_sid,
                b.error_message,
                b.placed_by,
                b.placed_by_role,
                b.created_at,
                now
            ])?,
        Some(id) => c.execute(
            "UPDATE calls SET patient_id = COALESCE(?2, patient_id), from_number = ?3, status = ?4, ecm_call_id = ?5,
                    twilio_sid = ?6, error_message = ?7, placed_by = ?8, placed_by_role = ?9, updated_at = ?10
              WHERE id = ?1 AND (from_number IS NOT ?3 OR status IS NOT ?4 OR ecm_call_id IS NOT ?5
                    OR twilio_sid IS NOT ?6 OR error_message IS NOT ?7 OR placed_by IS NOT ?8
                    OR placed_by_role IS NOT ?9 OR (?2 IS NOT NULL AND patient_id IS NOT ?2))",
            params![
                id,
                patient,
                b.from,
                b.status,
                b.ecm_call_id,
                b.twilio_sid,
                b.error_message,
                b.placed_by,
                b.placed_by_role,
                now
            ],
        )?,
    };
    Ok(Ok(n > 0))
}

pub(super) fn note(c: &Connection, b: &NoteBody, actor: &str) -> Result<Outcome, StoreError> {
    let Some(pid) = patient_id(c, &b.patient_gid)? else {
        return Ok(Err(Skip::Unknown("a note on a patient this desk does not have")));
    };
    let name = match c
        .prepare_cached("SELECT display_name FROM team_members WHERE role = ?1")?
        .query_row([actor], |r| r.get::<_, String>(0))
        .optional()?
    {
        Some(n) => n,
        None => b.author_name.clone().unwrap_or_else(|| actor.to_string()),
    };
    // A note is written once; its author is the role that appended it, by
    // the name the team gives them (the author's own desk may have named
    // them before it knew it).
    let n = c
        .prepare_cached(
            "INSERT INTO notes (gid, patient_id, author_role, author_name, text, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(gid) DO UPDATE SET author_role = excluded.author_role, author_name = excluded.author_name
          WHERE author_role IS NOT excluded.author_role OR author_name IS NOT excluded.author_name",
        )?
        .execute(params![b.gid, pid, actor, name, b.text, b.at])?;
    Ok(Ok(n > 0))
}

/// A thread's state as PostgreSQL decided it; a version older than the one
/// here changes nothing.
pub(super) fn thread(c: &Connection, b: &ThreadBody) -> Result<Outcome, StoreError> {
    let Some(pid) = patient_id(c, &b.patient_gid)? else {
        return Ok(Err(Skip::Unknown("a thread of a patient this desk does not have")));
    };
    if !matches!(b.status.as_str(), "open" | "closed") {
        return Ok(Err(Skip::Unreadable("a thread status CareDesk does not know".into())));
    }
    let n = c.prepare_cached(
        "INSERT INTO team_threads (patient_id, assigned_to, status, version, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(patient_id) DO UPDATE SET assigned_to = excluded.assigned_to, status = excluded.status,
            version = excluded.version, updated_at = excluded.updated_at
          WHERE excluded.version >= team_threads.version
            AND (assigned_to IS NOT excluded.assigned_to OR status IS NOT excluded.status
                 OR version IS NOT excluded.version)")?.execute(params![pid, b.assigned_to, b.status, b.version, now_rfc3339()])?;
    Ok(Ok(n > 0))
}

/// What a member read. This member's own reads (on another desk) also mark
/// the texts read here.
pub(super) fn member_read(
    c: &Connection,
    b: &ReadBody,
    role: &str,
    own_role: Option<&str>,
) -> Result<Outcome, StoreError> {
    let Some(pid) = patient_id(c, &b.patient_gid)? else {
        return Ok(Err(Skip::Unknown("a read of a patient this desk does not have")));
    };
    let n = c
        .prepare_cached(
            "INSERT INTO member_reads (role, patient_id, read_up_to) VALUES (?1, ?2, ?3)
         ON CONFLICT(role, patient_id) DO UPDATE SET read_up_to = excluded.read_up_to
          WHERE excluded.read_up_to > member_reads.read_up_to",
        )?
        .execute(params![role, pid, b.read_up_to])?;
    let mut marked = 0;
    if own_role == Some(role) {
        // Up to the newest text read, as this desk dated it when it has it.
        let upto: String = match &b.last_message_gid {
            Some(g) => c
                .prepare_cached("SELECT created_at FROM messages WHERE gid = ?1")?
                .query_row([g], |r| r.get(0))
                .optional()?
                .map(|t: String| t.max(b.read_up_to.clone()))
                .unwrap_or_else(|| b.read_up_to.clone()),
            None => b.read_up_to.clone(),
        };
        marked = c
            .prepare_cached(
                "UPDATE messages SET read_at = ?3, updated_at = ?3
                  WHERE patient_id = ?1 AND direction = 'inbound' AND read_at IS NULL AND created_at <= ?2",
            )?
            .execute(params![pid, upto, now_rfc3339()])?;
    }
    Ok(Ok(n + marked > 0))
}
