//! The team database's state rows, written in the push's transaction before
//! its changes are appended: what a change does to `caredesk.patients`,
//! `messages`, `threads`… and what the log then says.
//!
//! The plan for each change ([`Decision`]):
//! - **Append** it, as the desk wrote it or as PostgreSQL decided it: an
//!   assignment is made only if the thread is still assigned as the desk saw
//!   it (the first of two members assigning at once wins: the second
//!   transaction waits for the first's row lock and then sees its result);
//!   a text's copies merge (states only move forward, `sent_by` is the
//!   member's display name from `members`); a new reply reopens a closed
//!   thread.
//! - **Drop** it: the team database already says exactly that (the same
//!   reply stored by two desks, a patient imported on two desks), so the
//!   log does not grow with copies. Only when the desk has nothing to learn
//!   either, so every desk still ends with the log's last word.
//!
//! A state row that contradicts the team's (an ECM id or server id another
//! row holds, a patient the team does not have) is left out, logged, and the
//! change is appended all the same: desks follow the log, and one odd row
//! never blocks a desk's queue.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::{error::SqlState, Row};
use uuid::Uuid;

use super::pg_rows::{message_row, rfc3339, MESSAGE_COLUMNS};
use crate::{
    gateways::team_db::{TeamDbError, TeamTx},
    store::team::{
        kinds::{
            self, AssignRequest, CallBody, ConsentBody, CursorBody, GidBody, MessageBody, NoteBody, NumberBody,
            PatientBody, ReadBody, StatusRequest, ThreadBody,
        },
        OutboxChange,
    },
};

/// What the push does with one change.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Append it with this body.
    Append(Value),
    /// The team database already says so: nothing to append.
    Drop,
}

type Tx<'a, 'b> = &'a TeamTx<'b>;

/// Writes `change`'s state rows and says what to append.
pub async fn decide(tx: Tx<'_, '_>, change: &OutboxChange, desk_id: Uuid) -> Result<Decision, TeamDbError> {
    let append = || Ok(Decision::Append(change.body.clone()));
    let Some(body) = Body::read(change) else {
        tracing::warn!(kind = %change.kind, seq = change.seq, "a queued change does not read; appended as it is");
        return append();
    };
    match body {
        Body::Patient(b) => patient(tx, &b, &change.body).await,
        Body::Number(b) => number(tx, &b, &change.body).await,
        Body::Consent(b) => consent(tx, &b, &change.body).await,
        Body::Message(b) => message(tx, *b, desk_id).await,
        Body::MessageDelete(b) => {
            if let Some(gid) = uuid(&b.gid) {
                guarded(tx, "delete a text", async {
                    tx.sql()
                        .execute(
                            "DELETE FROM caredesk.messages WHERE gid = $1 AND his_id IS NULL AND ecm_sms_id IS NULL",
                            &[&gid],
                        )
                        .await
                })
                .await?;
            }
            append()
        }
        Body::Call(b) => call(tx, b).await,
        Body::Note(b) => note(tx, &b, &change.body).await,
        Body::Assign(b) => assign(tx, &b).await,
        Body::Status(b) => status(tx, &b).await,
        Body::Read(b) => read(tx, &b, &change.body).await,
        Body::Cursor(b) => super::cursor_row::cursor(tx, &b, &change.body).await,
        Body::Unknown => append(),
    }
}

/// A queued change's body, read by kind.
enum Body {
    Patient(PatientBody),
    Number(NumberBody),
    Consent(ConsentBody),
    Message(Box<MessageBody>),
    MessageDelete(GidBody),
    Call(CallBody),
    Note(NoteBody),
    Assign(AssignRequest),
    Status(StatusRequest),
    Read(ReadBody),
    Cursor(CursorBody),
    Unknown,
}

impl Body {
    fn read(change: &OutboxChange) -> Option<Body> {
        fn de<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
            serde_json::from_value(v.clone()).ok()
        }
        let v = &change.body;
        Some(match change.kind.as_str() {
            kinds::PATIENT => Body::Patient(de(v)?),
            kinds::NUMBER => Body::Number(de(v)?),
            kinds::CONSENT => Body::Consent(de(v)?),
            kinds::MESSAGE => Body::Message(Box::new(de(v)?)),
            kinds::MESSAGE_DELETE => Body::MessageDelete(de(v)?),
            kinds::CALL => Body::Call(de(v)?),
            kinds::NOTE => Body::Note(de(v)?),
            kinds::ASSIGN => Body::Assign(de(v)?),
            kinds::STATUS => Body::Status(de(v)?),
            kinds::READ => Body::Read(de(v)?),
            kinds::CURSOR => Body::Cursor(de(v)?),
            _ => Body::Unknown,
        })
    }
}

fn uuid(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s).ok()
}

fn time(s: Option<&str>) -> DateTime<Utc> {
    s.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc)).unwrap_or_else(Utc::now)
}

/// Whether a failure means the row contradicts the team's data (a key
/// another row holds, a row it refers to missing, a value out of range),
/// rather than the database being unwell.
fn contradicts(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("23") || c.code().starts_with("22"))
}

/// Runs `work` in a savepoint: `None` (the row left out, the savepoint
/// rolled back) when it contradicts the team's data; other failures end
/// the push (it is tried again).
async fn guarded<T>(
    tx: Tx<'_, '_>,
    what: &str,
    work: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<Option<T>, TeamDbError> {
    let sql = tx.sql();
    sql.batch_execute("SAVEPOINT caredesk_row").await.map_err(|e| tx.error(&e, what))?;
    match work.await {
        Ok(v) => {
            sql.batch_execute("RELEASE caredesk_row").await.map_err(|e| tx.error(&e, what))?;
            Ok(Some(v))
        }
        Err(e) if contradicts(&e) => {
            sql.batch_execute("ROLLBACK TO caredesk_row; RELEASE caredesk_row")
                .await
                .map_err(|e| tx.error(&e, what))?;
            tracing::warn!(what, sqlstate = e.code().map(SqlState::code), "a team state row was left out");
            Ok(None)
        }
        Err(e) => Err(tx.error(&e, what)),
    }
}

/// The appended body, or nothing when the team already says so.
fn changed(rows: Option<Vec<Row>>, body: &Value) -> Decision {
    match rows {
        Some(r) if r.is_empty() => Decision::Drop,
        _ => Decision::Append(body.clone()),
    }
}

async fn patient(tx: Tx<'_, '_>, b: &PatientBody, body: &Value) -> Result<Decision, TeamDbError> {
    let Some(gid) = uuid(&b.gid) else { return Ok(Decision::Append(body.clone())) };
    // created_at is the patient's first (as a desk applying the log keeps it).
    let created =
        b.created_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    let sql =
        "INSERT INTO caredesk.patients (gid, name, ecm_patient_id, fhir_id, created_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (gid) DO UPDATE SET name = excluded.name, ecm_patient_id = excluded.ecm_patient_id,
                  fhir_id = excluded.fhir_id, updated_at = now(), updated_by = current_user
                WHERE (patients.name, patients.ecm_patient_id, patients.fhir_id)
                      IS DISTINCT FROM (excluded.name, excluded.ecm_patient_id, excluded.fhir_id)
               RETURNING 1";
    let rows =
        guarded(tx, "write a patient", tx.sql().query(sql, &[&gid, &b.name, &b.ecm_patient_id, &b.fhir_id, &created]))
            .await?;
    if rows.is_some() {
        return Ok(changed(rows, body));
    }
    // The ECM or FHIR id is another patient's in the team: keep the patient
    // without them (the log still carries them).
    let none: (Option<i64>, Option<String>) = (None, None);
    guarded(tx, "write a patient", tx.sql().query(sql, &[&gid, &b.name, &none.0, &none.1, &created])).await?;
    Ok(Decision::Append(body.clone()))
}

async fn number(tx: Tx<'_, '_>, b: &NumberBody, body: &Value) -> Result<Decision, TeamDbError> {
    let Some(pgid) = uuid(&b.patient_gid) else { return Ok(Decision::Append(body.clone())) };
    let rank = i32::try_from(b.rank).unwrap_or(i32::MAX);
    let rows = guarded(
        tx,
        "write a number",
        tx.sql().query(
            "INSERT INTO caredesk.patient_numbers (patient_gid, number, kind, name, relationship, rank, active, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (patient_gid, number) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                relationship = excluded.relationship, rank = excluded.rank, active = excluded.active,
                source = excluded.source, updated_at = now()
              WHERE (patient_numbers.kind, patient_numbers.name, patient_numbers.relationship, patient_numbers.rank,
                     patient_numbers.active, patient_numbers.source)
                    IS DISTINCT FROM (excluded.kind, excluded.name, excluded.relationship, excluded.rank, excluded.active,
                                      excluded.source)
             RETURNING 1",
            &[&pgid, &b.number, &b.kind, &b.name, &b.relationship, &rank, &b.active, &b.source],
        ),
    )
    .await?;
    Ok(changed(rows, body))
}

async fn consent(tx: Tx<'_, '_>, b: &ConsentBody, body: &Value) -> Result<Decision, TeamDbError> {
    let source_gid = b.source_message_gid.as_deref().and_then(uuid);
    let source = if b.source.is_empty() { "staff" } else { b.source.as_str() };
    let rows = guarded(
        tx,
        "write consent",
        tx.sql().query(
            "INSERT INTO caredesk.consent (number, state, source, source_message_gid) VALUES ($1, $2, $3, $4)
             ON CONFLICT (number) DO UPDATE SET state = excluded.state, source = excluded.source,
                source_message_gid = excluded.source_message_gid, updated_at = now(), updated_by = current_user
              WHERE consent.state IS DISTINCT FROM excluded.state
             RETURNING 1",
            &[&b.number, &b.state, &source, &source_gid],
        ),
    )
    .await?;
    Ok(changed(rows, body))
}

/// Whether `merged` changes what the team database holds of `pg` (the
/// columns it keeps).
fn team_learns(pg: &MessageBody, merged: &MessageBody) -> bool {
    (&pg.state, &pg.server_state, &pg.error_code, &pg.error_message, &pg.from, &pg.patient_gid)
        != (
            &merged.state,
            &merged.server_state,
            &merged.error_code,
            &merged.error_message,
            &merged.from,
            &merged.patient_gid,
        )
        || (pg.his_id, pg.ecm_sms_id, &pg.external_key, pg.reply_to_his_id, &pg.sent_by)
            != (merged.his_id, merged.ecm_sms_id, &merged.external_key, merged.reply_to_his_id, &merged.sent_by)
        || (&pg.twilio_sid, &pg.flagged, &pg.retried_as_gid, &pg.server_created_at, &pg.server_updated_at)
            != (
                &merged.twilio_sid,
                &merged.flagged,
                &merged.retried_as_gid,
                &merged.server_created_at,
                &merged.server_updated_at,
            )
}

async fn message(tx: Tx<'_, '_>, desk: MessageBody, desk_id: Uuid) -> Result<Decision, TeamDbError> {
    let Some(gid) = uuid(&desk.gid) else { return Ok(Decision::Append(serde_json::to_value(&desk).expect("a body"))) };
    let err = |e: tokio_postgres::Error| tx.error(&e, "read a text");
    let found = tx
        .sql()
        .query_opt(&format!("SELECT {MESSAGE_COLUMNS} FROM caredesk.messages WHERE gid = $1 FOR UPDATE"), &[&gid])
        .await
        .map_err(err)?;
    let patient_gid = desk.patient_gid.as_deref().and_then(uuid);
    match found {
        None => insert_message(tx, desk, gid, patient_gid, desk_id).await,
        Some(row) => {
            let pg = message_row(&row).map_err(err)?;
            let mut merged = pg.clone();
            merged.merge(&desk);
            // The desk-only fields (flags, server times) come from the desk.
            let mut desk_view = desk.clone();
            // Who sent it is the team's word: a desk that named its member
            // otherwise learns the team's name.
            let renamed =
                pg.sent_by.is_some() && (&desk.sent_by, &desk.sent_by_role) != (&pg.sent_by, &pg.sent_by_role);
            let desk_learns = desk_view.merge(&merged) || renamed;
            if !team_learns(&pg, &merged) && !desk_learns {
                return Ok(Decision::Drop);
            }
            if team_learns(&pg, &merged) {
                let merged_patient = merged.patient_gid.as_deref().and_then(uuid);
                guarded(
                    tx,
                    "update a text",
                    tx.sql().execute(
                        "UPDATE caredesk.messages SET state = $2, server_state = $3, error_code = $4, error_message = $5,
                                from_number = $6, his_id = $7, ecm_sms_id = $8, external_key = $9, reply_to_his_id = $10,
                                sent_by = COALESCE(sent_by, $11),
                                patient_gid = COALESCE((SELECT gid FROM caredesk.patients WHERE gid = $12), patient_gid),
                                twilio_sid = $13, flagged = $14,
                                retried_as_gid = COALESCE((SELECT gid FROM caredesk.messages WHERE gid = $15), retried_as_gid),
                                server_created_at = $16, server_updated_at = $17, updated_at = now()
                          WHERE gid = $1",
                        &[
                            &gid,
                            &merged.state,
                            &merged.server_state,
                            &merged.error_code,
                            &merged.error_message,
                            &merged.from,
                            &merged.his_id,
                            &merged.ecm_sms_id,
                            &merged.external_key,
                            &merged.reply_to_his_id,
                            &merged.sent_by,
                            &merged_patient,
                            &merged.twilio_sid,
                            &merged.flagged,
                            &merged.retried_as_gid.as_deref().and_then(uuid),
                            &merged.server_created_at,
                            &merged.server_updated_at,
                        ],
                    ),
                )
                .await?;
            }
            // What the log says: the desk's copy with the team's word merged in.
            let mut out = desk_view;
            out.sent_by = pg.sent_by.or(out.sent_by);
            out.sent_by_role = pg.sent_by_role.or(out.sent_by_role);
            Ok(Decision::Append(serde_json::to_value(&out).expect("a body")))
        }
    }
}

async fn insert_message(
    tx: Tx<'_, '_>,
    mut m: MessageBody,
    gid: Uuid,
    patient_gid: Option<Uuid>,
    desk_id: Uuid,
) -> Result<Decision, TeamDbError> {
    // Who sent it is PostgreSQL's: the member pushing the text they sent,
    // by the display name the administrator gave them.
    let outbound = m.direction == "outbound";
    let created = time(Some(&m.created_at));
    let row = guarded(
        tx,
        "write a text",
        tx.sql().query_one(
            "INSERT INTO caredesk.messages (gid, patient_gid, direction, route, from_number, to_number, intended_to, body,
                                            state, server_state, error_code, error_message, his_id, ecm_sms_id,
                                            external_key, reply_to_his_id, is_test, sent_by, sent_by_role, desk_id,
                                            created_at, twilio_sid, flagged, unmatched_reply, retried_as_gid,
                                            server_created_at, server_updated_at)
             VALUES ($1, (SELECT gid FROM caredesk.patients WHERE gid = $2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                     $13, $14, $15, $16, $17,
                     CASE WHEN $18 THEN COALESCE((SELECT display_name FROM caredesk.members WHERE role = current_user), $19) END,
                     CASE WHEN $18 THEN current_user END, $20, $21, $22, $23, $24,
                     (SELECT gid FROM caredesk.messages WHERE gid = $25), $26, $27)
             RETURNING sent_by, sent_by_role::text",
            &[
                &gid,
                &patient_gid,
                &m.direction,
                &m.route,
                &m.from,
                &m.to,
                &m.intended_to,
                &m.body,
                &m.state,
                &m.server_state,
                &m.error_code,
                &m.error_message,
                &m.his_id,
                &m.ecm_sms_id,
                &m.external_key,
                &m.reply_to_his_id,
                &m.is_test,
                &outbound,
                &m.sent_by,
                &desk_id,
                &created,
                &m.twilio_sid,
                &m.flagged,
                &m.unmatched_reply,
                &m.retried_as_gid.as_deref().and_then(uuid),
                &m.server_created_at,
                &m.server_updated_at,
            ],
        ),
    )
    .await?;
    let row = match row {
        Some(row) => row,
        None => {
            // A server id another text holds: keep the text without its ids.
            let (his, ecm, key): (Option<i64>, Option<i64>, Option<String>) = (None, None, None);
            let again = guarded(
                tx,
                "write a text",
                tx.sql().query_one(
                    "INSERT INTO caredesk.messages (gid, patient_gid, direction, route, from_number, to_number, body,
                                                    state, his_id, ecm_sms_id, external_key, is_test, desk_id, created_at)
                     VALUES ($1, (SELECT gid FROM caredesk.patients WHERE gid = $2), $3, $4, $5, $6, $7, $8, $9, $10, $11,
                             $12, $13, $14)
                     RETURNING sent_by, sent_by_role::text",
                    &[
                        &gid,
                        &patient_gid,
                        &m.direction,
                        &m.route,
                        &m.from,
                        &m.to,
                        &m.body,
                        &m.state,
                        &his,
                        &ecm,
                        &key,
                        &m.is_test,
                        &desk_id,
                        &created,
                    ],
                ),
            )
            .await?;
            if again.is_none() {
                return Ok(Decision::Append(serde_json::to_value(&m).expect("a body")));
            }
            again.expect("checked")
        }
    };
    if outbound {
        m.sent_by = row.get(0);
        m.sent_by_role = row.get(1);
    }
    // A new reply reopens its closed thread (one that came after the close:
    // a desk that was offline may push an older reply late).
    if m.direction == "inbound" {
        if let Some(pgid) = patient_gid {
            let reopened = tx
                .sql()
                .query_opt(
                    "UPDATE caredesk.threads SET status = 'open', version = version + 1, updated_at = now(),
                            updated_by = current_user
                      WHERE patient_gid = $1 AND status = 'closed' AND updated_at < $2
                     RETURNING assigned_to::text, status, version",
                    &[&pgid, &created],
                )
                .await
                .map_err(|e| tx.error(&e, "reopen a thread"))?;
            if let Some(r) = reopened {
                m.thread = Some(ThreadBody {
                    patient_gid: pgid.to_string(),
                    assigned_to: r.get(0),
                    status: r.get(1),
                    version: r.get(2),
                    accepted: None,
                    requested: None,
                });
            }
        }
    }
    Ok(Decision::Append(serde_json::to_value(&m).expect("a body")))
}

async fn call(tx: Tx<'_, '_>, mut b: CallBody) -> Result<Decision, TeamDbError> {
    let Some(gid) = uuid(&b.gid) else { return Ok(Decision::Append(serde_json::to_value(&b).expect("a body"))) };
    let patient_gid = b.patient_gid.as_deref().and_then(uuid);
    let rows = guarded(
        tx,
        "write a call",
        tx.sql().query(
            "INSERT INTO caredesk.calls (gid, patient_gid, direction, to_number, from_number, status, ecm_call_id,
                                         error_message, placed_by, placed_by_role, created_at, twilio_sid)
             VALUES ($1, (SELECT gid FROM caredesk.patients WHERE gid = $2), $3, $4, $5, $6, $7, $8,
                     CASE WHEN $3 = 'outbound' THEN COALESCE((SELECT display_name FROM caredesk.members
                                                                WHERE role = current_user), $9) END,
                     CASE WHEN $3 = 'outbound' THEN current_user END, $10, $11)
             ON CONFLICT (gid) DO UPDATE SET from_number = excluded.from_number, status = excluded.status,
                ecm_call_id = excluded.ecm_call_id, error_message = excluded.error_message,
                patient_gid = COALESCE(excluded.patient_gid, calls.patient_gid), twilio_sid = excluded.twilio_sid,
                updated_at = now()
              WHERE (calls.from_number, calls.status, calls.ecm_call_id, calls.error_message, calls.patient_gid,
                     calls.twilio_sid)
                    IS DISTINCT FROM (excluded.from_number, excluded.status, excluded.ecm_call_id, excluded.error_message,
                                      COALESCE(excluded.patient_gid, calls.patient_gid), excluded.twilio_sid)
             RETURNING placed_by, placed_by_role::text",
            &[
                &gid,
                &patient_gid,
                &b.direction,
                &b.to,
                &b.from,
                &b.status,
                &b.ecm_call_id,
                &b.error_message,
                &b.placed_by,
                &time(Some(&b.created_at)),
                &b.twilio_sid,
            ],
        ),
    )
    .await?;
    match rows {
        Some(r) if r.is_empty() => Ok(Decision::Drop),
        Some(r) => {
            if b.direction == "outbound" {
                b.placed_by = r[0].get(0);
                b.placed_by_role = r[0].get(1);
            }
            Ok(Decision::Append(serde_json::to_value(&b).expect("a body")))
        }
        None => Ok(Decision::Append(serde_json::to_value(&b).expect("a body"))),
    }
}

async fn note(tx: Tx<'_, '_>, b: &NoteBody, body: &Value) -> Result<Decision, TeamDbError> {
    let (Some(gid), Some(pgid)) = (uuid(&b.gid), uuid(&b.patient_gid)) else {
        return Ok(Decision::Append(body.clone()));
    };
    let rows = guarded(
        tx,
        "write a note",
        tx.sql().query(
            "INSERT INTO caredesk.notes (gid, patient_gid, text, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (gid) DO NOTHING RETURNING 1",
            &[&gid, &pgid, &b.text, &time(Some(&b.at))],
        ),
    )
    .await?;
    Ok(changed(rows, body))
}

/// The thread's row, locked for the rest of the transaction (created open
/// and unassigned if the team had none). `None` when the team does not have
/// the patient.
async fn lock_thread(tx: Tx<'_, '_>, pgid: Uuid) -> Result<Option<(Option<String>, String, i64)>, TeamDbError> {
    let made = guarded(
        tx,
        "start a thread",
        tx.sql().execute("INSERT INTO caredesk.threads (patient_gid) VALUES ($1) ON CONFLICT DO NOTHING", &[&pgid]),
    )
    .await?;
    if made.is_none() {
        return Ok(None);
    }
    let row = tx
        .sql()
        .query_one(
            "SELECT assigned_to::text, status, version FROM caredesk.threads WHERE patient_gid = $1 FOR UPDATE",
            &[&pgid],
        )
        .await
        .map_err(|e| tx.error(&e, "lock a thread"))?;
    Ok(Some((row.get(0), row.get(1), row.get(2))))
}

/// What the log says of a thread the team does not have (its patient is
/// not in the team database): nothing was decided, so every desk shows it
/// open and unassigned.
fn undecided(patient_gid: &str) -> Decision {
    let body = ThreadBody {
        patient_gid: patient_gid.into(),
        assigned_to: None,
        status: "open".into(),
        version: 0,
        accepted: Some(false),
        requested: None,
    };
    Decision::Append(serde_json::to_value(&body).expect("a body"))
}

async fn assign(tx: Tx<'_, '_>, b: &AssignRequest) -> Result<Decision, TeamDbError> {
    let Some(pgid) = uuid(&b.patient_gid) else { return Ok(undecided(&b.patient_gid)) };
    let Some((current, status, version)) = lock_thread(tx, pgid).await? else {
        return Ok(undecided(&b.patient_gid));
    };
    let mut decided = ThreadBody {
        patient_gid: b.patient_gid.clone(),
        assigned_to: current.clone(),
        status,
        version,
        accepted: Some(false),
        requested: b.to.clone(),
    };
    if current == b.from {
        // Still as the desk saw it: the assignment is made (unless `to` is
        // not a member: the team's members are the administrator's).
        let made = guarded(
            tx,
            "assign a thread",
            // (updated_at is when the status last changed: see status().)
            tx.sql().query_one(
                "UPDATE caredesk.threads SET assigned_to = $2, version = version + 1, updated_by = current_user
                  WHERE patient_gid = $1 RETURNING version",
                &[&pgid, &b.to],
            ),
        )
        .await?;
        if let Some(row) = made {
            decided.assigned_to = b.to.clone();
            decided.version = row.get(0);
            decided.accepted = Some(true);
        }
    }
    Ok(Decision::Append(serde_json::to_value(&decided).expect("a body")))
}

async fn status(tx: Tx<'_, '_>, b: &StatusRequest) -> Result<Decision, TeamDbError> {
    let Some(pgid) = uuid(&b.patient_gid) else { return Ok(undecided(&b.patient_gid)) };
    let Some((assigned_to, current, version)) = lock_thread(tx, pgid).await? else {
        return Ok(undecided(&b.patient_gid));
    };
    if !matches!(b.status.as_str(), "open" | "closed") {
        let body = ThreadBody {
            patient_gid: b.patient_gid.clone(),
            assigned_to,
            status: current,
            version,
            accepted: None,
            requested: None,
        };
        return Ok(Decision::Append(serde_json::to_value(&body).expect("a body")));
    }
    let mut decided = ThreadBody {
        patient_gid: b.patient_gid.clone(),
        assigned_to,
        status: current.clone(),
        version,
        accepted: None,
        requested: None,
    };
    if current != b.status {
        // `updated_at` is when the status last changed: when the desk asked
        // (never later than now), so a reply a desk pushes late reopens the
        // thread only if it came after the close.
        let asked = time(b.at.as_deref()).min(Utc::now());
        let row = tx
            .sql()
            .query_one(
                "UPDATE caredesk.threads SET status = $2, version = version + 1, updated_at = $3,
                        updated_by = current_user
                  WHERE patient_gid = $1 RETURNING version",
                &[&pgid, &b.status, &asked],
            )
            .await
            .map_err(|e| tx.error(&e, "open or close a thread"))?;
        decided.status = b.status.clone();
        decided.version = row.get(0);
    }
    Ok(Decision::Append(serde_json::to_value(&decided).expect("a body")))
}

async fn read(tx: Tx<'_, '_>, b: &ReadBody, body: &Value) -> Result<Decision, TeamDbError> {
    let Some(pgid) = uuid(&b.patient_gid) else { return Ok(Decision::Append(body.clone())) };
    let upto = time(Some(&b.read_up_to));
    let last = b.last_message_gid.as_deref().and_then(uuid);
    let rows = guarded(
        tx,
        "record a read",
        tx.sql().query(
            "INSERT INTO caredesk.read_state (role, patient_gid, read_up_to, last_message_gid)
             VALUES (current_user, $1, $2, $3)
             ON CONFLICT (role, patient_gid) DO UPDATE SET read_up_to = excluded.read_up_to,
                last_message_gid = excluded.last_message_gid
              WHERE excluded.read_up_to > read_state.read_up_to
             RETURNING 1",
            &[&pgid, &upto, &last],
        ),
    )
    .await?;
    match rows {
        Some(r) if r.is_empty() => {
            // The member read further on another desk: this desk learns it.
            let row = tx
                .sql()
                .query_one(
                    "SELECT read_up_to, last_message_gid::text FROM caredesk.read_state
                      WHERE role = current_user AND patient_gid = $1",
                    &[&pgid],
                )
                .await
                .map_err(|e| tx.error(&e, "read a member's reads"))?;
            let theirs: DateTime<Utc> = row.get(0);
            if theirs > upto {
                let out = ReadBody {
                    patient_gid: b.patient_gid.clone(),
                    read_up_to: rfc3339(theirs),
                    last_message_gid: row.get(1),
                };
                Ok(Decision::Append(serde_json::to_value(&out).expect("a body")))
            } else {
                Ok(Decision::Drop)
            }
        }
        _ => Ok(Decision::Append(body.clone())),
    }
}

/// The patient a change is about, for the team's audit trail.
pub fn patient_of(kind: &str, body: &Value) -> Option<Uuid> {
    let field = if kind == kinds::PATIENT { "gid" } else { "patient_gid" };
    body.get(field).and_then(Value::as_str).and_then(uuid)
}
