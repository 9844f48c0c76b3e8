//! The team's own operations on a patient's thread: internal notes,
//! assignment, open/closed, and what a member read. Each writes its row,
//! its `team_outbox` change and its audit entry in one transaction.
//! Assignment and status are shown at once as asked, and corrected by what
//! PostgreSQL decided when the change comes back through the log.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::{
    joined,
    kinds::{self, AssignRequest, NoteBody, ReadBody, StatusRequest},
    outbox::record,
};
use crate::store::{now_rfc3339, Database, StoreError};

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ThreadStatus {
    Open,
    Closed,
}

impl ThreadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadStatus::Open => "open",
            ThreadStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<ThreadStatus> {
        match s {
            "open" => Some(ThreadStatus::Open),
            "closed" => Some(ThreadStatus::Closed),
            _ => None,
        }
    }
}

/// A patient's thread as the team shares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TeamThread {
    pub patient_id: i64,
    /// The member's role; `None`: unassigned.
    pub assigned_to: Option<String>,
    /// The member's display name, when known.
    pub assigned_to_name: Option<String>,
    pub status: ThreadStatus,
    /// A change of this desk's to the thread waits to be pushed (what it
    /// shows may still be decided otherwise).
    pub pending: bool,
}

/// An internal note: never sent to the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Note {
    pub gid: String,
    pub patient_id: i64,
    /// The author's role.
    pub author: String,
    /// The author's display name.
    pub author_name: String,
    pub text: String,
    /// RFC 3339 UTC.
    pub at: String,
}

/// Fails unless this desk is in a team.
fn require_team(conn: &Connection) -> Result<(), StoreError> {
    if joined(conn)? {
        Ok(())
    } else {
        Err(StoreError::Io("team mode is off on this desk: notes, assignment and open/closed threads are shared through the team database (set team.database_url)".into()))
    }
}

/// The patient's gid (every patient has one once the desk joined).
fn patient_gid(conn: &Connection, patient_id: i64) -> Result<String, StoreError> {
    conn.prepare_cached("SELECT gid FROM patients WHERE id = ?1")?
        .query_row([patient_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten()
        .ok_or_else(|| StoreError::Io(format!("patient {patient_id} has no team id yet")))
}

fn new_gid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Database {
    /// Adds an internal note to a patient's thread, by this member.
    pub fn team_add_note(
        &self,
        patient_id: i64,
        text: &str,
        author_role: &str,
        author_name: &str,
        actor: &str,
    ) -> Result<Note, StoreError> {
        self.atomically(|c| {
            require_team(c)?;
            let pgid = patient_gid(c, patient_id)?;
            let note = Note {
                gid: new_gid(),
                patient_id,
                author: author_role.into(),
                author_name: author_name.into(),
                text: text.into(),
                at: now_rfc3339(),
            };
            c.execute(
                "INSERT INTO notes (gid, patient_id, author_role, author_name, text, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![note.gid, patient_id, author_role, author_name, text, note.at],
            )?;
            let body = NoteBody {
                gid: note.gid.clone(),
                patient_gid: pgid,
                text: text.into(),
                at: note.at.clone(),
                author_name: Some(author_name.into()),
            };
            record(c, kinds::NOTE, &format!("note:{}", note.gid), &serde_json::to_value(&body).expect("a note body"))?;
            self.audit_on(
                c,
                actor,
                "note.add",
                Some(patient_id),
                &format!("note {} ({} characters)", note.gid, text.chars().count()),
            )?;
            Ok(note)
        })
    }

    /// A patient's notes, oldest first.
    pub fn team_notes(&self, patient_id: i64) -> Result<Vec<Note>, StoreError> {
        // The author by the name the team gives them now.
        let mut stmt = self.conn.prepare_cached(
            "SELECT n.gid, n.patient_id, n.author_role, COALESCE(m.display_name, n.author_name), n.text, n.at
               FROM notes n LEFT JOIN team_members m ON m.role = n.author_role
              WHERE n.patient_id = ?1 ORDER BY n.at, n.gid",
        )?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok(Note {
                gid: r.get(0)?,
                patient_id: r.get(1)?,
                author: r.get(2)?,
                author_name: r.get(3)?,
                text: r.get(4)?,
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A patient's thread as the team shares it (open and unassigned when
    /// nothing was decided yet).
    pub fn team_thread(&self, patient_id: i64) -> Result<TeamThread, StoreError> {
        let row: Option<(Option<String>, String)> = self
            .conn
            .prepare_cached("SELECT assigned_to, status FROM team_threads WHERE patient_id = ?1")?
            .query_row([patient_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (assigned_to, status) = row.unwrap_or((None, "open".into()));
        let assigned_to_name = match &assigned_to {
            Some(role) => self.team_member_name(role)?,
            None => None,
        };
        let gid: Option<String> = self
            .conn
            .query_row("SELECT gid FROM patients WHERE id = ?1", [patient_id], |r| r.get(0))
            .optional()?
            .flatten();
        let pending = match gid {
            Some(g) => self
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM team_outbox WHERE entity = ?1)")?
                .query_row([format!("thread:{g}")], |r| r.get(0))?,
            None => false,
        };
        Ok(TeamThread {
            patient_id,
            assigned_to,
            assigned_to_name,
            status: ThreadStatus::parse(&status).unwrap_or(ThreadStatus::Open),
            pending,
        })
    }

    /// Asks to assign a patient's thread to `to` (a member's role; `None`:
    /// nobody). Shown at once; PostgreSQL decides: if someone else assigned
    /// it meanwhile, theirs stays, on every desk. Nothing is recorded when
    /// the thread already shows that assignment.
    pub fn team_assign(&self, patient_id: i64, to: Option<&str>, actor: &str) -> Result<TeamThread, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        require_team(&tx)?;
        let pgid = patient_gid(&tx, patient_id)?;
        let from: Option<String> = tx
            .query_row("SELECT assigned_to FROM team_threads WHERE patient_id = ?1", [patient_id], |r| r.get(0))
            .optional()?
            .flatten();
        if from.as_deref() != to {
            tx.execute(
                "INSERT INTO team_threads (patient_id, assigned_to, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(patient_id) DO UPDATE SET assigned_to = excluded.assigned_to, updated_at = excluded.updated_at",
                params![patient_id, to, now_rfc3339()],
            )?;
            let body = AssignRequest { patient_gid: pgid.clone(), from: from.clone(), to: to.map(str::to_string) };
            record(&tx, kinds::ASSIGN, &format!("thread:{pgid}"), &serde_json::to_value(&body).expect("a body"))?;
            let detail = format!("assigned {} → {}", from.as_deref().unwrap_or("nobody"), to.unwrap_or("nobody"));
            self.audit_on(&tx, actor, "thread.assign", Some(patient_id), &detail)?;
        }
        tx.commit()?;
        self.team_thread(patient_id)
    }

    /// Opens or closes a patient's thread. A new reply reopens a closed one.
    pub fn team_set_status(
        &self,
        patient_id: i64,
        status: ThreadStatus,
        actor: &str,
    ) -> Result<TeamThread, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        require_team(&tx)?;
        let pgid = patient_gid(&tx, patient_id)?;
        let current: Option<String> = tx
            .query_row("SELECT status FROM team_threads WHERE patient_id = ?1", [patient_id], |r| r.get(0))
            .optional()?;
        if current.as_deref().unwrap_or("open") != status.as_str() {
            tx.execute(
                "INSERT INTO team_threads (patient_id, status, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(patient_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                params![patient_id, status.as_str(), now_rfc3339()],
            )?;
            let body =
                StatusRequest { patient_gid: pgid.clone(), status: status.as_str().into(), at: Some(now_rfc3339()) };
            record(&tx, kinds::STATUS, &format!("thread:{pgid}"), &serde_json::to_value(&body).expect("a body"))?;
            self.audit_on(&tx, actor, "thread.status", Some(patient_id), status.as_str())?;
        }
        tx.commit()?;
        self.team_thread(patient_id)
    }
}

/// In team mode, records that this member (`role`) read the patient's
/// thread up to its newest message: `member_reads` and a `thread.read`
/// change, inside the caller's transaction. Nothing when the desk is alone,
/// the thread has no message, or nothing newer was read.
pub(crate) fn record_read(conn: &Connection, patient_id: i64) -> Result<(), StoreError> {
    if !joined(conn)? {
        return Ok(());
    }
    let Some(role) = super::get(conn, super::key::ROLE)? else {
        return Ok(());
    };
    let newest: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT created_at, gid FROM messages WHERE patient_id = ?1 AND direction = 'inbound'
              ORDER BY created_at DESC, id DESC LIMIT 1",
        )?
        .query_row([patient_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((read_up_to, last_gid)) = newest else {
        return Ok(());
    };
    let changed = conn.execute(
        "INSERT INTO member_reads (role, patient_id, read_up_to) VALUES (?1, ?2, ?3)
         ON CONFLICT(role, patient_id) DO UPDATE SET read_up_to = excluded.read_up_to
          WHERE excluded.read_up_to > member_reads.read_up_to",
        params![role, patient_id, read_up_to],
    )?;
    if changed == 0 {
        return Ok(());
    }
    let pgid = patient_gid(conn, patient_id)?;
    let body = ReadBody { patient_gid: pgid.clone(), read_up_to, last_message_gid: last_gid };
    record(conn, kinds::READ, &format!("read:{role}:{pgid}"), &serde_json::to_value(&body).expect("a body"))
}
