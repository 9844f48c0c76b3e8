//! The FHIR R4 resources CareDesk reads and writes, as small serde models:
//! Patient, RelatedPerson and Bundle for roster import (spec 000), and later
//! Communication for export. Only the elements CareDesk uses are modelled;
//! unknown elements are ignored on input.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    #[serde(default)]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(default)]
    pub full_url: Option<String>,
    #[serde(default)]
    pub resource: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ContactPoint {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HumanName {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub given: Vec<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
}

impl HumanName {
    /// `text` if present, else given names then family.
    pub fn display(&self) -> Option<String> {
        if let Some(t) = self.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            return Some(t.to_string());
        }
        let parts: Vec<&str> = self
            .given
            .iter()
            .map(String::as_str)
            .chain(self.family.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The preferred name of a list: `official`, then `usual`, then the first.
pub fn preferred_name(names: &[HumanName]) -> Option<String> {
    let by_use = |u: &str| names.iter().find(|n| n.use_.as_deref() == Some(u)).and_then(HumanName::display);
    by_use("official").or_else(|| by_use("usual")).or_else(|| names.iter().find_map(HumanName::display))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Coding {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    #[serde(default)]
    pub text: Option<String>,
}

impl CodeableConcept {
    pub fn display(&self) -> Option<String> {
        self.text
            .clone()
            .or_else(|| self.coding.iter().find_map(|c| c.display.clone().or_else(|| c.code.clone())))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Identifier {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Reference {
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PatientContact {
    #[serde(default)]
    pub relationship: Vec<CodeableConcept>,
    #[serde(default)]
    pub name: Option<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Patient {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
    #[serde(default)]
    pub contact: Vec<PatientContact>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RelatedPerson {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub patient: Option<Reference>,
    #[serde(default)]
    pub relationship: Vec<CodeableConcept>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

/// The SMS numbers of a telecom list (`system: sms`, spec 000), best rank first.
pub fn sms_numbers(telecom: &[ContactPoint]) -> Vec<String> {
    let mut v: Vec<&ContactPoint> = telecom.iter().filter(|t| t.system.as_deref() == Some("sms")).collect();
    v.sort_by_key(|t| t.rank.unwrap_or(u32::MAX));
    v.iter().filter_map(|t| t.value.as_deref().map(str::trim)).filter(|s| !s.is_empty()).map(String::from).collect()
}

/// The ECM patient id carried as an identifier whose system names ECM
/// (for example `urn:caredesk:ecm-patient-id`).
pub fn ecm_patient_id(identifiers: &[Identifier]) -> Option<Result<i64, String>> {
    identifiers
        .iter()
        .find(|i| i.system.as_deref().is_some_and(|s| s.to_ascii_lowercase().contains("ecm")))
        .and_then(|i| i.value.as_deref())
        .map(|v| v.trim().parse::<i64>().map_err(|_| v.to_string()))
}
