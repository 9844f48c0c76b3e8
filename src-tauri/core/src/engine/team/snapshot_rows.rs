//! The team's state tables read from a [`Snapshot`] into the log's change
//! bodies, table by table, in batches for the store ([`SnapshotBatch`]):
//! patients first, then what names a patient, texts before what names a
//! text (the order a desk applying the log met them in). Texts and calls
//! come in time order, so this desk numbers them as the log did.

use tokio::sync::mpsc;
use tokio_postgres::{binary_copy::BinaryCopyOutRow, types::Type};

use super::pg_rows::{message_row, rfc3339, PgRow, BOOL, INT4, INT8, MESSAGE_COLUMNS, MESSAGE_TYPES, TEXT, TSTZ};
use crate::{
    gateways::team_db::Snapshot,
    rules::error::{CoreError, Result},
    store::team::{
        kinds::{CallBody, ConsentBody, NoteBody, NumberBody, PatientBody, ReadBody, ThreadBody},
        ByMember, LoggedChange, SnapshotBatch,
    },
};

/// Rows per batch handed to the store.
pub const BATCH: usize = 5_000;

type Decoded<T> = std::result::Result<T, tokio_postgres::Error>;

/// One state table: its query, its columns' types, how a row reads, and the
/// batch it goes in.
struct Table<T> {
    what: &'static str,
    select: String,
    types: &'static [Type],
    read: fn(&BinaryCopyOutRow) -> Decoded<T>,
    batch: fn(Vec<T>) -> SnapshotBatch,
}

/// Reads every state table of `snapshot` into `out`, in order. Fails when
/// the store stopped taking batches (its error is the one to report).
pub async fn read_all(snapshot: &Snapshot<'_>, out: &mpsc::Sender<SnapshotBatch>) -> Result<usize> {
    let mut rows = 0;
    rows += table(snapshot, out, patients()).await?;
    rows += table(snapshot, out, numbers()).await?;
    rows += table(snapshot, out, messages()).await?;
    rows += table(snapshot, out, calls()).await?;
    rows += table(snapshot, out, threads()).await?;
    rows += table(snapshot, out, notes()).await?;
    rows += table(snapshot, out, consent()).await?;
    rows += table(snapshot, out, reads()).await?;
    rows += table(snapshot, out, logged()).await?;
    Ok(rows)
}

async fn table<T>(snapshot: &Snapshot<'_>, out: &mpsc::Sender<SnapshotBatch>, t: Table<T>) -> Result<usize> {
    let mut rows = snapshot.rows(&t.select, t.types).await?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut n = 0;
    while let Some(row) = rows.next().await? {
        batch.push((t.read)(&row).map_err(|e| rows.error(&e, t.what))?);
        if batch.len() == BATCH {
            n += batch.len();
            send(out, (t.batch)(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).await?;
        }
    }
    if !batch.is_empty() {
        n += batch.len();
        send(out, (t.batch)(batch)).await?;
    }
    Ok(n)
}

async fn send(out: &mpsc::Sender<SnapshotBatch>, batch: SnapshotBatch) -> Result<()> {
    out.send(batch).await.map_err(|_| CoreError::Io("the desk stopped storing the team's snapshot".into()))
}

fn time(r: &BinaryCopyOutRow, idx: usize) -> Decoded<String> {
    Ok(rfc3339(r.value(idx)?))
}

fn patients() -> Table<PatientBody> {
    Table {
        what: "read the team's patients",
        select: "SELECT gid::text, name, ecm_patient_id, fhir_id, created_at FROM caredesk.patients \
                 ORDER BY created_at, gid"
            .into(),
        types: &[TEXT, TEXT, INT8, TEXT, TSTZ],
        read: |r| {
            Ok(PatientBody {
                gid: r.value(0)?,
                name: r.value(1)?,
                ecm_patient_id: r.value(2)?,
                fhir_id: r.value(3)?,
                created_at: r.value::<Option<_>>(4)?.map(rfc3339),
            })
        },
        batch: SnapshotBatch::Patients,
    }
}

fn numbers() -> Table<NumberBody> {
    Table {
        what: "read the team's numbers",
        select: "SELECT patient_gid::text, number, kind, name, relationship, rank, active, source \
                 FROM caredesk.patient_numbers ORDER BY patient_gid, rank, number"
            .into(),
        types: &[TEXT, TEXT, TEXT, TEXT, TEXT, INT4, BOOL, TEXT],
        read: |r| {
            Ok(NumberBody {
                patient_gid: r.value(0)?,
                number: r.value(1)?,
                kind: r.value(2)?,
                name: r.value(3)?,
                relationship: r.value(4)?,
                rank: i64::from(r.value::<i32>(5)?),
                active: r.value(6)?,
                source: r.value(7)?,
            })
        },
        batch: SnapshotBatch::Numbers,
    }
}

fn messages() -> Table<crate::store::team::kinds::MessageBody> {
    Table {
        what: "read the team's texts",
        select: format!("SELECT {MESSAGE_COLUMNS} FROM caredesk.messages ORDER BY created_at, gid"),
        types: &MESSAGE_TYPES,
        read: |r| message_row(r),
        batch: SnapshotBatch::Messages,
    }
}

fn calls() -> Table<CallBody> {
    Table {
        what: "read the team's calls",
        select: "SELECT gid::text, patient_gid::text, direction, to_number, from_number, status, ecm_call_id, \
                 twilio_sid, error_message, placed_by, placed_by_role::text, created_at \
                 FROM caredesk.calls ORDER BY created_at, gid"
            .into(),
        types: &[TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, INT8, TEXT, TEXT, TEXT, TEXT, TSTZ],
        read: |r| {
            Ok(CallBody {
                gid: r.value(0)?,
                patient_gid: r.value(1)?,
                direction: r.value(2)?,
                to: r.value(3)?,
                from: r.value(4)?,
                status: r.value(5)?,
                ecm_call_id: r.value(6)?,
                twilio_sid: r.value(7)?,
                error_message: r.value(8)?,
                placed_by: r.value(9)?,
                placed_by_role: r.value(10)?,
                created_at: time(r, 11)?,
            })
        },
        batch: SnapshotBatch::Calls,
    }
}

fn threads() -> Table<ThreadBody> {
    Table {
        what: "read the team's threads",
        select:
            "SELECT patient_gid::text, assigned_to::text, status, version FROM caredesk.threads ORDER BY patient_gid"
                .into(),
        types: &[TEXT, TEXT, TEXT, INT8],
        read: |r| {
            Ok(ThreadBody {
                patient_gid: r.value(0)?,
                assigned_to: r.value(1)?,
                status: r.value(2)?,
                version: r.value(3)?,
                accepted: None,
                requested: None,
            })
        },
        batch: SnapshotBatch::Threads,
    }
}

fn notes() -> Table<ByMember<NoteBody>> {
    Table {
        what: "read the team's notes",
        select: "SELECT gid::text, patient_gid::text, text, at, author::text FROM caredesk.notes ORDER BY at, gid"
            .into(),
        types: &[TEXT, TEXT, TEXT, TSTZ, TEXT],
        read: |r| {
            let body = NoteBody {
                gid: r.value(0)?,
                patient_gid: r.value(1)?,
                text: r.value(2)?,
                at: time(r, 3)?,
                author_name: None,
            };
            Ok(ByMember { body, role: r.value(4)? })
        },
        batch: SnapshotBatch::Notes,
    }
}

fn consent() -> Table<ByMember<ConsentBody>> {
    Table {
        what: "read the team's consent",
        select: "SELECT number, state, source, source_message_gid::text, updated_at, updated_by::text \
                 FROM caredesk.consent ORDER BY number"
            .into(),
        types: &[TEXT, TEXT, TEXT, TEXT, TSTZ, TEXT],
        read: |r| {
            let body = ConsentBody {
                number: r.value(0)?,
                state: r.value(1)?,
                source: r.value(2)?,
                source_message_gid: r.value(3)?,
                updated_at: Some(time(r, 4)?),
            };
            Ok(ByMember { body, role: r.value(5)? })
        },
        batch: SnapshotBatch::Consent,
    }
}

fn reads() -> Table<ByMember<ReadBody>> {
    Table {
        what: "read the members' reads",
        select: "SELECT patient_gid::text, read_up_to, last_message_gid::text, role::text \
                 FROM caredesk.read_state ORDER BY role, patient_gid"
            .into(),
        types: &[TEXT, TSTZ, TEXT, TEXT],
        read: |r| {
            let body = ReadBody { patient_gid: r.value(0)?, read_up_to: time(r, 1)?, last_message_gid: r.value(2)? };
            Ok(ByMember { body, role: r.value(3)? })
        },
        batch: SnapshotBatch::Reads,
    }
}

/// What no state table holds, from the log itself in the snapshot's
/// transaction (so up to its position, like the tables): every template
/// change, in log order, and each campaign's last progress report. A team
/// has a few templates and campaigns, so the log's scan is short beside the
/// texts; the team schema needs no table for them.
fn logged() -> Table<LoggedChange> {
    Table {
        what: "read the team's templates and campaign reports",
        select: "SELECT kind, actor::text, body::text FROM (
                   SELECT kind, actor, body, pos,
                          row_number() OVER (PARTITION BY kind, body->>'gid' ORDER BY pos DESC) AS nth
                     FROM caredesk.changes WHERE kind IN ('template.upsert', 'campaign.progress')) c
                  WHERE kind = 'template.upsert' OR nth = 1 ORDER BY pos"
            .into(),
        types: &[TEXT, TEXT, TEXT],
        read: |r| Ok(LoggedChange { kind: r.value(0)?, actor: r.value(1)?, body: r.value(2)? }),
        batch: SnapshotBatch::Logged,
    }
}
