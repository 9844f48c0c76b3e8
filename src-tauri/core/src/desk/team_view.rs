//! What the app shows of the team around a thread: who this desk's member
//! is and who the members are (the assignment menu, "Assigned to me"), and
//! what colleagues sent to a patient since this coordinator started writing
//! (the send-time collision check). A desk alone has no team: no member, no
//! colleagues.

use crate::{
    desk::Desk,
    rules::error::{CoreError, Result},
    store::team::ColleagueSend,
};

/// A member of the team.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TeamMember {
    /// Their PostgreSQL role.
    pub role: String,
    /// Their display name ("Ana Ruiz").
    pub name: String,
}

/// This desk in its team.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TeamView {
    /// This desk's member; `None`: a desk alone (team mode off), and the app
    /// shows nothing of the team.
    pub me: Option<TeamMember>,
    /// The team's members as last read from the team database, by role.
    pub members: Vec<TeamMember>,
}

impl Desk {
    /// This desk's member and the team's members (nobody on a desk alone).
    pub fn team_view(&self) -> Result<TeamView> {
        if !self.team_mode()? || !self.db().team_joined()? {
            return Ok(TeamView { me: None, members: Vec::new() });
        }
        let members: Vec<TeamMember> =
            self.db().team_members()?.into_iter().map(|(role, name)| TeamMember { role, name }).collect();
        let me = self.db().team_role()?.map(|role| {
            let name = members.iter().find(|m| m.role == role).map_or_else(|| self.sender_name(), |m| m.name.clone());
            TeamMember { role, name }
        });
        Ok(TeamView { me, members })
    }

    /// Texts other members sent to `patient_id` after `since` (RFC 3339,
    /// when this coordinator started writing), newest first. Empty on a
    /// desk alone.
    pub fn colleague_sends(&self, patient_id: i64, since: &str) -> Result<Vec<ColleagueSend>> {
        let since = chrono::DateTime::parse_from_rfc3339(since)
            .map_err(|_| CoreError::InvalidMessage(format!("{since:?} is not an RFC 3339 time")))?
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let Some(me) = self.team_view()?.me else {
            return Ok(Vec::new());
        };
        Ok(self.db().team_colleague_sends(patient_id, &since, &me.role)?)
    }
}

#[cfg(test)]
mod tests {
    use crate::desk::{secrets, Desk, DeskOptions, KeyringChoice};

    #[test]
    fn a_desk_alone_has_no_team_and_no_colleagues() {
        let dir = tempfile::tempdir().unwrap();
        let options =
            DeskOptions { data_dir: Some(dir.path().into()), keyring: KeyringChoice::Given(secrets::memory_store()) };
        let desk = Desk::open(options).unwrap();
        let view = desk.team_view().unwrap();
        assert!(view.me.is_none() && view.members.is_empty());
        assert!(desk.colleague_sends(1, "2026-01-01T00:00:00Z").unwrap().is_empty());
        let e = desk.colleague_sends(1, "yesterday").unwrap_err();
        assert_eq!(e.code(), crate::rules::error::ErrorCode::InvalidMessage, "{e}");

        desk.set_setting("team.database_url", "postgres://ana@127.0.0.1/caredesk").unwrap();
        desk.db().set_team_members(&[("ana".into(), "Ana Ruiz".into()), ("ben".into(), "Ben Ortiz".into())]).unwrap();
        let view = desk.team_view().unwrap();
        assert_eq!(view.me.map(|m| (m.role, m.name)), Some(("ana".to_string(), "Ana Ruiz".to_string())));
        assert_eq!(view.members.len(), 2);
    }
}
