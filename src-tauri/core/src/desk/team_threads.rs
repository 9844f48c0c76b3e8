//! The team's operations on a patient's thread, as the app and the CLI
//! call them: assign it, add an internal note, close or reopen it. Each is
//! checked here and recorded locally with its change for the team
//! (`store::team::threads`); the sync pushes it, and PostgreSQL decides
//! assignment and status for every desk. They need team mode.

use crate::{
    desk::{setup_error::GatewayConfigError, Desk},
    rules::error::{CoreError, Result},
    store::team::{Note, TeamThread, ThreadStatus},
};

/// The longest internal note, in characters (the team database's limit).
pub const MAX_NOTE_CHARS: usize = 10_000;

/// Whom to assign a thread to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "to", content = "role", rename_all = "lowercase")]
pub enum AssignTo {
    /// A member, by their PostgreSQL role.
    Member(String),
    /// This desk's member.
    Me,
    /// Nobody: the thread is unassigned.
    Nobody,
}

impl Desk {
    /// This member's role; fails when team mode is off.
    fn team_member_role(&self) -> Result<String> {
        if !self.team_mode()? || !self.db().team_joined()? {
            return Err(GatewayConfigError::TeamModeOff.into());
        }
        self.db().team_role()?.ok_or_else(|| GatewayConfigError::TeamModeOff.into())
    }

    /// The name a text or call of this desk's is sent by: in team mode the
    /// member's display name from the team database (as last read), else
    /// `user.name` or the OS user's name.
    pub fn sender_name(&self) -> String {
        let member = || -> Option<String> {
            if !self.db().team_joined().ok()? {
                return None;
            }
            self.db().team_member_name(&self.db().team_role().ok()??).ok()?
        };
        member().unwrap_or_else(|| self.person_name())
    }

    /// Assigns a patient's thread (CareDesk id or `ecm:N`) to a member, to
    /// this desk's member, or to nobody. Shown at once; if a colleague
    /// assigned it first, theirs stands on every desk once the sync hears
    /// PostgreSQL's decision.
    pub fn assign_thread(&self, patient: &str, to: &AssignTo) -> Result<TeamThread> {
        let me = self.team_member_role()?;
        let p = self.patient(patient)?;
        let role = match to {
            AssignTo::Me => Some(me),
            AssignTo::Nobody => None,
            AssignTo::Member(role) => {
                let role = role.trim();
                let members = self.db().team_members()?;
                if !members.is_empty() && !members.iter().any(|(r, _)| r == role) {
                    let known: Vec<&str> = members.iter().map(|(r, _)| r.as_str()).collect();
                    return Err(CoreError::InvalidMessage(format!(
                        "{role} is not a member of the team (members: {})",
                        known.join(", ")
                    )));
                }
                Some(role.to_string())
            }
        };
        Ok(self.db().team_assign(p.id, role.as_deref(), &self.actor())?)
    }

    /// Adds an internal note to a patient's thread: never sent to the patient.
    pub fn add_note(&self, patient: &str, text: &str) -> Result<Note> {
        let me = self.team_member_role()?;
        let text = text.trim();
        if text.is_empty() {
            return Err(CoreError::InvalidMessage("a note needs some text".into()));
        }
        if text.chars().count() > MAX_NOTE_CHARS {
            return Err(CoreError::InvalidMessage(format!("a note holds at most {MAX_NOTE_CHARS} characters")));
        }
        let p = self.patient(patient)?;
        Ok(self.db().team_add_note(p.id, text, &me, &self.sender_name(), &self.actor())?)
    }

    /// Closes (or reopens) a patient's thread. A new reply reopens it.
    pub fn set_thread_status(&self, patient: &str, status: ThreadStatus) -> Result<TeamThread> {
        self.team_member_role()?;
        let p = self.patient(patient)?;
        Ok(self.db().team_set_status(p.id, status, &self.actor())?)
    }

    /// A patient's thread as the team shares it (assignment, status).
    pub fn team_thread(&self, patient: &str) -> Result<TeamThread> {
        let p = self.patient(patient)?;
        Ok(self.db().team_thread(p.id)?)
    }

    /// A patient's internal notes, oldest first (audited as a view of the thread).
    pub fn thread_notes(&self, patient: &str) -> Result<Vec<Note>> {
        let p = self.patient(patient)?;
        self.view_notes(p.id)
    }
}
