//! Team mode's settings on a desk: `team.database_url` and the keyring's
//! `team-password` (bound to the database server's origin), turned into the
//! [`ConnectOptions`] the team database's client needs. With the setting
//! unset the desk works alone, exactly as before: nothing here connects.

use crate::{
    desk::{secrets::SecretName, setup_error::GatewayConfigError, Desk},
    gateways::team_db::{ConnectOptions, TeamDbError},
    rules::{error::CoreError, error::Result, team_url::TeamUrl},
    store::team::join::Joined,
};

/// The setting that switches team mode on.
pub const DATABASE_URL: &str = "team.database_url";

/// How long the team database must be out of reach before a desk of the
/// team polls the hospital SMS server for itself ([`Desk::reads_his_server`]).
pub const OFFLINE_POLL_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(15);

impl Desk {
    /// Whether team mode is on (`team.database_url` is set).
    pub fn team_mode(&self) -> Result<bool> {
        Ok(self.setting(DATABASE_URL)?.is_some())
    }

    /// Whether this process reads the hospital SMS server (its inbox, the
    /// delivery states of sent texts, the daily backfill): always for a desk
    /// alone; in team mode while it is the team's one poller (it holds the
    /// poller lock in the team database and has pulled the team's cursor),
    /// or while the team database has been out of reach for
    /// [`OFFLINE_POLL_AFTER`]: then no desk can be elected, and replies must
    /// still come in. What such a desk reads joins the team's once the
    /// database is back, each reply once (its global id is derived from the
    /// server's Id).
    pub fn reads_his_server(&self) -> Result<bool> {
        if self.inbox_poller || !self.team_mode()? {
            return Ok(true);
        }
        Ok(self.team_offline_since.is_some_and(|t| chrono::Utc::now().signed_duration_since(t) >= OFFLINE_POLL_AFTER))
    }

    /// Team mode: this process found the team database out of reach
    /// (`Some(since)`, kept from the first failure on) or reached it (`None`).
    pub fn set_team_offline(&mut self, since: Option<chrono::DateTime<chrono::Utc>>) {
        match since {
            Some(t) => {
                self.team_offline_since.get_or_insert(t);
            }
            None => self.team_offline_since = None,
        }
    }

    /// Whether this desk follows the team's log now: always for a desk
    /// alone; in team mode while its sync is connected. (A text on the
    /// hospital SMS server is matched by its words only then: a colleague's
    /// identical text is known by then, see `engine::outbox::reconcile`.)
    pub fn team_log_current(&self) -> Result<bool> {
        if !self.team_mode()? {
            return Ok(true);
        }
        Ok(self.db().team_state()?.link.as_deref() == Some("connected"))
    }

    /// Team mode: this process became, or stopped being, the team's poller.
    pub fn set_inbox_poller(&mut self, poller: bool) {
        self.inbox_poller = poller;
    }

    /// Team mode: the campaigns whose lock this process's team session holds
    /// now (set by the team sync; emptied when its session ends).
    pub fn set_campaign_runs(&mut self, gids: std::collections::BTreeSet<String>) {
        self.campaign_runs = gids;
    }

    /// Whether this process may feed the campaign `gid` to its outbox: a
    /// desk alone always; in team mode only while its team session holds
    /// the campaign's lock (a campaign runs on one desk at a time, and
    /// waits while the team database is out of reach).
    pub fn may_feed_campaign(&self, gid: &str) -> Result<bool> {
        Ok(!self.team_mode()? || self.campaign_runs.contains(gid))
    }

    /// Team mode: whether this process is the team's poller now.
    pub fn is_inbox_poller(&self) -> bool {
        self.inbox_poller
    }

    /// The desk id this desk appends changes under and names its sessions
    /// with: the data directory's instance id.
    pub fn desk_id(&self) -> Result<uuid::Uuid> {
        self.credentials().instance().parse().map_err(|_| {
            CoreError::Io(format!(
                "the data directory's instance id {:?} is not a UUID, so it cannot name this desk in the team",
                self.credentials().instance()
            ))
        })
    }

    /// Joins the team the first time this desk is in team mode: gives its
    /// records global ids and queues them for the team
    /// ([`crate::store::Database::team_join`]); from then on its changes are
    /// recorded for the team. Nothing when team mode is off or the desk
    /// already joined. Local only: nothing connects.
    pub fn team_join_if_needed(&self) -> Result<Option<Joined>> {
        let Some(url) = self.setting(DATABASE_URL)? else {
            return Ok(None);
        };
        // A hand-edited address that cannot be read: connecting says why.
        let Ok(url) = TeamUrl::parse(&url) else {
            return Ok(None);
        };
        Ok(self.db().team_join(&url.role, &crate::store::now_rfc3339())?)
    }

    /// After `team.database_url` changed from `old` to `new`: off, the desk
    /// stops recording changes for the team (what waits stays); another
    /// team database, it follows that one's log from its start; on, it joins.
    pub(crate) fn after_team_setting(&self, old: Option<&str>, new: Option<&str>) -> Result<()> {
        let place = |v: Option<&str>| v.and_then(|u| TeamUrl::parse(u).ok()).map(|u| (u.server(), u.database));
        if new.is_none() {
            self.db().team_leave()?;
            return Ok(());
        }
        if old.is_some() && place(old) != place(new) {
            self.db().team_forget_log()?;
        }
        self.team_join_if_needed()?;
        Ok(())
    }

    /// How this desk connects to the team database: `None` when team mode is
    /// off. The address is checked again (a plain-text address to another
    /// computer is refused before any connection, even if the settings table
    /// was edited by hand), and the password must have been entered for this
    /// server.
    pub fn team_connection(&self) -> Result<Option<ConnectOptions>> {
        let Some(url) = self.setting(DATABASE_URL)? else {
            return Ok(None);
        };
        let url = TeamUrl::parse(&url).map_err(TeamDbError::from)?;
        let password = crate::desk::credential_origins::for_use(self, SecretName::TeamPassword)?
            .ok_or(GatewayConfigError::MissingSecret(SecretName::TeamPassword))?;
        Ok(Some(ConnectOptions::desk(url, password, self.desk_id()?)))
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        desk::secrets::{self, Secret, SecretName},
        desk::{Desk, DeskOptions, KeyringChoice},
        rules::error::ErrorCode,
    };

    fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let options =
            DeskOptions { data_dir: Some(dir.path().into()), keyring: KeyringChoice::Given(secrets::memory_store()) };
        (dir, Desk::open(options).unwrap())
    }

    #[test]
    fn unset_means_a_desk_alone_and_nothing_to_connect_to() {
        let (_d, desk) = desk();
        assert!(!desk.team_mode().unwrap());
        assert!(desk.team_connection().unwrap().is_none());
    }

    #[test]
    fn the_connection_names_the_desk_and_needs_the_password() {
        let (_d, desk) = desk();
        desk.set_setting("team.database_url", "postgres://ana@db.clinic.example/caredesk").unwrap();
        let e = desk.team_connection().unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotConfigured, "{e}");
        assert!(e.to_string().contains("credentials set team-password"), "{e}");
        desk.set_credential(SecretName::TeamPassword, &Secret::new("pw")).unwrap();
        let opts = desk.team_connection().unwrap().unwrap();
        assert_eq!((opts.url.role.as_str(), opts.url.host.as_str()), ("ana", "db.clinic.example"));
        assert_eq!(opts.password.expose(), "pw");
        assert!(opts.application_name.ends_with(&desk.desk_id().unwrap().to_string()), "{}", opts.application_name);
    }

    #[test]
    fn a_hand_edited_plain_text_address_is_refused_before_connecting() {
        let (_d, desk) = desk();
        desk.db().set_setting("team.database_url", "postgres://ana@203.0.113.7/caredesk?sslmode=disable").unwrap();
        let e = desk.team_connection().unwrap_err();
        assert_eq!(e.code(), ErrorCode::TeamInsecure, "{e}");
    }
}
