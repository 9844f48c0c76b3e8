//! "Check connection" for the FHIR server: its CapabilityStatement, then
//! one small search of each type the roster reads, as the pull makes it
//! (`_lastUpdated` and `_count`, with `Prefer: handling=strict` so a server
//! that does not know a parameter says so instead of ignoring it). The
//! searches prove the token too: most servers serve `/metadata` to anyone.

use serde::Serialize;

use super::{
    capability::{Need, Part, Support},
    client::FhirClient,
    error::{FhirError, FhirRefusal},
};

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "FhirServerCheck")]
pub struct ServerCheck {
    pub base_url: String,
    pub fhir_version: Option<String>,
    pub software: Option<String>,
    /// Every interaction CareDesk needs, and whether the server supports it.
    pub needs: Vec<Need>,
    /// The server's count of Patients, when its search says.
    pub patients_total: Option<u64>,
    /// What the searches showed beyond the statement, in words.
    pub notes: Vec<String>,
}

impl ServerCheck {
    /// The roster can be pulled: no need of the pull is answered "no".
    pub fn roster_ok(&self) -> bool {
        !self.needs.iter().any(|n| n.part == Part::Roster && n.supported == Support::No)
    }
}

/// A time before any resource, for a search that filters nothing.
const EPOCH: &str = "gt1900-01-01T00:00:00Z";

impl FhirClient {
    /// Reads `/metadata`, then searches Patients and RelatedPersons as a
    /// pull does. `Err` when the server cannot be used at all (unreachable,
    /// not FHIR, the token refused).
    pub async fn check(&self) -> Result<ServerCheck, FhirError> {
        let caps = self.capabilities().await?;
        let mut needs = caps.needs();
        let mut notes = Vec::new();
        let mut patients_total = None;
        for resource_type in ["Patient", "RelatedPerson"] {
            let params = [("_lastUpdated", EPOCH.to_string()), ("_count", "1".to_string())];
            let strict = [("Prefer", "handling=strict")];
            let (last_updated, count) = match self.search_with(resource_type, &params, &strict).await {
                Ok(page) => {
                    if resource_type == "Patient" {
                        patients_total = page.total;
                    }
                    let count = if page.entries.len() <= 1 { Support::Yes } else { Support::No };
                    (Support::Yes, count)
                }
                Err(e @ FhirError::Refused(FhirRefusal::Unauthorized { .. } | FhirRefusal::Token { .. })) => {
                    return Err(e)
                }
                Err(FhirError::Refused(FhirRefusal::Outcome { status: 400..=499, issues })) => {
                    notes.push(format!("a {resource_type} search with _lastUpdated was refused: {issues}"));
                    (Support::No, Support::NotStated)
                }
                Err(e) => {
                    notes.push(format!("a {resource_type} search failed: {e}"));
                    (Support::No, Support::NotStated)
                }
            };
            for need in needs.iter_mut() {
                let what = need.what;
                if what == format!("{resource_type} search with _lastUpdated") {
                    need.supported = last_updated;
                } else if what == format!("{resource_type} search with _count") {
                    need.supported = count;
                } else if what == format!("{resource_type} search") && last_updated == Support::Yes {
                    need.supported = Support::Yes;
                }
            }
        }
        Ok(ServerCheck {
            base_url: self.base_url().to_string(),
            fhir_version: caps.fhir_version,
            software: caps.software,
            needs,
            patients_total,
            notes,
        })
    }
}
