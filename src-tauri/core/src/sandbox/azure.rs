//! A stand-in for Azure AD's v2.0 token endpoint, client-credentials grant
//! only: `POST /{tenant}/oauth2/v2.0/token`. Client credentials may come in
//! the form or as HTTP Basic (as the `oauth2` crate sends them).

use std::{collections::HashMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use base64::Engine;
use serde_json::json;
use tokio::time::Instant;

use super::{state::Shared, SANDBOX_AZURE_CLIENT_ID, SANDBOX_AZURE_SCOPE, SANDBOX_AZURE_TENANT};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/{tenant}/oauth2/v2.0/token", post(token))
}

/// An AAD error: HTTP status, `error`, AADSTS number and description.
struct AadError(StatusCode, &'static str, u32, String);

async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secret = {
        let mut st = shared.lock();
        st.token_requests += 1;
        st.azure_secret.clone()
    };
    if let Err(AadError(status, error, code, description)) = check(&tenant, &headers, &body, &secret) {
        let trace = uuid::Uuid::new_v4();
        let correlation = uuid::Uuid::new_v4();
        let now = chrono::Utc::now();
        let description = format!(
            "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {}",
            now.format("%Y-%m-%d %H:%M:%SZ")
        );
        let body = json!({
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": now.format("%Y-%m-%d %H:%M:%SZ").to_string(),
            "trace_id": trace.to_string(),
            "correlation_id": correlation.to_string(),
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        });
        return (status, Json(body)).into_response();
    }
    let ttl = shared.options.token_ttl;
    let access_token = {
        let mut st = shared.lock();
        let token = format!("sandbox.{}", st.random_hex(48));
        st.tokens.insert(token.clone(), Instant::now() + ttl);
        st.tokens_issued += 1;
        token
    };
    let body = json!({
        "token_type": "Bearer",
        "expires_in": ttl.as_secs(),
        "ext_expires_in": ttl.as_secs(),
        "access_token": access_token,
    });
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn check(tenant: &str, headers: &HeaderMap, body: &[u8], client_secret: &str) -> Result<(), AadError> {
    let bad = |error, code, text: String| Err(AadError(StatusCode::BAD_REQUEST, error, code, text));
    if tenant != SANDBOX_AZURE_TENANT {
        return bad("invalid_request", 90002, format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    match field("grant_type") {
        Some("client_credentials") => {}
        None => {
            return bad(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.".into(),
            )
        }
        Some(other) => {
            return bad(
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            )
        }
    }
    let (client_id, secret) = match (field("client_id"), basic(headers)) {
        (Some(id), _) => (id.to_string(), field("client_secret").map(str::to_string)),
        (None, Some((id, secret))) => (id, Some(secret)),
        (None, None) => {
            return bad(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.".into(),
            )
        }
    };
    if client_id != SANDBOX_AZURE_CLIENT_ID {
        return bad(
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'."),
        );
    }
    match secret {
        None => {
            return bad(
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."
                    .into(),
            )
        }
        Some(s) if s != client_secret => {
            return Err(AadError(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.")));
        }
        Some(_) => {}
    }
    match field("scope") {
        None => bad("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.".into()),
        Some(s) if s == SANDBOX_AZURE_SCOPE => Ok(()),
        Some(s) if !s.ends_with("/.default") => bad("invalid_scope", 1002012, format!("The provided value for scope {s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")),
        Some(s) => bad("invalid_resource", 500011, format!("The resource principal named {} was not found in the tenant named {tenant}.", s.trim_end_matches("/.default"))),
    }
}

/// Client id and secret from `Authorization: Basic`, each form-decoded
/// (RFC 6749 section 2.3.1).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `Authorization: Bearer <token>` carries the HIS's static token or
/// an unexpired token this endpoint issued.
pub(crate) fn his_authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
    else {
        return false;
    };
    let st = shared.lock();
    token == st.his_token || st.tokens.get(token).is_some_and(|expires| *expires > Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_of_basic_credentials() {
        assert_eq!(form_decode("a%2Bb+c%3A%zz"), "a+b c:%zz");
        let mut h = HeaderMap::new();
        let enc = base64::engine::general_purpose::STANDARD.encode("id%3Ax:s%26t");
        h.insert(header::AUTHORIZATION, format!("Basic {enc}").parse().unwrap());
        assert_eq!(basic(&h), Some(("id:x".into(), "s&t".into())));
    }
}
