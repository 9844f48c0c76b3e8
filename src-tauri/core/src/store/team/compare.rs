//! What a desk holds of the team's shared data, without what is its own
//! (local ids, when it stored a row, the time it marked a text read): one
//! line per row, sorted. Two desks that followed the same log, one change at
//! a time or from a snapshot, hold the same lines; the tests and the
//! benchmark compare desks with it.

use rusqlite::types::Value;

use crate::store::{Database, StoreError};

/// Each shared table, its rows named by global ids.
const SHARED: [(&str, &str); 13] = [
    ("patient", "SELECT gid, name, name_key, ecm_patient_id, fhir_id, created_at FROM patients"),
    ("word", "SELECT w.word, p.gid FROM patient_words w JOIN patients p ON p.id = w.patient_id"),
    (
        "number",
        "SELECT p.gid, c.number, c.kind, c.name, c.relationship, c.digits, c.national, c.rank, c.active, c.source
           FROM contact_points c JOIN patients p ON p.id = c.patient_id",
    ),
    (
        "text",
        "SELECT m.gid, p.gid, m.direction, m.route, m.from_number, m.to_number, m.intended_to, m.body, m.state,
                m.server_state, m.error_code, m.error_message, m.his_id, m.ecm_sms_id, m.twilio_sid, m.reply_to_his_id,
                m.is_test, m.flagged, m.read_at IS NOT NULL, m.unmatched_reply, m.sent_by, m.sent_by_role, r.gid,
                m.created_at, m.server_created_at, m.server_updated_at
           FROM messages m LEFT JOIN patients p ON p.id = m.patient_id LEFT JOIN messages r ON r.id = m.retried_as",
    ),
    (
        "call",
        "SELECT c.gid, p.gid, c.direction, c.to_number, c.from_number, c.status, c.ecm_call_id, c.twilio_sid,
                c.error_message, c.placed_by, c.placed_by_role, c.created_at
           FROM calls c LEFT JOIN patients p ON p.id = c.patient_id",
    ),
    (
        "consent",
        "SELECT s.number, s.state, s.source, m.gid FROM sms_consent s LEFT JOIN messages m ON m.id = s.source_message_id",
    ),
    (
        "thread",
        "SELECT p.gid, t.assigned_to, t.status, t.version FROM team_threads t JOIN patients p ON p.id = t.patient_id",
    ),
    (
        "note",
        "SELECT n.gid, p.gid, n.author_role, n.author_name, n.text, n.at FROM notes n JOIN patients p ON p.id = n.patient_id",
    ),
    (
        "read",
        "SELECT r.role, p.gid, r.read_up_to FROM member_reads r JOIN patients p ON p.id = r.patient_id",
    ),
    (
        "activity",
        "SELECT p.gid, a.last_at, a.last_kind, a.last_direction, a.last_preview, a.unread,
                CASE a.last_kind WHEN 'sms' THEN (SELECT gid FROM messages WHERE id = a.last_id)
                                 ELSE (SELECT gid FROM calls WHERE id = a.last_id) END
           FROM patient_activity a JOIN patients p ON p.id = a.patient_id",
    ),
    ("template", "SELECT gid, name, body, updated_at, updated_by, deleted_at FROM templates"),
    ("index", "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"),
    ("position", "SELECT value FROM team_state WHERE key = 'applied'"),
];

impl Database {
    /// The team's shared data as this desk holds it: `kind|value|value…`
    /// per row, sorted (see the module's note). For tests and the benchmark:
    /// it reads every row.
    pub fn team_shared_rows(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for (kind, sql) in SHARED {
            let mut stmt = self.conn.prepare(sql)?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let mut line = kind.to_string();
                for i in 0..columns {
                    line.push('|');
                    line.push_str(&match row.get::<_, Value>(i)? {
                        Value::Null => "-".to_string(),
                        Value::Integer(v) => v.to_string(),
                        Value::Real(v) => v.to_string(),
                        Value::Text(v) => v,
                        Value::Blob(v) => format!("{} bytes", v.len()),
                    });
                }
                out.push(line);
            }
        }
        out.sort();
        Ok(out)
    }
}
