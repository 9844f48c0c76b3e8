//! The `templates` table: texts with merge fields, by name (any case), each
//! with a `gid` for the team to share later. Removing one leaves a
//! tombstone. Every change is audited in the same transaction; a template
//! holds no patient data, so the audit names it.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, OptionalExtension, Row};

use super::{outbox::ts, Database, StoreError};
use crate::rules::error::{CodedError, ErrorCode};

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Template {
    pub name: String,
    pub text: String,
    /// The id desks share it by.
    pub gid: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template is named {0:?} (`caredesk templates list` shows them)")]
    NotFound(String),
    #[error("a template named {0:?} exists already: edit it, or choose another name")]
    Exists(String),
    #[error("a template needs a name")]
    NoName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for TemplateError {
    fn from(e: rusqlite::Error) -> Self {
        TemplateError::Store(e.into())
    }
}

impl CodedError for TemplateError {
    fn code(&self) -> ErrorCode {
        match self {
            TemplateError::NotFound(_) => ErrorCode::NotFound,
            TemplateError::Exists(_) => ErrorCode::TemplateExists,
            TemplateError::NoName => ErrorCode::InvalidName,
            TemplateError::Store(e) => e.code(),
        }
    }
}

const SELECT: &str = "SELECT name, body, gid, updated_at, updated_by FROM templates";
const LIVE_NAME: &str = "deleted_at IS NULL AND name = :name COLLATE NOCASE";

fn row(r: &Row<'_>) -> rusqlite::Result<Template> {
    Ok(Template { name: r.get(0)?, text: r.get(1)?, gid: r.get(2)?, updated_at: r.get(3)?, updated_by: r.get(4)? })
}

fn clean_name(name: &str) -> Result<&str, TemplateError> {
    Some(name.trim()).filter(|n| !n.is_empty()).ok_or(TemplateError::NoName)
}

impl Database {
    /// Live templates, by name.
    pub fn templates(&self) -> Result<Vec<Template>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached(&format!("{SELECT} WHERE deleted_at IS NULL ORDER BY name COLLATE NOCASE"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The live template named `name` (any case).
    pub fn template(&self, name: &str) -> Result<Template, TemplateError> {
        let sql = format!("{SELECT} WHERE {LIVE_NAME}");
        self.conn
            .query_row(&sql, named_params! { ":name": name.trim() }, row)
            .optional()?
            .ok_or_else(|| TemplateError::NotFound(name.trim().to_string()))
    }

    /// Adds a template; its text is checked by the caller.
    pub fn add_template(
        &self,
        name: &str,
        text: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Template, TemplateError> {
        let name = clean_name(name)?;
        let now = ts(now);
        self.atomically(|c| {
            let taken: bool = c.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM templates WHERE {LIVE_NAME})"),
                named_params! { ":name": name },
                |r| r.get(0),
            )?;
            if taken {
                return Err(TemplateError::Exists(name.to_string()));
            }
            c.execute(
                "INSERT INTO templates (gid, name, body, created_at, updated_at, updated_by)
                 VALUES (:gid, :name, :body, :now, :now, :actor)",
                named_params! { ":gid": uuid::Uuid::new_v4().to_string(), ":name": name, ":body": text, ":now": now, ":actor": actor },
            )?;
            self.audit_on(c, actor, "template.add", None, &format!("template {name:?}: add"))?;
            Ok(())
        })?;
        self.template(name)
    }

    /// Replaces a template's text.
    pub fn edit_template(
        &self,
        name: &str,
        text: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Template, TemplateError> {
        let name = clean_name(name)?;
        self.change_live(name, "body = :body", &[(":body", &text)], actor, now, "edit")?;
        self.template(name)
    }

    /// Removes a template (its row stays as a tombstone).
    pub fn remove_template(&self, name: &str, actor: &str, now: DateTime<Utc>) -> Result<(), TemplateError> {
        self.change_live(clean_name(name)?, "deleted_at = :now", &[], actor, now, "remove")
    }

    /// Sets `set` (and who changed it, when) on the live template `name`,
    /// audited as `template.{action}`, in one transaction.
    fn change_live(
        &self,
        name: &str,
        set: &str,
        extra: &[(&str, &dyn rusqlite::ToSql)],
        actor: &str,
        now: DateTime<Utc>,
        action: &str,
    ) -> Result<(), TemplateError> {
        let now = ts(now);
        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":now", &now), (":actor", &actor), (":name", &name)];
        params.extend_from_slice(extra);
        self.atomically(|c| {
            let sql = format!("UPDATE templates SET {set}, updated_at = :now, updated_by = :actor WHERE {LIVE_NAME}");
            if c.execute(&sql, params.as_slice())? == 0 {
                return Err(TemplateError::NotFound(name.to_string()));
            }
            let detail = format!("template {name:?}: {action}");
            self.audit_on(c, actor, &format!("template.{action}"), None, &detail).map_err(TemplateError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

    #[test]
    fn templates_are_added_edited_and_removed_by_name_in_any_case() {
        let (_d, db) = test_db();
        let now = Utc::now();
        let t = db.add_template(" Reminder ", "Hi {first_name}", "ana", now).unwrap();
        assert_eq!((t.name.as_str(), t.text.as_str(), t.gid.len()), ("Reminder", "Hi {first_name}", 36));
        let e = db.add_template("reminder", "x", "ana", now).unwrap_err();
        assert_eq!(e.code(), ErrorCode::TemplateExists);
        let edited = db.edit_template("REMINDER", "Hello {first_name}", "bo", now).unwrap();
        assert_eq!(
            (edited.text.as_str(), edited.updated_by.as_str(), &edited.gid),
            ("Hello {first_name}", "bo", &t.gid)
        );
        db.add_template("Call back", "Please call {clinic_name}", "ana", now).unwrap();
        let names: Vec<String> = db.templates().unwrap().into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["Call back", "Reminder"]);
        db.remove_template("reminder", "ana", now).unwrap();
        assert_eq!(db.template("Reminder").unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(db.remove_template("Reminder", "ana", now).unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(db.edit_template("nope", "x", "ana", now).unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(db.add_template(" ", "x", "ana", now).unwrap_err().code(), ErrorCode::InvalidName);
        // The name is free again; the tombstone keeps its own gid.
        let again = db.add_template("Reminder", "New", "ana", now).unwrap();
        assert_ne!(again.gid, t.gid);
        let tombstones: i64 =
            db.conn.query_row("SELECT count(*) FROM templates WHERE deleted_at IS NOT NULL", [], |r| r.get(0)).unwrap();
        assert_eq!(tombstones, 1);
    }
}
