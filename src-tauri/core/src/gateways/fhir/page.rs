//! Reading a page of a FHIR search or history: a `Bundle` read loosely
//! (every element optional, as [`serde_json::Value`]), then each entry on
//! its own, so one odd entry is reported with its position and skipped,
//! never the whole page. Only a body that is not a Bundle at all fails.

use url::Url;

use super::error::{outcome_issues, FhirError};
use crate::rules::fhir::roster::valid_id;

/// One page of a search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    /// The resources the search found (`search.mode` match, or no mode) and
    /// those it included (`_include`/`_revinclude`), each once.
    pub entries: Vec<PageEntry>,
    /// Entries that are not a resource CareDesk can name: the position and
    /// why, never their content.
    pub problems: Vec<EntryProblem>,
    /// Warnings the server put in the page (`search.mode` outcome).
    pub warnings: Vec<String>,
    /// The `next` link, as the server gave it.
    pub next: Option<Url>,
    /// Why the `next` link could not be used, when there was one.
    pub next_problem: Option<String>,
    /// `Bundle.total`, when the server says.
    pub total: Option<u64>,
    /// The server's clock when it answered (its `Date` header).
    pub server_date: Option<chrono::DateTime<chrono::Utc>>,
}

/// A resource in a page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageEntry {
    /// Its position in `Bundle.entry`, from 0.
    pub index: usize,
    pub resource_type: String,
    pub id: String,
    /// Whether the search matched it or only included it.
    pub included: bool,
    pub resource: serde_json::Value,
}

/// An entry that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// Its position in `Bundle.entry`, from 0.
    pub index: usize,
    /// `Patient/123` when the entry names one.
    pub reference: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reference {
            Some(r) => write!(f, "entry {} ({r}): {}", self.index, self.reason),
            None => write!(f, "entry {}: {}", self.index, self.reason),
        }
    }
}

/// One page of a type's history (`Patient/_history?_since=`), newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    pub problems: Vec<EntryProblem>,
    pub next: Option<Url>,
    pub next_problem: Option<String>,
}

/// One version in a history: which resource, whether it is a deletion, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub resource_type: String,
    pub id: String,
    pub deleted: bool,
    /// `response.lastModified`, else the resource's `meta.lastUpdated`.
    pub at: Option<String>,
}

fn bundle(body: &[u8], kind: &str) -> Result<serde_json::Map<String, serde_json::Value>, FhirError> {
    let malformed = |path: &str, detail: String| FhirError::Malformed { path: path.into(), detail };
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| malformed(".", format!("not JSON ({})", crate::gateways::http::without_values(&e.to_string()))))?;
    let serde_json::Value::Object(map) = value else {
        return Err(malformed(".", "not a JSON object".into()));
    };
    match map.get("resourceType").and_then(|t| t.as_str()) {
        Some("Bundle") => Ok(map),
        Some("OperationOutcome") => Err(malformed(
            "resourceType",
            format!(
                "an OperationOutcome instead of the {kind} Bundle: {}",
                outcome_issues(body, &[]).unwrap_or_default()
            ),
        )),
        Some(other) => Err(malformed("resourceType", format!("a {other} instead of the {kind} Bundle"))),
        None => Err(malformed("resourceType", format!("no resourceType where the {kind} Bundle should be"))),
    }
}

fn entries(map: &serde_json::Map<String, serde_json::Value>) -> Result<&[serde_json::Value], FhirError> {
    match map.get("entry") {
        None | Some(serde_json::Value::Null) => Ok(&[]),
        Some(serde_json::Value::Array(list)) => Ok(list),
        Some(_) => Err(FhirError::Malformed { path: "entry".into(), detail: "not a list".into() }),
    }
}

/// The `next` link: `Ok(None)` when there is none, `Err` why it cannot be used.
fn next_link(map: &serde_json::Map<String, serde_json::Value>) -> Result<Option<Url>, String> {
    let Some(links) = map.get("link").and_then(|l| l.as_array()) else {
        return Ok(None);
    };
    let Some(next) = links.iter().find(|l| l.get("relation").and_then(|r| r.as_str()) == Some("next")) else {
        return Ok(None);
    };
    let url = next.get("url").and_then(|u| u.as_str()).ok_or("the next link has no url")?;
    let parsed = Url::parse(url.trim()).map_err(|e| format!("the next link is not an absolute URL ({e})"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(Some(parsed)),
        other => Err(format!("the next link is a {other}: address, not http(s)")),
    }
}

/// `Patient/123` from a `fullUrl` or `request.url` (absolute or relative,
/// with or without `/_history/N`).
fn reference_of(url: &str) -> Option<(String, String)> {
    let u = url.trim();
    let u = u.split_once("/_history").map_or(u, |(before, _)| before);
    let u = u.split(['?', '#']).next().unwrap_or(u);
    let mut parts = u.rsplit('/');
    let id = parts.next()?;
    let resource_type = parts.next()?;
    (valid_id(id) && resource_type.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .then(|| (resource_type.to_string(), id.to_string()))
}

/// A search page, read tolerantly.
pub fn read_search_page(body: &[u8]) -> Result<SearchPage, FhirError> {
    let map = bundle(body, "searchset")?;
    let mut page = SearchPage { total: map.get("total").and_then(|t| t.as_u64()), ..SearchPage::default() };
    match next_link(&map) {
        Ok(next) => page.next = next,
        Err(why) => page.next_problem = Some(why),
    }
    let mut seen = std::collections::HashSet::new();
    for (index, entry) in entries(&map)?.iter().enumerate() {
        let problem =
            |reference: Option<String>, reason: &str| EntryProblem { index, reference, reason: reason.into() };
        let Some(entry) = entry.as_object() else {
            page.problems.push(problem(None, "not a JSON object"));
            continue;
        };
        let mode = entry.get("search").and_then(|s| s.get("mode")).and_then(|m| m.as_str());
        let full_url_ref = entry.get("fullUrl").and_then(|u| u.as_str()).and_then(reference_of);
        let Some(resource) = entry.get("resource").filter(|r| r.is_object()) else {
            page.problems.push(problem(full_url_ref.map(|(t, i)| format!("{t}/{i}")), "no resource"));
            continue;
        };
        let resource_type = resource.get("resourceType").and_then(|t| t.as_str()).map(str::to_string);
        if mode == Some("outcome") || resource_type.as_deref() == Some("OperationOutcome") {
            if let Some(issues) = outcome_issues(resource.to_string().as_bytes(), &[]) {
                page.warnings.push(issues);
            }
            continue;
        }
        let Some(resource_type) = resource_type else {
            page.problems
                .push(problem(full_url_ref.map(|(t, i)| format!("{t}/{i}")), "the resource has no resourceType"));
            continue;
        };
        let id = match resource.get("id").and_then(|i| i.as_str()) {
            Some(id) if valid_id(id) => id.to_string(),
            Some(_) => {
                page.problems.push(problem(None, &format!("the {resource_type} has an id that is not a FHIR id")));
                continue;
            }
            None => {
                page.problems.push(problem(None, &format!("the {resource_type} has no id")));
                continue;
            }
        };
        if !seen.insert((resource_type.clone(), id.clone())) {
            continue;
        }
        page.entries.push(PageEntry {
            index,
            resource_type,
            id,
            included: mode == Some("include"),
            resource: resource.clone(),
        });
    }
    Ok(page)
}

/// A history page, read tolerantly: which resources changed and which were deleted.
pub fn read_history_page(body: &[u8]) -> Result<HistoryPage, FhirError> {
    let map = bundle(body, "history")?;
    let mut page = HistoryPage::default();
    match next_link(&map) {
        Ok(next) => page.next = next,
        Err(why) => page.next_problem = Some(why),
    }
    for (index, entry) in entries(&map)?.iter().enumerate() {
        let problem = |reason: &str| EntryProblem { index, reference: None, reason: reason.into() };
        let Some(entry) = entry.as_object() else {
            page.problems.push(problem("not a JSON object"));
            continue;
        };
        let resource = entry.get("resource").filter(|r| r.is_object());
        let method = entry.get("request").and_then(|r| r.get("method")).and_then(|m| m.as_str());
        let status = entry.get("response").and_then(|r| r.get("status")).and_then(|s| s.as_str()).unwrap_or("");
        let deleted = method == Some("DELETE") || (resource.is_none() && status.trim_start().starts_with("410"));
        let from_resource = resource.and_then(|r| {
            let t = r.get("resourceType")?.as_str()?;
            let i = r.get("id")?.as_str().filter(|i| valid_id(i))?;
            Some((t.to_string(), i.to_string()))
        });
        let named = from_resource
            .or_else(|| entry.get("request").and_then(|r| r.get("url")).and_then(|u| u.as_str()).and_then(reference_of))
            .or_else(|| entry.get("fullUrl").and_then(|u| u.as_str()).and_then(reference_of));
        let Some((resource_type, id)) = named else {
            page.problems.push(problem("the entry names no resource"));
            continue;
        };
        let at = entry
            .get("response")
            .and_then(|r| r.get("lastModified"))
            .and_then(|l| l.as_str())
            .or_else(|| resource.and_then(|r| r.pointer("/meta/lastUpdated")).and_then(|l| l.as_str()))
            .map(str::to_string);
        page.entries.push(HistoryEntry { resource_type, id, deleted, at });
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_bad_entry_is_reported_and_skipped_never_the_page() {
        let body = json!({
            "resourceType": "Bundle", "type": "searchset", "total": 9,
            "link": [{"relation": "self", "url": "https://fhir.example/r4/Patient?_count=3"},
                     {"relation": "next", "url": "https://fhir.example/r4/Patient?_count=3&_offset=3"}],
            "entry": [
                {"fullUrl": "https://fhir.example/r4/Patient/a", "resource": {"resourceType": "Patient", "id": "a"}, "search": {"mode": "match"}},
                "not an object",
                {"fullUrl": "https://fhir.example/r4/Patient/b"},
                {"resource": {"resourceType": "Patient"}},
                {"resource": {"resourceType": "Patient", "id": "has space"}},
                {"resource": {"id": "x"}},
                {"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "diagnostics": "_sort ignored"}]}, "search": {"mode": "outcome"}},
                {"resource": {"resourceType": "RelatedPerson", "id": "r1"}, "search": {"mode": "include"}},
                {"resource": {"resourceType": "Patient", "id": "a"}},
                {"resource": {"resourceType": "Patient", "id": "c", "name": 5}}
            ]
        });
        let page = read_search_page(body.to_string().as_bytes()).unwrap();
        let found: Vec<(usize, &str, &str, bool)> =
            page.entries.iter().map(|e| (e.index, e.resource_type.as_str(), e.id.as_str(), e.included)).collect();
        assert_eq!(found, [(0, "Patient", "a", false), (7, "RelatedPerson", "r1", true), (9, "Patient", "c", false)]);
        let problems: Vec<String> = page.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "entry 1: not a JSON object",
                "entry 2 (Patient/b): no resource",
                "entry 3: the Patient has no id",
                "entry 4: the Patient has an id that is not a FHIR id",
                "entry 5: the resource has no resourceType",
            ]
        );
        assert_eq!(page.warnings, ["warning: _sort ignored"]);
        assert_eq!(page.next.unwrap().as_str(), "https://fhir.example/r4/Patient?_count=3&_offset=3");
        assert_eq!(page.total, Some(9));
    }

    #[test]
    fn only_a_body_that_is_no_bundle_fails_the_page() {
        let cases: [(&str, &str); 6] = [
            ("<html>login</html>", "."),
            ("[]", "."),
            (r#"{"resourceType":"Patient","id":"a"}"#, "resourceType"),
            (r#"{"resourceType":"OperationOutcome","issue":[{"diagnostics":"bad"}]}"#, "resourceType"),
            (r#"{"entry":[]}"#, "resourceType"),
            (r#"{"resourceType":"Bundle","entry":{"resource":{}}}"#, "entry"),
        ];
        for (body, path) in cases {
            match read_search_page(body.as_bytes()) {
                Err(FhirError::Malformed { path: p, .. }) => assert_eq!(p, path, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let empty = read_search_page(br#"{"resourceType":"Bundle","type":"searchset","total":0}"#).unwrap();
        assert!(empty.entries.is_empty() && empty.next.is_none() && empty.problems.is_empty());
    }

    #[test]
    fn a_next_link_that_cannot_be_followed_is_said_not_guessed() {
        let page = |url: &str| {
            let body = json!({"resourceType": "Bundle", "link": [{"relation": "next", "url": url}]});
            read_search_page(body.to_string().as_bytes()).unwrap()
        };
        assert!(page("Patient?_offset=3").next_problem.unwrap().contains("not an absolute URL"));
        assert!(page("ftp://fhir.example/x").next_problem.unwrap().contains("not http(s)"));
        assert_eq!(page("http://127.0.0.1:8090/fhir/Patient?_offset=3").next.unwrap().port(), Some(8090));
    }

    #[test]
    fn a_history_names_deletions_from_every_form_of_entry() {
        let body = json!({"resourceType": "Bundle", "type": "history", "entry": [
            {"fullUrl": "http://h/fhir/Patient/a", "request": {"method": "DELETE", "url": "Patient/a"},
             "response": {"status": "204 No Content", "lastModified": "2026-12-07T00:18:59.627Z"}},
            {"fullUrl": "http://h/fhir/Patient/b", "request": {"method": "PUT", "url": "Patient/b"},
             "resource": {"resourceType": "Patient", "id": "b", "meta": {"lastUpdated": "2026-12-07T00:18:58Z"}},
             "response": {"status": "200 OK"}},
            {"fullUrl": "http://h/fhir/Patient/c/_history/3", "response": {"status": "410 Gone"}},
            {"response": {"status": "200"}}
        ]});
        let page = read_history_page(body.to_string().as_bytes()).unwrap();
        let got: Vec<(&str, bool, Option<&str>)> =
            page.entries.iter().map(|e| (e.id.as_str(), e.deleted, e.at.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("a", true, Some("2026-12-07T00:18:59.627Z")),
                ("b", false, Some("2026-12-07T00:18:58Z")),
                ("c", true, None)
            ]
        );
        assert_eq!(page.problems.len(), 1);
    }
}
