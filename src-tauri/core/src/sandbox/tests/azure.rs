//! The Azure AD token endpoint: client credentials in the form or as Basic,
//! the AAD errors, expiry, and use of the token against the HIS.

use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

use super::*;
use crate::sandbox::{SANDBOX_AZURE_CLIENT_ID, SANDBOX_AZURE_CLIENT_SECRET, SANDBOX_AZURE_SCOPE, SANDBOX_AZURE_TENANT};

fn good_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", SANDBOX_AZURE_CLIENT_ID),
        ("client_secret", SANDBOX_AZURE_CLIENT_SECRET),
        ("scope", SANDBOX_AZURE_SCOPE),
    ]
}

async fn token_request(
    sb: &SandboxHandle,
    tenant: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let url = sb.azure_authority().replace("{0}", tenant) + "/oauth2/v2.0/token";
    let mut req = client().post(url).form(form);
    if let Some((id, secret)) = basic {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        req = req.header("Authorization", format!("Basic {enc}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn numbers_with(sb: &SandboxHandle, token: &str) -> StatusCode {
    let url = format!("{}?type=Numbers", sb.his_base_url());
    client().get(url).bearer_auth(token).send().await.unwrap().status()
}

#[tokio::test]
async fn client_credentials_in_the_form_give_a_bearer_token_the_his_accepts() {
    let sb = start().await;
    assert_eq!(
        sb.azure_token_url().as_str(),
        sb.azure_authority().replace("{0}", SANDBOX_AZURE_TENANT) + "/oauth2/v2.0/token"
    );
    let (status, v) = token_request(&sb, SANDBOX_AZURE_TENANT, &good_form(), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "expires_in", "ext_expires_in", "token_type"]);
    assert_eq!(
        (v["token_type"].as_str(), v["expires_in"].as_u64(), v["ext_expires_in"].as_u64()),
        (Some("Bearer"), Some(3599), Some(3599))
    );
    let token = v["access_token"].as_str().unwrap();
    assert!(token.len() > 20);
    assert_eq!(numbers_with(&sb, token).await, StatusCode::OK);
    assert_eq!(numbers_with(&sb, &format!("{token}x")).await, StatusCode::UNAUTHORIZED);
    let (_, again) = token_request(&sb, SANDBOX_AZURE_TENANT, &good_form(), None).await;
    assert_ne!(again["access_token"], v["access_token"]);
    let state = sb.state();
    assert_eq!((state.token_requests, state.tokens_issued), (2, 2));
}

#[tokio::test]
async fn client_credentials_as_http_basic_work_too() {
    let sb = start().await;
    let form = [("grant_type", "client_credentials"), ("scope", SANDBOX_AZURE_SCOPE)];
    let (status, v) =
        token_request(&sb, SANDBOX_AZURE_TENANT, &form, Some((SANDBOX_AZURE_CLIENT_ID, SANDBOX_AZURE_CLIENT_SECRET)))
            .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = token_request(&sb, SANDBOX_AZURE_TENANT, &form, Some((SANDBOX_AZURE_CLIENT_ID, "nope"))).await;
    assert_eq!((status, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

#[tokio::test]
async fn the_oauth2_crate_gets_a_token() {
    use oauth2::{basic::BasicClient, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
    let sb = start().await;
    let oauth = BasicClient::new(ClientId::new(SANDBOX_AZURE_CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new(SANDBOX_AZURE_CLIENT_SECRET.into()))
        .set_token_uri(TokenUrl::new(sb.azure_token_url().to_string()).unwrap());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = oauth
        .exchange_client_credentials()
        .add_scope(Scope::new(SANDBOX_AZURE_SCOPE.into()))
        .request_async(&http)
        .await
        .expect("a token");
    assert_eq!(token.expires_in(), Some(Duration::from_secs(3599)));
    assert_eq!(numbers_with(&sb, token.access_token().secret()).await, StatusCode::OK);
    let wrong = BasicClient::new(ClientId::new(SANDBOX_AZURE_CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new("wrong".into()))
        .set_token_uri(TokenUrl::new(sb.azure_token_url().to_string()).unwrap());
    let err = wrong
        .exchange_client_credentials()
        .add_scope(Scope::new(SANDBOX_AZURE_SCOPE.into()))
        .request_async(&http)
        .await;
    assert!(format!("{:?}", err.unwrap_err()).contains("invalid_client"));
}

/// Tenant, form, status, `error`, start of `error_description`.
type AadCase = (&'static str, Vec<(&'static str, &'static str)>, StatusCode, &'static str, &'static str);

#[tokio::test]
async fn wrong_credentials_tenant_grant_or_scope_get_aad_errors() {
    let sb = start().await;
    let with = |key: &'static str, value: &'static str| -> Vec<(&'static str, &'static str)> {
        good_form()
            .into_iter()
            .map(|(k, v)| if k == key { (k, value) } else { (k, v) })
            .filter(|(_, v)| !v.is_empty())
            .collect()
    };
    let cases: Vec<AadCase> = vec![
        (
            SANDBOX_AZURE_TENANT,
            with("client_secret", "wrong"),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided.",
        ),
        ("contoso.onmicrosoft.com", good_form(), StatusCode::BAD_REQUEST, "invalid_request", "AADSTS90002:"),
        (
            SANDBOX_AZURE_TENANT,
            with("client_id", "someone-else"),
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "AADSTS700016:",
        ),
        (
            SANDBOX_AZURE_TENANT,
            with("grant_type", "password"),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003:",
        ),
        (
            SANDBOX_AZURE_TENANT,
            with("scope", "api://other/.default"),
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            "AADSTS500011:",
        ),
        (SANDBOX_AZURE_TENANT, with("scope", "User.Read"), StatusCode::BAD_REQUEST, "invalid_scope", "AADSTS1002012:"),
        (SANDBOX_AZURE_TENANT, with("scope", ""), StatusCode::BAD_REQUEST, "invalid_request", "AADSTS900144:"),
        (SANDBOX_AZURE_TENANT, with("client_secret", ""), StatusCode::BAD_REQUEST, "invalid_client", "AADSTS7000216:"),
    ];
    let n = cases.len() as u64;
    for (tenant, form, status, error, description) in cases {
        let (got, v) = token_request(&sb, tenant, &form, None).await;
        assert_eq!((got, v["error"].as_str()), (status, Some(error)), "{v}");
        assert!(v["error_description"].as_str().unwrap().starts_with(description), "{v}");
        assert!(v["error_codes"][0].is_u64() && v["trace_id"].is_string() && v["correlation_id"].is_string(), "{v}");
        assert!(v.get("access_token").is_none());
    }
    let state = sb.state();
    assert_eq!((state.token_requests, state.tokens_issued), (n, 0));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let mut options = SandboxOptions::for_tests();
    options.token_ttl = Duration::from_secs(1);
    let sb = start_with(options).await;
    let (_, v) = token_request(&sb, SANDBOX_AZURE_TENANT, &good_form(), None).await;
    assert_eq!(v["expires_in"], 1);
    let token = v["access_token"].as_str().unwrap().to_string();
    assert_eq!(numbers_with(&sb, &token).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(numbers_with(&sb, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(numbers_with(&sb, SANDBOX_HIS_TOKEN).await, StatusCode::OK, "the static token never expires");
}
