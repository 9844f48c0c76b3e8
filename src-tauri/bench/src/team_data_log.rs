//! The change log a big team's state tables mirror ([`crate::team_data`]):
//! one change per row, in the order a team would have made them, by the
//! member who made each, built by the server in one `INSERT … SELECT` per
//! kind with the bodies desks write.

use caredesk_core::gateways::team_db::TeamDb;
use uuid::Uuid;

use crate::{team::sql, team_data::DESKS};

/// A time as the desks write it, in SQL.
fn ts(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
}

/// The change log the state mirrors: one change per row, kind by kind
/// (patients, numbers, texts and calls in time order, consent, threads,
/// notes, reads), by the member who made it. Returns its length.
pub async fn change_log(db: &TeamDb) -> Result<i64, String> {
    let kinds: [(&str, &str, String, &str, &str); 8] = [
        (
            "patient.upsert",
            "'ana'",
            format!("jsonb_build_object('gid', gid, 'name', name, 'ecm_patient_id', ecm_patient_id, 'fhir_id', fhir_id, 'created_at', {})", ts("created_at")),
            "caredesk.patients",
            "created_at, gid",
        ),
        (
            "number.upsert",
            "'ana'",
            "jsonb_build_object('patient_gid', patient_gid, 'number', number, 'kind', kind, 'name', name, 'relationship', relationship, \
             'rank', rank, 'active', active, 'source', source)"
                .into(),
            "caredesk.patient_numbers",
            "patient_gid, rank, number",
        ),
        (
            "message.upsert",
            "COALESCE(sent_by_role, 'ana')",
            format!(
                "jsonb_build_object('gid', gid, 'patient_gid', patient_gid, 'direction', direction, 'route', route, 'from', from_number, \
                 'to', to_number, 'intended_to', intended_to, 'body', body, 'state', state, 'server_state', server_state, \
                 'error_code', error_code, 'error_message', error_message, 'his_id', his_id, 'ecm_sms_id', ecm_sms_id, \
                 'twilio_sid', twilio_sid, 'external_key', external_key, 'reply_to_his_id', reply_to_his_id, 'is_test', is_test, \
                 'flagged', flagged, 'unmatched_reply', unmatched_reply, 'sent_by', sent_by, 'sent_by_role', sent_by_role, \
                 'retried_as_gid', retried_as_gid, 'created_at', {}, 'server_created_at', server_created_at, \
                 'server_updated_at', server_updated_at)",
                ts("created_at")
            ),
            "caredesk.messages",
            "created_at, gid",
        ),
        (
            "call.upsert",
            "COALESCE(placed_by_role, 'ana')",
            format!(
                "jsonb_build_object('gid', gid, 'patient_gid', patient_gid, 'direction', direction, 'to', to_number, 'from', from_number, \
                 'status', status, 'ecm_call_id', ecm_call_id, 'twilio_sid', twilio_sid, 'error_message', error_message, \
                 'placed_by', placed_by, 'placed_by_role', placed_by_role, 'created_at', {})",
                ts("created_at")
            ),
            "caredesk.calls",
            "created_at, gid",
        ),
        (
            "consent.set",
            "'ana'",
            format!(
                "jsonb_build_object('number', number, 'state', state, 'source', source, 'source_message_gid', source_message_gid, \
                 'updated_at', {})",
                ts("updated_at")
            ),
            "caredesk.consent",
            "number",
        ),
        (
            "thread.assign",
            "'ana'",
            "jsonb_build_object('patient_gid', patient_gid, 'assigned_to', assigned_to, 'status', status, 'version', version)".into(),
            "caredesk.threads",
            "patient_gid",
        ),
        (
            "note.add",
            "author",
            format!("jsonb_build_object('gid', gid, 'patient_gid', patient_gid, 'text', text, 'at', {})", ts("at")),
            "caredesk.notes",
            "at, gid",
        ),
        (
            "thread.read",
            "role",
            format!(
                "jsonb_build_object('patient_gid', patient_gid, 'read_up_to', {}, 'last_message_gid', last_message_gid)",
                ts("read_up_to")
            ),
            "caredesk.read_state",
            "role, patient_gid",
        ),
    ];
    // The actor is the member who made each change (the trigger that stamps
    // the session's role stays out of this administrator's session).
    sql(db, "SET session_replication_role = replica").await?;
    let desk = Uuid::from_u128(DESKS[0]);
    let mut pos: i64 = 0;
    for (kind, actor, body, table, order) in kinds {
        let n = db
            .client()
            .execute(
                &format!(
                    "INSERT INTO caredesk.changes (pos, desk_id, desk_seq, actor, kind, body)
                     SELECT $1 + row_number() OVER (ORDER BY {order}), $2, $1 + row_number() OVER (ORDER BY {order}),
                            {actor}, '{kind}', {body}
                       FROM {table}"
                ),
                &[&pos, &desk],
            )
            .await
            .map_err(|e| format!("the log's {kind}: {e}"))?;
        pos += n as i64;
    }
    sql(db, "SET session_replication_role = DEFAULT").await?;
    db.client()
        .execute("UPDATE caredesk.log_head SET pos = $1", &[&pos])
        .await
        .map_err(|e| format!("the log's head: {e}"))?;
    Ok(pos)
}
