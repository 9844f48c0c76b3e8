//! Authorization for the hospital SMS server (spec 003 §2): a bearer token
//! from the keyring, or an Azure AD access token from the client credentials
//! grant, cached until shortly before it expires and shared by every clone
//! of the client.

use std::{fmt, sync::Arc, time::Duration};

use oauth2::{
    basic::{BasicClient, BasicRequestTokenError},
    AuthType, ClientId, ClientSecret, HttpClientError, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use tokio::{sync::Mutex, time::Instant};

use super::error::HisError;
use crate::{http, secrets::Secret};

/// The default Azure AD instance; `{0}` is the tenant.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/{0}";

/// A token is renewed this long before it expires (at most half its lifetime).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed when Azure AD does not say (it always does).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub enum HisAuth {
    /// `Authorization: Bearer <his-token>`.
    Bearer(Secret),
    /// Azure AD client credentials (`his-client-secret`).
    Azure(AzureConfig),
}

#[derive(Debug, Clone)]
pub struct AzureConfig {
    /// Like `https://login.microsoftonline.com/{0}`; `{0}` is replaced by the tenant.
    pub authority_template: String,
    pub tenant: String,
    pub client_id: String,
    /// Like `api://000000-000-000-0000-0000/.default`; several are separated by spaces.
    pub scope: String,
    pub client_secret: Secret,
}

impl AzureConfig {
    /// `{authority}/oauth2/v2.0/token`. Plain http is accepted only for a
    /// server on this machine (tests, the sandbox).
    pub fn token_url(&self) -> Result<url::Url, HisError> {
        let tenant = self.tenant.trim();
        if tenant.is_empty() || !tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(HisError::Config(format!(
                "his.azure.tenant {tenant:?} is not a tenant id or domain (like 00000000-0000-0000-0000-000000000000)"
            )));
        }
        let template = self.authority_template.trim();
        let authority = if template.contains("{0}") {
            template.replace("{0}", tenant)
        } else {
            format!("{}/{tenant}", template.trim_end_matches('/'))
        };
        let raw = format!("{}/oauth2/v2.0/token", authority.trim_end_matches('/'));
        let url = url::Url::parse(&raw).map_err(|e| {
            HisError::Config(format!("his.azure.authority gives the token address {raw:?}, which is not a URL ({e})"))
        })?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(HisError::Config(format!("his.azure.authority must be an https address, not {raw:?}")));
        }
        Ok(url)
    }
}

/// How CareDesk signs in to the SMS server, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    Bearer,
    Azure,
}

/// Hands out the token for each request; shared by clones of the client.
pub(crate) enum TokenSource {
    Bearer(Secret),
    Azure(Box<Azure>),
}

pub(crate) struct Azure {
    config: AzureConfig,
    token_url: TokenUrl,
    http: reqwest::Client,
    /// Held while a token is fetched, so concurrent callers wait for one fetch.
    cache: Mutex<Option<Cached>>,
}

struct Cached {
    token: Secret,
    renew_at: Instant,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            TokenSource::Azure(a) => f
                .debug_struct("Azure")
                .field("token_url", &a.token_url.as_str())
                .field("tenant", &a.config.tenant)
                .field("client_id", &a.config.client_id)
                .field("scope", &a.config.scope)
                .finish_non_exhaustive(),
        }
    }
}

impl TokenSource {
    pub(crate) fn new(auth: HisAuth, http: reqwest::Client) -> Result<Arc<TokenSource>, HisError> {
        Ok(Arc::new(match auth {
            HisAuth::Bearer(token) => {
                if token.expose().trim().is_empty() {
                    return Err(HisError::Config("the secret his-token is empty".into()));
                }
                TokenSource::Bearer(Secret::new(token.expose().trim()))
            }
            HisAuth::Azure(config) => {
                for (name, value) in [("his.azure.client_id", &config.client_id), ("his.azure.scope", &config.scope)] {
                    if value.trim().is_empty() {
                        return Err(HisError::Config(format!("{name} is not set")));
                    }
                }
                if config.client_secret.expose().trim().is_empty() {
                    return Err(HisError::Config("the secret his-client-secret is not stored".into()));
                }
                let token_url = TokenUrl::from_url(config.token_url()?);
                TokenSource::Azure(Box::new(Azure { config, token_url, http, cache: Mutex::new(None) }))
            }
        }))
    }

    pub(crate) fn method(&self) -> AuthMethod {
        match self {
            TokenSource::Bearer(_) => AuthMethod::Bearer,
            TokenSource::Azure(_) => AuthMethod::Azure,
        }
    }

    /// The secret to scrub from anything the server sends back.
    pub(crate) fn secret(&self) -> &Secret {
        match self {
            TokenSource::Bearer(s) => s,
            TokenSource::Azure(a) => &a.config.client_secret,
        }
    }

    /// The current token: the cached one, or a new one from Azure AD.
    pub(crate) async fn token(&self) -> Result<Secret, HisError> {
        match self {
            TokenSource::Bearer(t) => Ok(t.clone()),
            TokenSource::Azure(a) => {
                let mut cache = a.cache.lock().await;
                if let Some(c) = cache.as_ref().filter(|c| Instant::now() < c.renew_at) {
                    return Ok(c.token.clone());
                }
                let fresh = a.fetch().await?;
                let token = fresh.token.clone();
                *cache = Some(fresh);
                Ok(token)
            }
        }
    }

    /// After the SMS server refused `stale`: a new token, or `None` when the
    /// method cannot get one (bearer). A token another caller already
    /// renewed is reused rather than fetched again.
    pub(crate) async fn refresh(&self, stale: &Secret) -> Result<Option<Secret>, HisError> {
        match self {
            TokenSource::Bearer(_) => Ok(None),
            TokenSource::Azure(a) => {
                let mut cache = a.cache.lock().await;
                if let Some(c) =
                    cache.as_ref().filter(|c| c.token.expose() != stale.expose() && Instant::now() < c.renew_at)
                {
                    return Ok(Some(c.token.clone()));
                }
                *cache = None;
                let fresh = a.fetch().await?;
                let token = fresh.token.clone();
                *cache = Some(fresh);
                Ok(Some(token))
            }
        }
    }
}

impl Azure {
    async fn fetch(&self) -> Result<Cached, HisError> {
        let client = BasicClient::new(ClientId::new(self.config.client_id.trim().to_string()))
            .set_client_secret(ClientSecret::new(self.config.client_secret.expose().trim().to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(self.token_url.clone());
        let scopes = self.config.scope.split_whitespace().map(|s| Scope::new(s.to_string()));
        let started = Instant::now();
        let response = client
            .exchange_client_credentials()
            .add_scopes(scopes)
            .request_async(&self.http)
            .await
            .map_err(|e| self.map_error(e))?;
        let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        tracing::debug!(lifetime_secs = lifetime.as_secs(), "got an Azure AD token for the hospital SMS server");
        Ok(Cached {
            token: Secret::new(response.access_token().secret().as_str()),
            renew_at: started + lifetime - margin,
        })
    }

    fn map_error(&self, e: BasicRequestTokenError<HttpClientError<reqwest::Error>>) -> HisError {
        let secret = &[self.config.client_secret.expose()][..];
        let err = |error: &str, description: String, retryable: bool| HisError::AzureAuth {
            error: error.to_string(),
            description: Some(http::scrub(&description, secret)),
            retryable,
        };
        let e = match e {
            RequestTokenError::ServerResponse(r) => {
                let code = r.error().as_ref().to_string();
                let retryable = matches!(code.as_str(), "temporarily_unavailable" | "server_error");
                HisError::AzureAuth {
                    error: code,
                    description: r.error_description().map(|d| http::scrub(d.trim(), secret)),
                    retryable,
                }
            }
            RequestTokenError::Request(HttpClientError::Reqwest(r)) => match http::classify(&r) {
                http::Failure::Timeout => err("timeout", "no answer in time".into(), true),
                http::Failure::Connect(d) | http::Failure::Transport(d) => err("unreachable", d, true),
                http::Failure::Builder(d) => err("request_failed", d, false),
            },
            RequestTokenError::Request(other) => err("request_failed", other.to_string(), false),
            RequestTokenError::Parse(p, body) => err(
                "unexpected_response",
                format!(
                    "at {}: {}; the answer began {:?}",
                    p.path(),
                    http::without_values(&p.inner().to_string()),
                    http::snippet(&body, secret)
                ),
                false,
            ),
            RequestTokenError::Other(o) => err("unexpected_response", o, false),
        };
        tracing::warn!(error = %e, "Azure AD refused a token for the hospital SMS server");
        e
    }
}
