//! Templates on a desk: managed by name (checked before they are stored:
//! only `{field}` braces, a text CareDesk can send), and merged for a
//! patient with the values the desk knows: the patient's first and last
//! name, `clinic.name`, the coordinator's name, and any extra field a
//! caller gives (a campaign file's columns).

use std::collections::BTreeMap;

use chrono::Utc;

use crate::{
    desk::Desk,
    rules::error::Result,
    rules::merge::{self, MergeError},
    rules::segments::SmsSize,
    rules::sms_text::check_text,
    store::templates::Template,
};

/// A template merged for one patient, for the composer: the text and its
/// count when every field has a value, else the fields that have none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TemplatePreview {
    pub name: String,
    /// `None` while a field has no value.
    pub text: Option<String>,
    /// How carriers count the merged text.
    pub size: Option<SmsSize>,
    /// Fields with no value, by name (`first_name`): sending is blocked.
    pub missing: Vec<String>,
}

/// Checks a template's text: only well-formed fields, and a text that
/// could be sent (its fields left as they are).
fn check_template(text: &str) -> Result<()> {
    merge::fields(text)?;
    check_text(text)
}

impl Desk {
    pub fn templates(&self) -> Result<Vec<Template>> {
        Ok(self.db().templates()?)
    }

    pub fn add_template(&self, name: &str, text: &str) -> Result<Template> {
        check_template(text)?;
        Ok(self.db().add_template(name, text, &self.actor(), Utc::now())?)
    }

    pub fn edit_template(&self, name: &str, text: &str) -> Result<Template> {
        check_template(text)?;
        Ok(self.db().edit_template(name, text, &self.actor(), Utc::now())?)
    }

    pub fn remove_template(&self, name: &str) -> Result<()> {
        Ok(self.db().remove_template(name, &self.actor(), Utc::now())?)
    }

    /// The values of the merge fields for `patient` (an id or `ecm:ID`),
    /// `extra` added over them.
    pub fn merge_values(&self, patient: &str, extra: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
        let p = self.patient(patient)?;
        let (first, last) = merge::split_name(&p.name);
        let mut values = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                values.insert(k.to_string(), v);
            }
        };
        put("first_name", first);
        put("last_name", last);
        put("clinic_name", self.setting("clinic.name")?);
        put("coordinator_name", Some(self.person_name()));
        values.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(values)
    }

    /// The template `name` merged for `patient`, ready to send: a field
    /// with no value is an error naming every such field.
    pub fn merge_template(&self, name: &str, patient: &str, extra: &BTreeMap<String, String>) -> Result<String> {
        let template = self.db().template(name)?;
        let merged = merge::merge(&template.text, &self.merge_values(patient, extra)?)?;
        check_text(&merged.text)?;
        Ok(merged.text)
    }

    /// The template `name` merged for `patient`, for the composer's preview.
    pub fn preview_template(
        &self,
        name: &str,
        patient: &str,
        extra: &BTreeMap<String, String>,
    ) -> Result<TemplatePreview> {
        let template = self.db().template(name)?;
        let preview = TemplatePreview { name: template.name.clone(), text: None, size: None, missing: vec![] };
        match merge::merge(&template.text, &self.merge_values(patient, extra)?) {
            Ok(m) => Ok(TemplatePreview { text: Some(m.text), size: Some(m.size), ..preview }),
            Err(MergeError::MissingFields(missing)) => Ok(TemplatePreview { missing, ..preview }),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
