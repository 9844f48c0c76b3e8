//! The kinds of change a desk shares and their JSON bodies: what the local
//! triggers and operations write to `team_outbox`, what the push appends to
//! the change log (sometimes as PostgreSQL decided it), and what a desk
//! applies. Read tolerantly: fields added later are `#[serde(default)]`, and
//! a body that cannot be read is reported and skipped, never stops the log.

use serde::{Deserialize, Serialize};

/// `patient.upsert`: a patient's own fields ([`PatientBody`]).
pub const PATIENT: &str = "patient.upsert";
/// `number.upsert`: one of a patient's numbers ([`NumberBody`]).
pub const NUMBER: &str = "number.upsert";
/// `consent.set`: a number's SMS consent ([`ConsentBody`]).
pub const CONSENT: &str = "consent.set";
/// `message.upsert`: a text, either way, with its state ([`MessageBody`]).
pub const MESSAGE: &str = "message.upsert";
/// `message.delete`: a text taken back before it left (Undo send) ([`GidBody`]).
pub const MESSAGE_DELETE: &str = "message.delete";
/// `call.upsert`: a call ([`CallBody`]).
pub const CALL: &str = "call.upsert";
/// `note.add`: an internal note in a thread ([`NoteBody`]).
pub const NOTE: &str = "note.add";
/// `thread.assign`: a desk asks ([`AssignRequest`]); the log says what
/// PostgreSQL decided ([`ThreadBody`]).
pub const ASSIGN: &str = "thread.assign";
/// `thread.status`: open or close a thread ([`StatusRequest`], then [`ThreadBody`]).
pub const STATUS: &str = "thread.status";
/// `thread.read`: what a member read in a thread ([`ReadBody`]).
pub const READ: &str = "thread.read";

/// `cursor.set`: where the team's poller resumes the hospital SMS
/// server's inbox ([`CursorBody`]).
pub const CURSOR: &str = "cursor.set";

/// `template.upsert`: a template whole, tombstones included ([`TemplateBody`]).
pub const TEMPLATE: &str = "template.upsert";
/// `campaign.progress`: a campaign and its counts as the desk running it
/// reports them ([`CampaignProgressBody`]).
pub const CAMPAIGN: &str = "campaign.progress";

/// Every kind this desk knows, for tests and reports.
pub const ALL: [&str; 13] =
    [PATIENT, NUMBER, CONSENT, MESSAGE, MESSAGE_DELETE, CALL, NOTE, ASSIGN, STATUS, READ, CURSOR, TEMPLATE, CAMPAIGN];

/// A template as its desk wrote it. The newest `updated_at` wins on every
/// desk (`store::team::outreach`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateBody {
    pub gid: String,
    pub name: String,
    pub text: String,
    /// RFC 3339 UTC, the writing desk's clock.
    pub updated_at: String,
    #[serde(default)]
    pub updated_by: String,
    /// Set: the template was removed (a tombstone).
    #[serde(default)]
    pub deleted_at: Option<String>,
}

/// A campaign as the desk that runs it reports it: its state and counts,
/// no recipient (their texts replicate as texts).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CampaignProgressBody {
    pub gid: String,
    pub name: String,
    /// draft, scheduled, running, paused, done or cancelled.
    pub state: String,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub pending: u64,
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub delivered: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub replied: u64,
    /// Skipped recipients, by reason.
    #[serde(default)]
    pub skipped: std::collections::BTreeMap<String, u64>,
    /// Answers read in replies, by answer.
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub eta_secs: Option<u64>,
    /// The member whose desk runs it (display name), and their role.
    #[serde(default)]
    pub runs_on: String,
    #[serde(default)]
    pub runs_on_role: Option<String>,
    /// That desk's id.
    #[serde(default)]
    pub desk_id: Option<String>,
    /// When it was reported (RFC 3339 UTC, that desk's clock): an older
    /// report changes nothing.
    pub updated_at: String,
}

/// The team's inbox cursor: `his.incoming` and the server's time, in the
/// server's own form (`store::team::cursor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorBody {
    pub name: String,
    pub cursor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientBody {
    pub gid: String,
    pub name: String,
    #[serde(default)]
    pub ecm_patient_id: Option<i64>,
    #[serde(default)]
    pub fhir_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberBody {
    pub patient_gid: String,
    /// E.164.
    pub number: String,
    /// patient or contact.
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub rank: i64,
    #[serde(default = "yes")]
    pub active: bool,
    /// import, staff or link.
    #[serde(default = "staff")]
    pub source: String,
}

fn yes() -> bool {
    true
}

fn staff() -> String {
    "staff".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentBody {
    pub number: String,
    /// opted_in or opted_out.
    pub state: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub source_message_gid: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A text as one desk knows it. Copies merge: the state only moves forward
/// ([`crate::rules::delivery::supersedes`]), server ids once known stay.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MessageBody {
    pub gid: String,
    #[serde(default)]
    pub patient_gid: Option<String>,
    pub direction: String,
    pub route: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub intended_to: Option<String>,
    #[serde(default)]
    pub body: String,
    pub state: String,
    #[serde(default)]
    pub server_state: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub his_id: Option<i64>,
    #[serde(default)]
    pub ecm_sms_id: Option<i64>,
    #[serde(default)]
    pub twilio_sid: Option<String>,
    #[serde(default)]
    pub external_key: Option<String>,
    #[serde(default)]
    pub reply_to_his_id: Option<i64>,
    #[serde(default)]
    pub is_test: bool,
    #[serde(default)]
    pub flagged: Option<String>,
    #[serde(default)]
    pub unmatched_reply: bool,
    /// The member's display name (set by PostgreSQL from `members` when the
    /// text first reaches the team).
    #[serde(default)]
    pub sent_by: Option<String>,
    #[serde(default)]
    pub sent_by_role: Option<String>,
    #[serde(default)]
    pub retried_as_gid: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub server_created_at: Option<String>,
    #[serde(default)]
    pub server_updated_at: Option<String>,
    /// Set in the log when this text reopened its thread (a new reply to a
    /// closed thread, decided in PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadBody>,
}

impl MessageBody {
    /// `other`'s word merged into this copy: a later state (with its
    /// server state and error), server ids and names this copy lacks, and
    /// the thread `other` files it in (staff linked its number). Returns
    /// whether anything changed.
    pub fn merge(&mut self, other: &MessageBody) -> bool {
        let before = self.clone();
        if crate::rules::delivery::supersedes(&self.state, &other.state) {
            self.state = other.state.clone();
            self.server_state = other.server_state.clone().or(self.server_state.take());
            self.error_code = other.error_code.clone();
            self.error_message = other.error_message.clone();
            if !other.from.is_empty() {
                self.from = other.from.clone();
            }
        }
        fill(&mut self.his_id, &other.his_id);
        fill(&mut self.ecm_sms_id, &other.ecm_sms_id);
        fill(&mut self.twilio_sid, &other.twilio_sid);
        fill(&mut self.external_key, &other.external_key);
        fill(&mut self.reply_to_his_id, &other.reply_to_his_id);
        fill(&mut self.flagged, &other.flagged);
        fill(&mut self.sent_by, &other.sent_by);
        fill(&mut self.sent_by_role, &other.sent_by_role);
        fill(&mut self.retried_as_gid, &other.retried_as_gid);
        fill(&mut self.server_created_at, &other.server_created_at);
        if other.server_updated_at > self.server_updated_at {
            self.server_updated_at = other.server_updated_at.clone();
        }
        if other.patient_gid.is_some() {
            self.patient_gid = other.patient_gid.clone();
        }
        *self != before
    }
}

fn fill<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
    if mine.is_none() {
        mine.clone_from(theirs);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GidBody {
    pub gid: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CallBody {
    pub gid: String,
    #[serde(default)]
    pub patient_gid: Option<String>,
    pub direction: String,
    pub to: String,
    #[serde(default)]
    pub from: Option<String>,
    pub status: String,
    #[serde(default)]
    pub ecm_call_id: Option<i64>,
    #[serde(default)]
    pub twilio_sid: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub placed_by: Option<String>,
    #[serde(default)]
    pub placed_by_role: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteBody {
    pub gid: String,
    pub patient_gid: String,
    pub text: String,
    /// RFC 3339 UTC.
    pub at: String,
    /// The author as their desk named them; the log's actor (the
    /// PostgreSQL role) is who wrote it.
    #[serde(default)]
    pub author_name: Option<String>,
}

/// What a desk asks: assign the thread to `to` (a role; `None`: nobody),
/// provided it is still assigned to `from` (what the desk saw). Two
/// members assigning at once from the same state: the first to commit wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignRequest {
    pub patient_gid: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// What a desk asks: open or close the thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusRequest {
    pub patient_gid: String,
    /// open or closed.
    pub status: String,
    /// When it was asked (RFC 3339 UTC, the desk's clock): a reply older
    /// than a close, pushed late by a desk that was offline, does not reopen.
    #[serde(default)]
    pub at: Option<String>,
}

/// A thread's state as PostgreSQL decided it: what `thread.assign` and
/// `thread.status` append (and a `message.upsert` that reopened a thread
/// carries). Every desk applying the log in order ends with the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadBody {
    pub patient_gid: String,
    #[serde(default)]
    pub assigned_to: Option<String>,
    pub status: String,
    /// PostgreSQL's count of changes to the thread.
    pub version: i64,
    /// For an assignment: whether it was made (false: the thread had been
    /// assigned meanwhile, or the role is not a member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    /// For an assignment: the role asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadBody {
    pub patient_gid: String,
    /// The newest message read (its `created_at` on the reader's desk).
    pub read_up_to: String,
    #[serde(default)]
    pub last_message_gid: Option<String>,
}

/// The entity a change is about, as `team_outbox.entity` names it: a
/// pulled change about an entity with a local change still waiting is not
/// applied (the local one comes later in the log and wins everywhere).
pub fn entity(kind: &str, body: &serde_json::Value, actor: &str) -> Option<String> {
    let s = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some(match kind {
        PATIENT => format!("patient:{}", s("gid")?),
        NUMBER => format!("number:{}:{}", s("patient_gid")?, s("number")?),
        CONSENT => format!("consent:{}", s("number")?),
        MESSAGE | MESSAGE_DELETE => format!("message:{}", s("gid")?),
        CALL => format!("call:{}", s("gid")?),
        NOTE => format!("note:{}", s("gid")?),
        ASSIGN | STATUS => format!("thread:{}", s("patient_gid")?),
        READ => format!("read:{actor}:{}", s("patient_gid")?),
        CURSOR => format!("cursor:{}", s("name")?),
        TEMPLATE => format!("template:{}", s("gid")?),
        CAMPAIGN => format!("campaign:{}", s("gid")?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(state: &str) -> MessageBody {
        MessageBody {
            gid: "g".into(),
            direction: "outbound".into(),
            route: "his".into(),
            state: state.into(),
            created_at: "2025-01-01T00:00:00Z".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_copy_merges_forward_and_keeps_what_it_knew() {
        let mut mine = text("delivered");
        mine.his_id = Some(7);
        let mut theirs = text("enroute");
        theirs.sent_by = Some("Ana Ruiz".into());
        assert!(mine.merge(&theirs), "the name is new");
        assert_eq!(
            (mine.state.as_str(), mine.his_id, mine.sent_by.as_deref()),
            ("delivered", Some(7), Some("Ana Ruiz"))
        );
        assert!(!mine.merge(&theirs), "merging the same copy again changes nothing");
        let mut older = text("sending");
        assert!(older.merge(&mine));
        assert_eq!(older, mine);
    }

    #[test]
    fn bodies_from_a_newer_desk_with_more_fields_still_read() {
        let v = serde_json::json!({"gid": "g", "direction": "inbound", "route": "his", "state": "received",
            "created_at": "x", "is_test": false, "a_field_from_the_future": 1});
        let m: MessageBody = serde_json::from_value(v).unwrap();
        assert_eq!(m.state, "received");
    }

    #[test]
    fn entities_name_what_a_change_is_about() {
        let b = serde_json::json!({"gid": "p1", "patient_gid": "p1", "number": "+1805"});
        assert_eq!(entity(PATIENT, &b, "ana").as_deref(), Some("patient:p1"));
        assert_eq!(entity(NUMBER, &b, "ana").as_deref(), Some("number:p1:+1805"));
        assert_eq!(entity(ASSIGN, &b, "ana").as_deref(), Some("thread:p1"));
        assert_eq!(entity(READ, &b, "ana").as_deref(), Some("read:ana:p1"));
        assert_eq!(entity("something.new", &b, "ana"), None);
    }
}
