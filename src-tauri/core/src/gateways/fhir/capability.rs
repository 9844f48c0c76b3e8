//! What a FHIR server says it supports (its CapabilityStatement, at
//! `/metadata`), against what CareDesk needs of it: the roster pull now, the
//! write-back of Communications and Encounters next. Read loosely: a
//! statement that leaves something out says "not stated", never "no".

use serde::Serialize;

/// Whether the server supports one thing CareDesk needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "FhirSupport")]
pub enum Support {
    /// Stated by the CapabilityStatement, or seen working.
    Yes,
    /// The CapabilityStatement lists the resource without it, or a try failed.
    No,
    /// The CapabilityStatement does not say (many leave out `_count`).
    NotStated,
}

impl Support {
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Yes => "yes",
            Support::No => "no",
            Support::NotStated => "not stated",
        }
    }
}

/// What CareDesk uses it for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "FhirNeedPart")]
pub enum Part {
    /// The roster pull: without it, no roster.
    Roster,
    /// The roster pull can do without it, less well.
    RosterOptional,
    /// Recording texts and calls on the server (the write-back).
    WriteBack,
}

/// One interaction CareDesk needs, and whether the server supports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "FhirNeed")]
pub struct Need {
    /// In words: "Patient search with _lastUpdated".
    pub what: &'static str,
    pub part: Part,
    pub supported: Support,
}

/// A CapabilityStatement as CareDesk reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub fhir_version: Option<String>,
    /// `software.name` and `software.version`, when given.
    pub software: Option<String>,
    resources: Vec<ResourceCaps>,
    /// `rest.searchParam`: search parameters for every type.
    common_params: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ResourceCaps {
    resource_type: String,
    interactions: Vec<String>,
    search_params: Vec<String>,
    conditional_create: bool,
    conditional_update: bool,
}

fn strings(v: Option<&serde_json::Value>, key: &str) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|list| list.iter().filter_map(|i| i.get(key).and_then(|c| c.as_str()).map(str::to_string)).collect())
        .unwrap_or_default()
}

impl Capabilities {
    /// Reads a CapabilityStatement; `None` when `value` is not one.
    pub fn read(value: &serde_json::Value) -> Option<Capabilities> {
        if value.get("resourceType").and_then(|t| t.as_str()) != Some("CapabilityStatement") {
            return None;
        }
        let rest = value
            .get("rest")
            .and_then(|r| r.as_array())
            .and_then(|list| list.iter().find(|r| r.get("mode").and_then(|m| m.as_str()) != Some("client")));
        let resources = rest
            .and_then(|r| r.get("resource"))
            .and_then(|r| r.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|r| {
                        Some(ResourceCaps {
                            resource_type: r.get("type")?.as_str()?.to_string(),
                            interactions: strings(r.get("interaction"), "code"),
                            search_params: strings(r.get("searchParam"), "name"),
                            conditional_create: r.get("conditionalCreate").and_then(|c| c.as_bool()) == Some(true),
                            conditional_update: r.get("conditionalUpdate").and_then(|c| c.as_bool()) == Some(true),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let software = value.get("software").and_then(|s| {
            let name = s.get("name")?.as_str()?;
            Some(match s.get("version").and_then(|v| v.as_str()) {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            })
        });
        Some(Capabilities {
            fhir_version: value.get("fhirVersion").and_then(|v| v.as_str()).map(str::to_string),
            software,
            resources,
            common_params: strings(rest.and_then(|r| r.get("searchParam")), "name"),
        })
    }

    fn resource(&self, t: &str) -> Option<&ResourceCaps> {
        self.resources.iter().find(|r| r.resource_type == t)
    }

    /// Whether `resource_type` supports the interaction `code` (`search-type`, `create`, `update`...).
    pub fn interaction(&self, resource_type: &str, code: &str) -> Support {
        match self.resource(resource_type) {
            Some(r) if r.interactions.iter().any(|i| i == code) => Support::Yes,
            Some(r) if r.interactions.is_empty() => Support::NotStated,
            Some(_) | None => Support::No,
        }
    }

    /// Whether a search of `resource_type` takes the parameter `name`.
    pub fn search_param(&self, resource_type: &str, name: &str) -> Support {
        let listed = |params: &[String]| params.iter().any(|p| p == name);
        match self.resource(resource_type) {
            None => Support::No,
            Some(r) if listed(&r.search_params) || listed(&self.common_params) => Support::Yes,
            // Parameters of every type (`_lastUpdated`) and result
            // parameters (`_count`) are often left out of statements.
            Some(_) if name.starts_with('_') => Support::NotStated,
            Some(_) => Support::No,
        }
    }

    fn conditional_create(&self, resource_type: &str) -> Support {
        match self.resource(resource_type) {
            Some(r) if r.conditional_create => Support::Yes,
            Some(_) => Support::NotStated,
            None => Support::No,
        }
    }

    fn conditional_update(&self, resource_type: &str) -> Support {
        match self.resource(resource_type) {
            Some(r) if r.conditional_update => Support::Yes,
            Some(_) => Support::NotStated,
            None => Support::No,
        }
    }

    /// Everything CareDesk needs, each with the server's answer.
    pub fn needs(&self) -> Vec<Need> {
        let need = |what, part, supported| Need { what, part, supported };
        let both = |a: Support, b: Support| match (a, b) {
            (Support::Yes, Support::Yes) => Support::Yes,
            (Support::No, _) | (_, Support::No) => Support::No,
            _ => Support::NotStated,
        };
        vec![
            need("Patient search", Part::Roster, self.interaction("Patient", "search-type")),
            need("Patient search with _lastUpdated", Part::Roster, self.search_param("Patient", "_lastUpdated")),
            need("Patient search with _count", Part::Roster, self.search_param("Patient", "_count")),
            need("RelatedPerson search", Part::Roster, self.interaction("RelatedPerson", "search-type")),
            need(
                "RelatedPerson search with _lastUpdated",
                Part::Roster,
                self.search_param("RelatedPerson", "_lastUpdated"),
            ),
            need("Patient read (finds deleted patients)", Part::Roster, self.interaction("Patient", "read")),
            need(
                "Patient and RelatedPerson history (finds deletions between full pulls)",
                Part::RosterOptional,
                both(self.interaction("Patient", "history-type"), self.interaction("RelatedPerson", "history-type")),
            ),
            need("Communication create", Part::WriteBack, self.interaction("Communication", "create")),
            need(
                "Communication conditional create (If-None-Exist)",
                Part::WriteBack,
                self.conditional_create("Communication"),
            ),
            need("Communication update", Part::WriteBack, self.interaction("Communication", "update")),
            need(
                "Communication search by identifier",
                Part::WriteBack,
                self.search_param("Communication", "identifier"),
            ),
            need("Encounter create", Part::WriteBack, self.interaction("Encounter", "create")),
            need("Encounter conditional create (If-None-Exist)", Part::WriteBack, self.conditional_create("Encounter")),
            need("Encounter update", Part::WriteBack, self.interaction("Encounter", "update")),
            need("Encounter conditional update", Part::WriteBack, self.conditional_update("Encounter")),
        ]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn statement() -> serde_json::Value {
        json!({
            "resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
            "software": {"name": "Test FHIR", "version": "1.2"},
            "rest": [{"mode": "server",
                "searchParam": [{"name": "_lastUpdated", "type": "date"}],
                "resource": [
                    {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "history-type"}],
                     "searchParam": [{"name": "name", "type": "string"}]},
                    {"type": "RelatedPerson", "interaction": [{"code": "search-type"}],
                     "searchParam": [{"name": "patient", "type": "reference"}, {"name": "_lastUpdated", "type": "date"}]},
                    {"type": "Communication", "conditionalCreate": true,
                     "interaction": [{"code": "create"}, {"code": "update"}, {"code": "search-type"}],
                     "searchParam": [{"name": "identifier", "type": "token"}]}
                ]}]
        })
    }

    #[test]
    fn each_need_is_answered_from_the_statement() {
        let caps = Capabilities::read(&statement()).unwrap();
        assert_eq!((caps.fhir_version.as_deref(), caps.software.as_deref()), (Some("4.0.1"), Some("Test FHIR 1.2")));
        let answers: Vec<(&str, Support)> = caps.needs().iter().map(|n| (n.what, n.supported)).collect();
        assert_eq!(
            answers,
            [
                ("Patient search", Support::Yes),
                ("Patient search with _lastUpdated", Support::Yes),
                ("Patient search with _count", Support::NotStated),
                ("RelatedPerson search", Support::Yes),
                ("RelatedPerson search with _lastUpdated", Support::Yes),
                ("Patient read (finds deleted patients)", Support::Yes),
                ("Patient and RelatedPerson history (finds deletions between full pulls)", Support::No),
                ("Communication create", Support::Yes),
                ("Communication conditional create (If-None-Exist)", Support::Yes),
                ("Communication update", Support::Yes),
                ("Communication search by identifier", Support::Yes),
                ("Encounter create", Support::No),
                ("Encounter conditional create (If-None-Exist)", Support::No),
                ("Encounter update", Support::No),
                ("Encounter conditional update", Support::No),
            ]
        );
    }

    #[test]
    fn anything_else_is_no_statement() {
        assert!(Capabilities::read(&json!({"resourceType": "Bundle"})).is_none());
        assert!(Capabilities::read(&json!("<html>")).is_none());
        let bare = Capabilities::read(&json!({"resourceType": "CapabilityStatement"})).unwrap();
        assert!(bare.needs().iter().all(|n| n.supported == Support::No), "{:?}", bare.needs());
    }
}
