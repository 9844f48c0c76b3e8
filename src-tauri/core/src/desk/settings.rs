//! Changing a setting: validated against the registry, audited in the same
//! transaction as `key: old → new`, and a paused route resumes when one of
//! its settings (or secrets) changes.

use crate::{
    desk::Desk,
    rules::{config, error::Result},
    store::{Route, StoreError},
};

impl Desk {
    /// Stores a setting; the audit entry, in the same transaction, says
    /// `key: old → new` (settings hold no secrets) under the actor before
    /// the change, so renaming `user.name` is recorded under the old name
    /// and the OS user.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<String> {
        let normalized = config::validate(key, value)?;
        let old = self.setting(key)?;
        crate::desk::credential_origins::after_change(self, key, old.as_deref(), Some(&normalized))?;
        let actor = self.actor();
        self.db().atomically(|c| {
            let old = self.db().setting(key)?;
            self.db().set_setting(key, &normalized)?;
            self.db().audit_on(c, &actor, "config.set", None, &setting_change(key, old.as_deref(), Some(&normalized)))
        })?;
        self.resume_after_change(key)?;
        if key == crate::desk::team::DATABASE_URL {
            self.after_team_setting(old.as_deref(), Some(&normalized))?;
        }
        Ok(normalized)
    }

    pub fn unset_setting(&self, key: &str) -> Result<bool> {
        let setting = config::lookup(key)?;
        let old = self.setting(key)?;
        crate::desk::credential_origins::after_change(self, key, old.as_deref(), setting.default)?;
        let actor = self.actor();
        let removed = self.db().atomically(|c| {
            let old = self.db().setting(key)?;
            let removed = self.db().unset_setting(key)?;
            self.db().audit_on(c, &actor, "config.unset", None, &setting_change(key, old.as_deref(), None))?;
            Ok::<_, StoreError>(removed)
        })?;
        self.resume_after_change(key)?;
        if key == crate::desk::team::DATABASE_URL {
            self.after_team_setting(old.as_deref(), None)?;
        }
        Ok(removed)
    }

    /// A route paused because its server refused CareDesk's credentials
    /// resumes when one of its settings or secrets changes.
    pub(crate) fn resume_after_change(&self, key: &str) -> Result<()> {
        // Another server (or the sandbox instead of a server): what was
        // learnt of the old one's clock does not hold.
        if matches!(key, "his.base_url" | "servers.mode") {
            self.db().forget_server_clock(crate::store::server_clocks::HIS_CLOCK)?;
        }
        let route = match key.split('.').next() {
            Some("his") => Route::His,
            Some("ecm") => Route::Ecm,
            _ => return Ok(()),
        };
        if self.db().resume_route(route)? {
            tracing::info!(route = route.as_str(), "a setting of a paused route changed: its messages go again");
        }
        Ok(())
    }
}

/// `key: old → new` for a setting's audit entry (`(not set)` for none).
fn setting_change(key: &str, old: Option<&str>, new: Option<&str>) -> String {
    let shown = |v: Option<&str>| v.map(String::from).unwrap_or_else(|| "(not set)".into());
    format!("{key}: {} → {}", shown(old), shown(new))
}
