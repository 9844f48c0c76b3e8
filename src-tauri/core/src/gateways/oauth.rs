//! OAuth2 client credentials (RFC 6749 §4.4), shared by the hospital SMS
//! server's Azure AD sign-in and the FHIR server's token endpoint: a token
//! asked for with a client id and secret, cached until shortly before it
//! expires and shared by every clone of the client that holds the cache.
//! Failures are read into the endpoint's OAuth2 error code and whether
//! waiting can help; a body is never echoed.

use std::{future::Future, pin::Pin, time::Duration};

use oauth2::{
    basic::{BasicClient, BasicRequestTokenError},
    AsyncHttpClient, AuthType, ClientId, ClientSecret, HttpClientError, HttpRequest, HttpResponse, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use tokio::{sync::Mutex, time::Instant};

use crate::{gateways::http, rules::secret::Secret};

/// A token is renewed this long before it expires (at most half its lifetime).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed when the endpoint does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// What a token is asked for with.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub token_url: url::Url,
    pub client_id: String,
    pub client_secret: Secret,
    /// Scopes to ask for; none leaves the scope to the endpoint.
    pub scopes: Vec<String>,
    /// Other form parameters the endpoint needs (`audience` for Auth0-style endpoints).
    pub extra: Vec<(String, String)>,
}

/// Why no token came: the endpoint's OAuth2 error code exactly as sent
/// (`invalid_client`, ...) or one of CareDesk's (`unreachable`, `timeout`,
/// `not_a_token_endpoint`, `unexpected_response`, `request_failed`), its
/// description with the secret removed, and whether waiting may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefusal {
    pub error: String,
    pub description: Option<String>,
    pub retryable: bool,
}

/// Hands out the current token; shared by clones of a client.
pub(crate) struct TokenCache {
    credentials: ClientCredentials,
    token_url: TokenUrl,
    http: reqwest::Client,
    /// Names the server in logs: "the hospital SMS server".
    server: &'static str,
    /// Held while a token is fetched, so concurrent callers wait for one fetch.
    cache: Mutex<Option<Cached>>,
}

struct Cached {
    token: Secret,
    renew_at: Instant,
}

impl TokenCache {
    pub(crate) fn new(credentials: ClientCredentials, http: reqwest::Client, server: &'static str) -> TokenCache {
        let token_url = TokenUrl::from_url(credentials.token_url.clone());
        TokenCache { credentials, token_url, http, server, cache: Mutex::new(None) }
    }

    pub(crate) fn credentials(&self) -> &ClientCredentials {
        &self.credentials
    }

    pub(crate) fn token_url(&self) -> &str {
        self.token_url.as_str()
    }

    /// The current token: the cached one, or a new one.
    pub(crate) async fn token(&self) -> Result<Secret, TokenRefusal> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    /// After the server refused `stale`: a new token. One another caller
    /// already renewed is reused rather than fetched again.
    pub(crate) async fn refresh(&self, stale: &Secret) -> Result<Secret, TokenRefusal> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| c.token.expose() != stale.expose() && Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        *cache = None;
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    async fn fetch(&self) -> Result<Cached, TokenRefusal> {
        let c = &self.credentials;
        let client = BasicClient::new(ClientId::new(c.client_id.trim().to_string()))
            .set_client_secret(ClientSecret::new(c.client_secret.expose().trim().to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(self.token_url.clone());
        let started = Instant::now();
        let send = Recording { http: self.http.clone(), reply: Default::default() };
        let mut request = client.exchange_client_credentials().add_scopes(c.scopes.iter().cloned().map(Scope::new));
        for (name, value) in &c.extra {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let result = request.request_async(&send).await;
        let reply = send.reply.lock().unwrap_or_else(|p| p.into_inner()).take();
        let response = result.map_err(|e| {
            let e = map_error(e, reply.as_ref(), c.client_secret.expose());
            tracing::warn!(server = self.server, error = %e.error, retryable = e.retryable, "the token endpoint refused a token");
            e
        })?;
        let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        tracing::debug!(server = self.server, lifetime_secs = lifetime.as_secs(), "got an OAuth2 token");
        Ok(Cached {
            token: Secret::new(response.access_token().secret().as_str()),
            renew_at: started + lifetime - margin,
        })
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

/// The endpoint's refusal, with its OAuth2 error code exactly as sent in
/// `error`. Only those codes that name a credential or request problem are
/// final; a reply CareDesk cannot read (an HTML 503 of an outage, garbage),
/// a network failure, `temporarily_unavailable` or `server_error` are
/// retried: no token, so nothing was sent.
fn map_error(
    e: BasicRequestTokenError<HttpClientError<reqwest::Error>>,
    reply: Option<&Reply>,
    secret: &str,
) -> TokenRefusal {
    let hidden = &[secret][..];
    let err = |error: &str, description: String, retryable: bool| TokenRefusal {
        error: error.to_string(),
        description: Some(http::scrub(&description, hidden)),
        retryable,
    };
    match e {
        RequestTokenError::ServerResponse(r) => {
            let code = r.error().as_ref().to_string();
            let server_trouble = reply.is_some_and(|r| r.status >= 500);
            let retryable = matches!(code.as_str(), "temporarily_unavailable" | "server_error")
                || (server_trouble && !PERMANENT_OAUTH_ERRORS.contains(&code.as_str()));
            TokenRefusal {
                error: code,
                description: r.error_description().map(|d| http::scrub(d.trim(), hidden)),
                retryable,
            }
        }
        RequestTokenError::Request(HttpClientError::Reqwest(r)) => match http::classify(&r) {
            http::Failure::Timeout => err("timeout", "no answer in time".into(), true),
            http::Failure::Connect(d) | http::Failure::Transport(d) => err("unreachable", d, true),
            http::Failure::Builder(d) => err("request_failed", d, true),
        },
        RequestTokenError::Request(other) => err("request_failed", other.to_string(), true),
        // A 4xx page that is no OAuth2 reply (an HTML 404): the address is
        // wrong, which waiting does not fix.
        RequestTokenError::Parse(..)
            if reply.is_some_and(|r| (400..500).contains(&r.status) && ![408, 429].contains(&r.status)) =>
        {
            err("not_a_token_endpoint", Reply::describe(reply, "a page that is not an OAuth2 token endpoint"), false)
        }
        RequestTokenError::Parse(..) => {
            err("unexpected_response", Reply::describe(reply, "a body that is not a token reply"), true)
        }
        RequestTokenError::Other(o) => {
            let what = if o.contains("empty") { "an empty body" } else { "a body that is not a token reply" };
            err("unexpected_response", Reply::describe(reply, what), true)
        }
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
