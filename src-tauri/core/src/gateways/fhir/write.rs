//! The FHIR client's writes: create (with `If-None-Exist` for a conditional
//! create, so a create repeated after a lost answer never makes a second
//! resource) and update (with `If-Match`, so a resource changed meanwhile is
//! not overwritten). For the write-back of Communications and Encounters.

use reqwest::{header, Method};

use super::{
    client::{resource_type_of, Answer, FhirClient},
    error::FhirError,
};
use crate::rules::fhir::roster::valid_id;

/// What the server answered to a create or an update.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub resource_type: String,
    pub id: String,
    /// From the `ETag` (`W/"3"`), else the returned resource's `meta.versionId`.
    pub version_id: Option<String>,
    /// 201 Created: a new resource. A conditional create that found its
    /// match, or an update, answers 200 with `created` false.
    pub created: bool,
    /// The resource as stored, when the server returned it.
    pub resource: Option<serde_json::Value>,
}

impl FhirClient {
    /// `POST {base}/{resourceType}`, with `If-None-Exist: {if_none_exist}`
    /// (a search, like `identifier=urn:caredesk:message|42`) for a
    /// conditional create: when the search matches one resource the server
    /// creates nothing and answers 200 with it, so a create repeated after a
    /// lost answer never makes a second resource. Several matches: 412
    /// ([`FhirRefusal::PreconditionFailed`]).
    pub async fn create(
        &self,
        resource: &serde_json::Value,
        if_none_exist: Option<&str>,
    ) -> Result<Written, FhirError> {
        let resource_type = resource_type_of(resource)?;
        let mut headers = vec![("Prefer", "return=representation")];
        if let Some(condition) = if_none_exist {
            headers.push(("If-None-Exist", condition));
        }
        let url = self.resource_url(&resource_type, None);
        let answer = self.exchange("create", Method::POST, url, Some(resource), &headers).await?;
        self.written(answer, &resource_type)
    }

    /// `PUT {base}/{resourceType}/{id}` (the resource's own `id`), with
    /// `If-Match: W/"{version}"` when `if_match` names the version it
    /// replaces: the server refuses with 412 when it changed meanwhile.
    pub async fn update(&self, resource: &serde_json::Value, if_match: Option<&str>) -> Result<Written, FhirError> {
        let resource_type = resource_type_of(resource)?;
        let id = resource
            .get("id")
            .and_then(|i| i.as_str())
            .filter(|i| valid_id(i))
            .ok_or_else(|| FhirError::Config(format!("an update of a {resource_type} needs its id")))?;
        let etag = if_match.map(|v| format!("W/\"{v}\""));
        let mut headers = vec![("Prefer", "return=representation")];
        if let Some(etag) = &etag {
            headers.push(("If-Match", etag.as_str()));
        }
        let url = self.resource_url(&resource_type, Some(id));
        let answer = self.exchange("update", Method::PUT, url, Some(resource), &headers).await?;
        self.written(answer, &resource_type)
    }

    fn written(&self, answer: Answer, resource_type: &str) -> Result<Written, FhirError> {
        if !(200..300).contains(&answer.status) {
            return Err(self.refused(&answer));
        }
        let resource: Option<serde_json::Value> =
            serde_json::from_slice(&answer.body).ok().filter(|v: &serde_json::Value| v.get("resourceType").is_some());
        let location = answer.header(header::LOCATION).or_else(|| answer.header(header::CONTENT_LOCATION));
        let from_location = location.and_then(|l| {
            let l = l.split_once("/_history/").map_or(l, |(before, _)| before);
            l.rsplit('/').next().filter(|i| valid_id(i)).map(str::to_string)
        });
        let id = resource
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(|i| i.as_str())
            .map(str::to_string)
            .or(from_location)
            .ok_or_else(|| FhirError::Malformed {
                path: "id".into(),
                detail: "the server answered without the resource or a Location naming it".into(),
            })?;
        let version_id = answer
            .header(header::ETAG)
            .map(|e| e.trim().trim_start_matches("W/").trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| {
                resource.as_ref().and_then(|r| r.pointer("/meta/versionId")).and_then(|v| v.as_str()).map(String::from)
            });
        Ok(Written {
            resource_type: resource_type.to_string(),
            id,
            version_id,
            created: answer.status == 201,
            resource,
        })
    }
}
