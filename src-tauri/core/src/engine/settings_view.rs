//! The settings as the app and the CLI list them: each with its value, its
//! default and, where CareDesk found something out (the hospital SMS
//! server's time zone), a note.

use crate::{
    desk::{Desk, SettingView},
    rules::{config, error::Result},
};

impl Desk {
    pub fn settings(&self) -> Result<Vec<SettingView>> {
        let stored: std::collections::HashMap<String, String> = self.db().all_settings()?.into_iter().collect();
        Ok(config::SETTINGS
            .iter()
            .map(|s| SettingView {
                key: s.key,
                value: stored.get(s.key).cloned(),
                default: match s.key {
                    "user.name" => Some(config::os_user_name()),
                    _ => s.default.map(String::from),
                },
                description: s.description,
                note: match s.key {
                    "his.time_zone" => crate::engine::inbox_sync::clock::describe(self.db(), chrono::Utc::now()).ok(),
                    _ => None,
                },
            })
            .collect())
    }
}
