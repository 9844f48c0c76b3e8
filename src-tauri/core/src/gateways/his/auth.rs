//! Authorization for the hospital SMS server (spec 003 §2): a bearer token
//! from the keyring, or an Azure AD access token from the client credentials
//! grant ([`crate::gateways::oauth`]), cached until shortly before it
//! expires and shared by every clone of the client.

use crate::gateways::his::error::HisRefusal;
use std::{fmt, sync::Arc};

pub use super::authority::authority_tenant;
use super::error::HisError;
use crate::{
    gateways::oauth::{ClientCredentials, TokenCache, TokenRefusal},
    rules::secret::Secret,
};

/// The default Azure AD instance; `{0}` is the tenant.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/{0}";

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
    tokens: TokenCache,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            TokenSource::Azure(a) => f
                .debug_struct("Azure")
                .field("token_url", &a.tokens.token_url())
                .field("tenant", &a.config.tenant)
                .field("client_id", &a.config.client_id)
                .field("scope", &a.config.scope)
                .finish_non_exhaustive(),
        }
    }
}

/// Azure AD's refusal, as the hospital SMS server's error.
fn refused(e: TokenRefusal) -> HisError {
    HisError::Refused(HisRefusal::AzureAuth { error: e.error, description: e.description, retryable: e.retryable })
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
                let credentials = ClientCredentials {
                    token_url: config.token_url()?,
                    client_id: config.client_id.clone(),
                    client_secret: config.client_secret.clone(),
                    scopes: config.scope.split_whitespace().map(String::from).collect(),
                    extra: Vec::new(),
                };
                let tokens = TokenCache::new(credentials, http, "the hospital SMS server");
                TokenSource::Azure(Box::new(Azure { config, tokens }))
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
            TokenSource::Azure(a) => &a.tokens.credentials().client_secret,
        }
    }

    /// The current token: the cached one, or a new one from Azure AD.
    pub(crate) async fn token(&self) -> Result<Secret, HisError> {
        match self {
            TokenSource::Bearer(t) => Ok(t.clone()),
            TokenSource::Azure(a) => a.tokens.token().await.map_err(refused),
        }
    }

    /// After the SMS server refused `stale`: a new token, or `None` when the
    /// method cannot get one (bearer). A token another caller already
    /// renewed is reused rather than fetched again.
    pub(crate) async fn refresh(&self, stale: &Secret) -> Result<Option<Secret>, HisError> {
        match self {
            TokenSource::Bearer(_) => Ok(None),
            TokenSource::Azure(a) => a.tokens.refresh(stale).await.map(Some).map_err(refused),
        }
    }
}
