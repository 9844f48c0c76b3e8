//! The FHIR R4 server client: reads (the CapabilityStatement, searches and
//! their pages, a type's history, one resource); its writes are in
//! [`super::write`].
//! JSON as `application/fhir+json`; the token as a bearer token, from the
//! keyring or an OAuth2 token endpoint (client credentials); paging links
//! followed as the server gives them, but only to the server's own origin.

use std::{fmt, sync::Arc, time::Instant};

use reqwest::{header, Method};
use url::Url;

use super::{
    capability::Capabilities,
    error::{refusal, FhirError, FhirRefusal},
    page::{read_history_page, read_search_page, HistoryPage, SearchPage},
};
use crate::{
    gateways::{
        http,
        oauth::{ClientCredentials, TokenCache},
    },
    rules::{fhir::roster::valid_id, secret::Secret},
};

/// FHIR's JSON media type, for `Accept` and `Content-Type`.
pub const FHIR_JSON: &str = "application/fhir+json";

/// How CareDesk signs in to the FHIR server.
#[derive(Debug, Clone)]
pub enum FhirAuth {
    /// `Authorization: Bearer <fhir-token>`.
    Bearer(Secret),
    /// An OAuth2 token from `fhir.token_url` (client credentials, secret
    /// `fhir-client-secret`), cached until shortly before it expires.
    ClientCredentials(ClientCredentials),
}

/// What the client connects with (built by `Desk::fhir_config`).
#[derive(Debug, Clone)]
pub struct FhirConfig {
    /// The FHIR base: `/metadata` and `/Patient` are under it.
    pub base_url: Url,
    pub auth: FhirAuth,
}

impl FhirConfig {
    /// A digest of everything the client connects with (the address, the
    /// sign-in and its secret), kept in memory only: a long-running engine
    /// builds a new client when it changes.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.base_url.as_str().hash(&mut h);
        match &self.auth {
            FhirAuth::Bearer(t) => ("bearer", t.expose()).hash(&mut h),
            FhirAuth::ClientCredentials(c) => (
                "client_credentials",
                c.token_url.as_str(),
                &c.client_id,
                c.client_secret.expose(),
                &c.scopes,
                &c.extra,
            )
                .hash(&mut h),
        }
        h.finish()
    }
}

enum Auth {
    Bearer(Secret),
    Tokens(Box<TokenCache>),
}

/// One client per configuration; clones share the HTTP connections and the
/// OAuth2 token.
#[derive(Clone)]
pub struct FhirClient {
    base_url: Url,
    http: reqwest::Client,
    auth: Arc<Auth>,
}

impl fmt::Debug for FhirClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match *self.auth {
            Auth::Bearer(_) => "bearer",
            Auth::Tokens(_) => "client_credentials",
        };
        f.debug_struct("FhirClient").field("base_url", &self.base_url.as_str()).field("auth", &method).finish()
    }
}

/// A resource read by id.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Found(serde_json::Value),
    /// 410 Gone: the server deleted it.
    Gone,
    /// 404 with the server's OperationOutcome: it has no such resource.
    NotFound,
}

/// An answer whose status CareDesk reads itself.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: header::HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Answer {
    pub(super) fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The server's clock, from its `Date` header.
    fn date(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.header(header::DATE)
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
    }
}

impl FhirClient {
    /// Checks the configuration (no request is made): an http(s) base with
    /// TLS unless it is this computer, and a token or client credentials.
    pub fn new(config: FhirConfig, http: reqwest::Client) -> Result<FhirClient, FhirError> {
        let mut base_url = config.base_url;
        if !matches!(base_url.scheme(), "http" | "https")
            || base_url.host_str().is_none()
            || base_url.cannot_be_a_base()
        {
            return Err(FhirError::Config(format!("fhir.base_url must be an http(s) address, not {base_url}")));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() || !base_url.username().is_empty() {
            return Err(FhirError::Config("fhir.base_url must not carry a ?query, #fragment or user@".into()));
        }
        crate::rules::transport::check(&base_url)
            .map_err(|e| FhirError::Config(format!("fhir.base_url {base_url}: {e}")))?;
        if !base_url.path().ends_with('/') {
            base_url.set_path(&format!("{}/", base_url.path()));
        }
        let auth = match config.auth {
            FhirAuth::Bearer(token) => {
                let token = Secret::new(token.expose().trim());
                if token.expose().is_empty() {
                    return Err(FhirError::Config("the secret fhir-token is empty".into()));
                }
                Auth::Bearer(token)
            }
            FhirAuth::ClientCredentials(c) => {
                crate::rules::transport::check(&c.token_url)
                    .map_err(|e| FhirError::Config(format!("fhir.token_url {}: {e}", c.token_url)))?;
                if c.client_id.trim().is_empty() {
                    return Err(FhirError::Config("fhir.client_id is not set".into()));
                }
                if c.client_secret.expose().trim().is_empty() {
                    return Err(FhirError::Config("the secret fhir-client-secret is empty".into()));
                }
                Auth::Tokens(Box::new(TokenCache::new(c, http.clone(), "the FHIR server")))
            }
        };
        Ok(FhirClient { base_url, http, auth: Arc::new(auth) })
    }

    /// The FHIR base, with a trailing `/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// `{base}/{resource_type}` or `{base}/{resource_type}/{id}`.
    pub fn resource_url(&self, resource_type: &str, id: Option<&str>) -> Url {
        let mut url = self.base_url.clone();
        {
            let mut segments = url.path_segments_mut().expect("checked in new: the base URL can be a base");
            segments.pop_if_empty().push(resource_type);
            if let Some(id) = id {
                segments.push(id);
            }
        }
        url
    }

    /// `GET {base}/metadata`: the server's CapabilityStatement. An answer
    /// that is not one is [`FhirRefusal::NotFhir`] (a wrong `fhir.base_url`).
    pub async fn capabilities(&self) -> Result<Capabilities, FhirError> {
        let url = self.resource_url("metadata", None);
        let answer = self.exchange("metadata", Method::GET, url.clone(), None, &[]).await?;
        let not_fhir = |a: &Answer| {
            FhirError::Refused(FhirRefusal::NotFhir {
                status: a.status,
                url: url.to_string(),
                body: http::describe_body(&a.body),
            })
        };
        if answer.status == 401 || answer.status == 403 {
            return Err(self.refused(&answer));
        }
        if !(200..300).contains(&answer.status) {
            return Err(match answer.status {
                500.. => self.refused(&answer),
                _ => not_fhir(&answer),
            });
        }
        let value: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|_| not_fhir(&answer))?;
        Capabilities::read(&value).ok_or_else(|| not_fhir(&answer))
    }

    /// `GET {base}/{resource_type}?{params}`: the first page of a search.
    pub async fn search(&self, resource_type: &str, params: &[(&str, String)]) -> Result<SearchPage, FhirError> {
        self.search_with(resource_type, params, &[]).await
    }

    /// [`FhirClient::search`] with extra request headers (`Prefer: handling=strict`).
    pub async fn search_with(
        &self,
        resource_type: &str,
        params: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> Result<SearchPage, FhirError> {
        let mut url = self.resource_url(resource_type, None);
        url.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        self.search_page(url, headers).await
    }

    /// The page a `next` link names, followed exactly as the server gave it
    /// (only to this server's origin).
    pub async fn next_page(&self, next: &Url) -> Result<SearchPage, FhirError> {
        self.check_link(next)?;
        self.search_page(next.clone(), &[]).await
    }

    async fn search_page(&self, url: Url, headers: &[(&str, &str)]) -> Result<SearchPage, FhirError> {
        let answer = self.exchange("search", Method::GET, url, None, headers).await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.refused(&answer));
        }
        let mut page = read_search_page(&answer.body)?;
        page.server_date = answer.date();
        Ok(page)
    }

    /// `GET {base}/{resource_type}/_history?_since={since}&_count={count}`:
    /// the versions (and deletions) of a type since an instant, newest first.
    pub async fn history(&self, resource_type: &str, since: &str, count: u32) -> Result<HistoryPage, FhirError> {
        let mut url = self.resource_url(resource_type, Some("_history"));
        url.query_pairs_mut().append_pair("_since", since).append_pair("_count", &count.to_string());
        self.history_page(url).await
    }

    /// The history page a `next` link names (only to this server's origin).
    pub async fn next_history_page(&self, next: &Url) -> Result<HistoryPage, FhirError> {
        self.check_link(next)?;
        self.history_page(next.clone()).await
    }

    async fn history_page(&self, url: Url) -> Result<HistoryPage, FhirError> {
        let answer = self.exchange("history", Method::GET, url, None, &[]).await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.refused(&answer));
        }
        read_history_page(&answer.body)
    }

    /// `GET {base}/{resource_type}/{id}`. 410 is [`Read::Gone`]; a 404 is
    /// [`Read::NotFound`] only with the server's OperationOutcome (an HTML
    /// 404 is an error: the address is wrong, not the resource gone).
    pub async fn read(&self, resource_type: &str, id: &str) -> Result<Read, FhirError> {
        if !valid_id(id) {
            return Err(FhirError::Config(format!("{resource_type} id {id:?} is not a FHIR id")));
        }
        let answer = self.exchange("read", Method::GET, self.resource_url(resource_type, Some(id)), None, &[]).await?;
        match answer.status {
            410 => Ok(Read::Gone),
            404 if super::error::outcome_issues(&answer.body, &[]).is_some() => Ok(Read::NotFound),
            200..=299 => {
                let value: serde_json::Value =
                    http::decode(&answer.body).map_err(|e| FhirError::Malformed { path: e.path, detail: e.reason })?;
                Ok(Read::Found(value))
            }
            _ => Err(self.refused(&answer)),
        }
    }

    /// Refuses a link to another origin than `fhir.base_url`'s: the token
    /// goes nowhere else.
    fn check_link(&self, link: &Url) -> Result<(), FhirError> {
        if link.origin() != self.base_url.origin() {
            return Err(FhirError::Refused(FhirRefusal::ForeignLink {
                origin: link.origin().ascii_serialization(),
                expected: self.base_url.origin().ascii_serialization(),
            }));
        }
        Ok(())
    }

    fn hidden(&self) -> Vec<&str> {
        match &*self.auth {
            Auth::Bearer(t) => vec![t.expose()],
            Auth::Tokens(c) => vec![c.credentials().client_secret.expose()],
        }
    }

    pub(super) fn refused(&self, answer: &Answer) -> FhirError {
        refusal(answer.status, &answer.body, &self.hidden(), matches!(*self.auth, Auth::Tokens(_)))
    }

    async fn token(&self) -> Result<Secret, FhirError> {
        match &*self.auth {
            Auth::Bearer(t) => Ok(t.clone()),
            Auth::Tokens(c) => c.token().await.map_err(token_refused),
        }
    }

    /// One request, and the raw answer. A 401 with client credentials is
    /// tried once more with a fresh token (the server refused the request
    /// before doing anything, so repeating it is safe).
    pub(super) async fn exchange(
        &self,
        op: &'static str,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, FhirError> {
        let started = Instant::now();
        let mut token = self.token().await?;
        let mut answer = self.send(method.clone(), url.clone(), body, headers, &token).await;
        if let (Ok(a), Auth::Tokens(cache)) = (&answer, &*self.auth) {
            if a.status == 401 {
                tracing::info!(op, "the FHIR server refused the OAuth2 token; trying once more with a fresh one");
                token = cache.refresh(&token).await.map_err(token_refused)?;
                answer = self.send(method, url, body, headers, &token).await;
            }
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &answer {
            Ok(a) => tracing::debug!(op, status = a.status, elapsed_ms, "FHIR request done"),
            Err(e) => tracing::warn!(op, code = e.code(), elapsed_ms, "FHIR request failed"),
        }
        answer
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
        token: &Secret,
    ) -> Result<Answer, FhirError> {
        let mut bearer = header::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| FhirError::Config("the FHIR token contains characters a header cannot carry".into()))?;
        bearer.set_sensitive(true);
        let mut request =
            self.http.request(method, url).header(header::AUTHORIZATION, bearer).header(header::ACCEPT, FHIR_JSON);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).map_err(|e| FhirError::Config(e.to_string()))?;
            request = request.header(header::CONTENT_TYPE, FHIR_JSON).body(bytes);
        }
        let response = request.send().await.map_err(|e| FhirError::from_failure(http::classify(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = http::read_body(response, http::MAX_BODY_BYTES)
            .await
            .map_err(|e| FhirError::from_failure(e.into_failure()))?;
        Ok(Answer { status, headers, body })
    }
}

fn token_refused(e: crate::gateways::oauth::TokenRefusal) -> FhirError {
    FhirError::Refused(FhirRefusal::Token { error: e.error, description: e.description, retryable: e.retryable })
}

pub(super) fn resource_type_of(resource: &serde_json::Value) -> Result<String, FhirError> {
    resource
        .get("resourceType")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .ok_or_else(|| FhirError::Config("a resource to write needs its resourceType".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Result<FhirClient, FhirError> {
        FhirClient::new(
            FhirConfig { base_url: base.parse().unwrap(), auth: FhirAuth::Bearer(Secret::new("t")) },
            reqwest::Client::new(),
        )
    }

    #[test]
    fn the_base_needs_tls_off_this_computer_and_no_query() {
        let e = client("http://fhir.clinic.example/r4").unwrap_err();
        assert!(matches!(&e, FhirError::Config(m) if m.contains("unencrypted")), "{e:?}");
        assert!(client("https://fhir.clinic.example/r4?x=1").is_err());
        assert!(client("http://127.0.0.1:8090/fhir").is_ok());
        let c = client("https://fhir.clinic.example/r4").unwrap();
        assert_eq!(c.resource_url("Patient", Some("p-1")).as_str(), "https://fhir.clinic.example/r4/Patient/p-1");
        assert_eq!(c.resource_url("metadata", None).as_str(), "https://fhir.clinic.example/r4/metadata");
        let root = client("https://fhir.clinic.example").unwrap();
        assert_eq!(root.resource_url("Patient", None).as_str(), "https://fhir.clinic.example/Patient");
    }

    #[test]
    fn client_credentials_need_a_tls_token_endpoint_and_an_id() {
        let config = |token_url: &str, client_id: &str| FhirConfig {
            base_url: "https://fhir.clinic.example/r4".parse().unwrap(),
            auth: FhirAuth::ClientCredentials(ClientCredentials {
                token_url: token_url.parse().unwrap(),
                client_id: client_id.into(),
                client_secret: Secret::new("s"),
                scopes: vec![],
                extra: vec![],
            }),
        };
        let new = |c| FhirClient::new(c, reqwest::Client::new());
        assert!(new(config("https://auth.example/oauth/token", "caredesk")).is_ok());
        let e = new(config("http://auth.example/oauth/token", "caredesk")).unwrap_err().to_string();
        assert!(e.contains("fhir.token_url") && e.contains("unencrypted"), "{e}");
        assert!(new(config("https://auth.example/oauth/token", " "))
            .unwrap_err()
            .to_string()
            .contains("fhir.client_id"));
    }

    #[test]
    fn paging_links_are_followed_only_to_the_servers_own_origin() {
        let c = client("https://fhir.clinic.example/r4").unwrap();
        assert!(c.check_link(&"https://fhir.clinic.example/r4/Patient?_offset=100".parse().unwrap()).is_ok());
        for foreign in [
            "https://evil.example/r4/Patient?_offset=100",
            "http://fhir.clinic.example/r4/Patient?_offset=100",
            "https://fhir.clinic.example:8443/r4/Patient",
        ] {
            let e = c.check_link(&foreign.parse().unwrap()).unwrap_err();
            assert_eq!(e.code(), "fhir_foreign_link", "{foreign}");
            assert!(e.is_permanent(), "{foreign}");
        }
    }
}
