//! Authorization for the hospital SMS server (spec 003 §2): a bearer token
//! from the keyring, or an Azure AD access token from the client credentials
//! grant, cached until shortly before it expires and shared by every clone
//! of the client.

use crate::gateways::his::error::HisRefusal;
use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use oauth2::{
    basic::{BasicClient, BasicRequestTokenError},
    AsyncHttpClient, AuthType, ClientId, ClientSecret, HttpClientError, HttpRequest, HttpResponse, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use tokio::{sync::Mutex, time::Instant};

pub use super::authority::authority_tenant;
use super::error::HisError;
use crate::{gateways::http, rules::secret::Secret};

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
    /// The Azure AD authority: `https://login.microsoftonline.com/{0}` with
    /// `{0}` for the tenant, or MSAL's form naming the tenant itself
    /// (`https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0`);
    /// see [`AzureConfig::token_url`].
    pub authority_template: String,
    /// `his.azure.tenant`; empty when not set (allowed when the authority names one).
    pub tenant: String,
    pub client_id: String,
    /// Like `api://000000-000-000-0000-0000/.default`; several are separated by spaces.
    pub scope: String,
    pub client_secret: Secret,
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

/// What the token endpoint answered, as far as a failure needs it: never the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Reply {
    status: u16,
    /// The media type only (`text/html`), when it is a plain one.
    content_type: Option<String>,
}

impl Reply {
    fn of(response: &reqwest::Response) -> Reply {
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| {
                !v.is_empty() && v.len() <= 60 && v.chars().all(|c| c.is_ascii_alphanumeric() || "/+.-".contains(c))
            });
        Reply { status: response.status().as_u16(), content_type }
    }

    /// "the token endpoint answered HTTP 503 (text/html) with {what}"
    fn describe(reply: Option<&Reply>, what: &str) -> String {
        match reply {
            Some(r) => format!(
                "the token endpoint answered HTTP {}{} with {what}",
                r.status,
                r.content_type.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            None => format!("the token endpoint answered with {what}"),
        }
    }
}

/// oauth2's reqwest client, noting the status and content type of the
/// reply so an unreadable one can be told apart. (A closure returning an
/// async block would do, but its future is not `Send` for every lifetime,
/// which `tokio::spawn` needs.)
struct Recording {
    http: reqwest::Client,
    reply: std::sync::Mutex<Option<Reply>>,
}

impl<'c> AsyncHttpClient<'c> for Recording {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.http.execute(request.try_into().map_err(Box::new)?).await.map_err(Box::new)?;
            *self.reply.lock().unwrap_or_else(|p| p.into_inner()) = Some(Reply::of(&response));
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = http::read_body(response, http::MAX_BODY_BYTES)
                .await
                .map_err(|e| HttpClientError::Io(std::io::Error::other(e.to_string())))?;
            builder.body(body).map_err(HttpClientError::Http)
        })
    }
}

/// OAuth2 error codes that name a credential or request problem: retrying
/// unchanged cannot help, whatever the HTTP status.
const PERMANENT_OAUTH_ERRORS: [&str; 6] = [
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "invalid_grant",
    "invalid_request",
    "unsupported_grant_type",
];

impl Azure {
    async fn fetch(&self) -> Result<Cached, HisError> {
        let client = BasicClient::new(ClientId::new(self.config.client_id.trim().to_string()))
            .set_client_secret(ClientSecret::new(self.config.client_secret.expose().trim().to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(self.token_url.clone());
        let scopes = self.config.scope.split_whitespace().map(|s| Scope::new(s.to_string()));
        let started = Instant::now();
        let send = Recording { http: self.http.clone(), reply: Default::default() };
        let result = client.exchange_client_credentials().add_scopes(scopes).request_async(&send).await;
        let reply = send.reply.lock().unwrap_or_else(|p| p.into_inner()).take();
        let response = result.map_err(|e| self.map_error(e, reply.as_ref()))?;
        let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        tracing::debug!(lifetime_secs = lifetime.as_secs(), "got an Azure AD token for the hospital SMS server");
        Ok(Cached {
            token: Secret::new(response.access_token().secret().as_str()),
            renew_at: started + lifetime - margin,
        })
    }

    /// Azure AD's refusal, with its OAuth2 error code exactly as sent
    /// (`invalid_client`, ...) in `error`. Only those codes that name a
    /// credential or request problem are final; a reply CareDesk cannot
    /// read (an HTML 503 of an outage, garbage), a network failure,
    /// `temporarily_unavailable` or `server_error` are retried: no token,
    /// so nothing was sent. Bodies are never echoed.
    fn map_error(&self, e: BasicRequestTokenError<HttpClientError<reqwest::Error>>, reply: Option<&Reply>) -> HisError {
        let secret = &[self.config.client_secret.expose()][..];
        let err = |error: &str, description: String, retryable: bool| {
            HisError::Refused(HisRefusal::AzureAuth {
                error: error.to_string(),
                description: Some(http::scrub(&description, secret)),
                retryable,
            })
        };
        let e = match e {
            RequestTokenError::ServerResponse(r) => {
                let code = r.error().as_ref().to_string();
                let server_trouble = reply.is_some_and(|r| r.status >= 500);
                let retryable = matches!(code.as_str(), "temporarily_unavailable" | "server_error")
                    || (server_trouble && !PERMANENT_OAUTH_ERRORS.contains(&code.as_str()));
                HisError::Refused(HisRefusal::AzureAuth {
                    error: code,
                    description: r.error_description().map(|d| http::scrub(d.trim(), secret)),
                    retryable,
                })
            }
            RequestTokenError::Request(HttpClientError::Reqwest(r)) => match http::classify(&r) {
                http::Failure::Timeout => err("timeout", "no answer in time".into(), true),
                http::Failure::Connect(d) | http::Failure::Transport(d) => err("unreachable", d, true),
                http::Failure::Builder(d) => err("request_failed", d, true),
            },
            RequestTokenError::Request(other) => err("request_failed", other.to_string(), true),
            // A 4xx page that is no OAuth2 reply (an HTML 404): the
            // authority is wrong, which waiting does not fix.
            RequestTokenError::Parse(..)
                if reply.is_some_and(|r| (400..500).contains(&r.status) && ![408, 429].contains(&r.status)) =>
            {
                err(
                    "not_a_token_endpoint",
                    Reply::describe(reply, "a page that is not Azure AD's token endpoint"),
                    false,
                )
            }
            RequestTokenError::Parse(..) => {
                err("unexpected_response", Reply::describe(reply, "a body that is not a token reply"), true)
            }
            RequestTokenError::Other(o) => {
                let what = if o.contains("empty") { "an empty body" } else { "a body that is not a token reply" };
                err("unexpected_response", Reply::describe(reply, what), true)
            }
        };
        tracing::warn!(error = %e, "Azure AD refused a token for the hospital SMS server");
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_reply_is_described_by_status_and_media_type_only() {
        let reply = |status: u16, content_type: Option<&str>| {
            let mut b = oauth2::http::Response::builder().status(status);
            if let Some(c) = content_type {
                b = b.header("content-type", c);
            }
            Reply::of(&reqwest::Response::from(b.body("<html>secret body</html>").unwrap()))
        };
        let cases = [
            (reply(503, Some("text/html; charset=utf-8")), "HTTP 503 (text/html) with x"),
            (reply(200, Some("Application/JSON")), "HTTP 200 (application/json) with x"),
            (reply(502, None), "HTTP 502 with x"),
            (reply(500, Some("text/html\"<script>")), "HTTP 500 with x"),
        ];
        for (r, want) in cases {
            assert_eq!(Reply::describe(Some(&r), "x"), format!("the token endpoint answered {want}"), "{r:?}");
        }
        assert_eq!(Reply::describe(None, "x"), "the token endpoint answered with x");
    }
}
