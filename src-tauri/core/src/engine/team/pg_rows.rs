//! Reading the team database's state rows back into the log's change
//! bodies, the same way whether a row comes from a query (the push, in
//! [`super::state_rows`]) or from a snapshot's binary COPY
//! ([`super::snapshot_rows`]).

use chrono::{DateTime, SecondsFormat, Utc};
use tokio_postgres::{binary_copy::BinaryCopyOutRow, types::FromSql, types::Type, Row};

use crate::store::team::kinds::MessageBody;

/// A row of either kind: its values by position.
pub trait PgRow {
    fn value<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, tokio_postgres::Error>;
}

impl PgRow for Row {
    fn value<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, tokio_postgres::Error> {
        self.try_get(idx)
    }
}

impl PgRow for BinaryCopyOutRow {
    fn value<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, tokio_postgres::Error> {
        self.try_get(idx)
    }
}

/// A time as the desks' stores write it (RFC 3339 UTC, microseconds), so
/// text order is time order and a time read back is the text a desk wrote.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The columns of `caredesk.messages` that [`message_row`] reads, in order.
pub const MESSAGE_COLUMNS: &str =
    "gid::text, patient_gid::text, direction, route, from_number, to_number, intended_to, body,
    state, server_state, error_code, error_message, his_id, ecm_sms_id, external_key, reply_to_his_id, is_test, sent_by,
    sent_by_role::text, created_at, twilio_sid, flagged, unmatched_reply, retried_as_gid::text, server_created_at,
    server_updated_at";

/// The types of the team's columns, by short names (so a table's list of
/// them reads at a glance).
pub const TEXT: Type = Type::TEXT;
pub const NAME: Type = Type::NAME;
pub const INT4: Type = Type::INT4;
pub const INT8: Type = Type::INT8;
pub const BOOL: Type = Type::BOOL;
pub const UUID: Type = Type::UUID;
pub const TSTZ: Type = Type::TIMESTAMPTZ;

/// The types of [`MESSAGE_COLUMNS`], for a binary COPY of them.
pub const MESSAGE_TYPES: [Type; 26] = [
    TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, INT8, INT8, TEXT, INT8, BOOL, TEXT, TEXT,
    TSTZ, TEXT, TEXT, BOOL, TEXT, TEXT, TEXT,
];

/// A text as the team database holds it, in the log's body shape.
pub fn message_row(r: &impl PgRow) -> Result<MessageBody, tokio_postgres::Error> {
    Ok(MessageBody {
        gid: r.value(0)?,
        patient_gid: r.value(1)?,
        direction: r.value(2)?,
        route: r.value(3)?,
        from: r.value(4)?,
        to: r.value(5)?,
        intended_to: r.value(6)?,
        body: r.value(7)?,
        state: r.value(8)?,
        server_state: r.value(9)?,
        error_code: r.value(10)?,
        error_message: r.value(11)?,
        his_id: r.value(12)?,
        ecm_sms_id: r.value(13)?,
        external_key: r.value(14)?,
        reply_to_his_id: r.value(15)?,
        is_test: r.value(16)?,
        sent_by: r.value(17)?,
        sent_by_role: r.value(18)?,
        created_at: rfc3339(r.value(19)?),
        twilio_sid: r.value(20)?,
        flagged: r.value(21)?,
        unmatched_reply: r.value(22)?,
        retried_as_gid: r.value(23)?,
        server_created_at: r.value(24)?,
        server_updated_at: r.value(25)?,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_columns_and_their_types_agree() {
        let columns: Vec<&str> = MESSAGE_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(columns.len(), MESSAGE_TYPES.len());
        for (column, ty) in columns.iter().zip(MESSAGE_TYPES.iter()) {
            let expected = match *column {
                "his_id" | "ecm_sms_id" | "reply_to_his_id" => Type::INT8,
                "is_test" | "unmatched_reply" => Type::BOOL,
                "created_at" => Type::TIMESTAMPTZ,
                _ => Type::TEXT,
            };
            assert_eq!(*ty, expected, "{column}");
        }
    }

    #[test]
    fn times_read_back_as_the_desks_write_them() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T09:30:00.123456Z").unwrap().with_timezone(&Utc);
        assert_eq!(rfc3339(t), "2026-03-01T09:30:00.123456Z");
        // The shape the store writes its own times in.
        assert_eq!(rfc3339(t).len(), crate::store::now_rfc3339().len());
    }
}
