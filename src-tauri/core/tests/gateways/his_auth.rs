//! Azure AD client credentials for the hospital SMS server: token requests,
//! caching, the one refresh after a 401, and Azure AD's errors.

use caredesk_core::gateways::his::error::HisRefusal;
use std::time::Duration;

use caredesk_core::gateways::his::{
    auth::{AuthMethod, HisAuth},
    client::{HisClient, HisConfig},
    error::HisError,
};
use serde_json::json;
use wiremock::{
    matchers::{body_string_contains, header, method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::support::*;

async fn mount_token(server: &MockServer, token: &str, expires_in: u64, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token, expires_in)));
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

async fn mount_numbers(server: &MockServer, token: &str, status: u16) {
    let template = if status == 200 {
        ResponseTemplate::new(200).set_body_string(fixture("his_numbers_response.json"))
    } else {
        ResponseTemplate::new(status)
    };
    Mock::given(method("GET"))
        .and(path("/sms/"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(template)
        .mount(server)
        .await;
}

#[tokio::test]
async fn token_request_is_client_credentials_with_the_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=client-id-1"))
        .and(body_string_contains(format!("client_secret={CLIENT_SECRET}")))
        .and(body_string_contains("scope=api%3A%2F%2F000000-000-000-0000-0000%2F.default"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("aad-1", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    mount_numbers(&server, "aad-1", 200).await;
    let client = his_azure(&server);
    assert_eq!(client.auth_method(), AuthMethod::Azure);
    assert_eq!(client.numbers().await.unwrap().len(), 2);
}

#[tokio::test]
async fn token_is_reused_across_calls_and_clones() {
    let server = MockServer::start().await;
    mount_token(&server, "aad-1", 3600, None).await;
    mount_numbers(&server, "aad-1", 200).await;
    let client = his_azure(&server);
    for c in [client.clone(), client.clone(), client] {
        c.numbers().await.unwrap();
    }
    assert_eq!(hits(&server, &token_path()).await, 1);
    assert_eq!(hits(&server, "/sms/").await, 3);
}

#[tokio::test]
async fn concurrent_first_calls_fetch_one_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_body("aad-1", 3600)).set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    mount_numbers(&server, "aad-1", 200).await;
    let client = his_azure(&server);
    let (a, b, c) = (client.clone(), client.clone(), client.clone());
    let (x, y, z) = tokio::join!(a.numbers(), b.numbers(), c.numbers());
    assert!(x.is_ok() && y.is_ok() && z.is_ok());
    assert_eq!(hits(&server, &token_path()).await, 1);
}

#[tokio::test]
async fn an_expiring_token_is_renewed() {
    let server = MockServer::start().await;
    mount_token(&server, "aad-1", 1, None).await;
    mount_numbers(&server, "aad-1", 200).await;
    let client = his_azure(&server);
    client.numbers().await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    client.numbers().await.unwrap();
    assert_eq!(hits(&server, &token_path()).await, 2);
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_retries_once() {
    let server = MockServer::start().await;
    mount_token(&server, "aad-old", 3600, Some(1)).await;
    mount_token(&server, "aad-new", 3600, Some(1)).await;
    mount_numbers(&server, "aad-old", 401).await;
    mount_numbers(&server, "aad-new", 200).await;
    let client = his_azure(&server);
    assert_eq!(client.numbers().await.unwrap().len(), 2);
    assert_eq!(hits(&server, &token_path()).await, 2);
    assert_eq!(hits(&server, "/sms/").await, 2);
    // The fresh token is kept for the next call.
    client.numbers().await.unwrap();
    assert_eq!(hits(&server, &token_path()).await, 2);
}

#[tokio::test]
async fn a_second_401_is_unauthorized_after_exactly_one_retry() {
    let server = MockServer::start().await;
    mount_token(&server, "aad-1", 3600, Some(1)).await;
    mount_token(&server, "aad-2", 3600, Some(1)).await;
    mount_numbers(&server, "aad-1", 401).await;
    mount_numbers(&server, "aad-2", 401).await;
    let e = his_azure(&server).numbers().await.unwrap_err();
    assert_eq!(e, HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Azure, status: 401 }));
    assert!(e.to_string().contains("Azure AD") && e.to_string().contains("his.azure.scope"), "{e}");
    assert_eq!(hits(&server, &token_path()).await, 2);
    assert_eq!(hits(&server, "/sms/").await, 2);
}

#[tokio::test]
async fn a_wrong_secret_is_a_clear_azure_error() {
    let server = MockServer::start().await;
    let description = "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID. Trace ID: 0000 Correlation ID: 1111";
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client", "error_description": description, "error_codes": [7000215]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/sms/")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let e = his_azure(&server).numbers().await.unwrap_err();
    match &e {
        HisError::Refused(HisRefusal::AzureAuth { error, description: Some(d), retryable: false }) => {
            assert_eq!(error, "invalid_client");
            assert!(d.starts_with("AADSTS7000215: Invalid client secret provided."), "{d}");
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("Azure AD") && text.contains("AADSTS7000215") && text.contains("his-client-secret"),
        "{text}"
    );
    assert!(e.is_permanent() && !e.may_have_been_accepted() && e.code() == "his_azure_auth");
}

#[tokio::test]
async fn other_azure_errors_point_at_the_right_setting() {
    let cases = [
        ("invalid_request", "AADSTS90002: Tenant 'contoso-tenant' not found.", "his.azure.tenant"),
        ("unauthorized_client", "AADSTS700016: Application with identifier 'x' was not found", "his.azure.client_id"),
        (
            "invalid_scope",
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid.",
            "his.azure.scope",
        ),
    ];
    for (error, description, setting) in cases {
        let server = MockServer::start().await;
        Mock::given(path(token_path()))
            .respond_with(
                ResponseTemplate::new(400).set_body_json(json!({ "error": error, "error_description": description })),
            )
            .mount(&server)
            .await;
        let e = his_azure(&server).numbers().await.unwrap_err();
        assert!(e.to_string().contains(setting), "{e}");
    }
}

/// A wrong authority answers with a page that is no OAuth2 reply: waiting
/// does not fix it, so the route pauses and says what to check.
#[tokio::test]
async fn a_token_endpoint_that_is_not_azure_is_reported() {
    let server = MockServer::start().await;
    Mock::given(path(token_path()))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"))
        .mount(&server)
        .await;
    let e = his_azure(&server).numbers().await.unwrap_err();
    assert!(
        matches!(&e, HisError::Refused(HisRefusal::AzureAuth { error, retryable: false, .. }) if error == "not_a_token_endpoint"),
        "{e:?}"
    );
    assert!(!e.may_have_been_accepted() && e.is_credential_failure(), "the route pauses");
    let text = e.to_string();
    assert!(
        text.contains("answered HTTP 404") && text.contains("his.azure.authority") && !text.contains("Not Found"),
        "{text}"
    );
}

async fn token_failure(template: ResponseTemplate) -> HisError {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(token_path())).respond_with(template).mount(&server).await;
    Mock::given(path("/sms/")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    his_azure(&server).numbers().await.unwrap_err()
}

const BODY_MARKER: &str = "Service Unavailable XYZZY-7";

#[tokio::test]
async fn an_html_503_from_the_token_endpoint_is_retried_without_echoing_the_body() {
    let html =
        format!("<html><head><title>{BODY_MARKER}</title></head><body>{CLIENT_SECRET} +18051234567</body></html>");
    let e = token_failure(ResponseTemplate::new(503).set_body_raw(html, "text/html; charset=utf-8")).await;
    match &e {
        HisError::Refused(HisRefusal::AzureAuth { error, description: Some(d), retryable: true }) => {
            assert_eq!(error, "unexpected_response");
            assert_eq!(d, "the token endpoint answered HTTP 503 (text/html) with a body that is not a token reply");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_retryable() && !e.may_have_been_accepted(), "the outbox retries it: {e:?}");
    let text = e.to_string();
    for echoed in ["XYZZY", "Service Unavailable", "<html", CLIENT_SECRET, "8051234567"] {
        assert!(!text.contains(echoed), "{echoed:?} echoed: {text}");
    }
}

#[tokio::test]
async fn unreadable_token_replies_are_retried_and_never_echoed() {
    let cases = [
        ResponseTemplate::new(200).set_body_raw(format!("{{\"garbage\": \"{BODY_MARKER}\"}}"), "application/json"),
        ResponseTemplate::new(200).set_body_raw(format!("not json {BODY_MARKER}"), "application/json"),
        ResponseTemplate::new(200).set_body_raw(format!("<html>{BODY_MARKER}</html>"), "text/html"),
        ResponseTemplate::new(200)
            .set_body_json(json!({ "token_type": "Bearer", "access_token": 5, "x": BODY_MARKER })),
        ResponseTemplate::new(502).set_body_string(BODY_MARKER),
        ResponseTemplate::new(503),
        ResponseTemplate::new(200),
    ];
    for (i, template) in cases.into_iter().enumerate() {
        let e = token_failure(template).await;
        assert!(
            matches!(&e, HisError::Refused(HisRefusal::AzureAuth { error, retryable: true, .. }) if error == "unexpected_response"),
            "case {i}: {e:?}"
        );
        let text = e.to_string();
        assert!(text.contains("the token endpoint answered HTTP"), "case {i}: {text}");
        assert!(!text.contains("XYZZY") && !text.contains("garbage"), "case {i}: {text}");
    }
}

#[tokio::test]
async fn oauth2_error_codes_are_kept_exactly_and_only_outages_are_retried() {
    // (HTTP status, error, retryable)
    let cases = [
        (401, "invalid_client", false),
        (400, "unauthorized_client", false),
        (400, "invalid_scope", false),
        (400, "invalid_grant", false),
        (400, "invalid_request", false),
        (400, "unsupported_grant_type", false),
        (500, "invalid_client", false),
        (503, "temporarily_unavailable", true),
        (500, "server_error", true),
        (400, "temporarily_unavailable", true),
        (503, "some_new_outage_code", true),
        (400, "some_new_code", false),
    ];
    for (status, code, retryable) in cases {
        let body = json!({ "error": code, "error_description": "AADSTS7000215: Invalid client secret provided." });
        let e = token_failure(ResponseTemplate::new(status).set_body_json(body)).await;
        match &e {
            HisError::Refused(HisRefusal::AzureAuth { error, retryable: r, description }) => {
                assert_eq!((error.as_str(), *r), (code, retryable), "{status} {code}");
                assert_eq!(description.as_deref(), Some("AADSTS7000215: Invalid client secret provided."));
            }
            other => panic!("{status} {code}: {other:?}"),
        }
        assert!(!e.may_have_been_accepted());
    }
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_retryable_and_nothing_was_sent() {
    let dead = refused_base().await;
    let config = HisConfig {
        base_url: format!("{dead}sms/").parse().unwrap(),
        auth: HisAuth::Azure(azure_config(format!("{dead}{{0}}"))),
    };
    let e = HisClient::new(config, http_default()).unwrap().numbers().await.unwrap_err();
    assert!(
        matches!(&e, HisError::Refused(HisRefusal::AzureAuth { error, retryable: true, .. }) if error == "unreachable"),
        "{e:?}"
    );
    assert!(!e.may_have_been_accepted());
}

#[test]
fn token_url_comes_from_the_authority_template() {
    let mut c = azure_config("https://login.microsoftonline.com/{0}".into());
    assert_eq!(c.token_url().unwrap().as_str(), "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token");
    c.authority_template = "https://login.microsoftonline.us/{0}/".into();
    assert_eq!(c.token_url().unwrap().as_str(), "https://login.microsoftonline.us/contoso-tenant/oauth2/v2.0/token");
    c.authority_template = "http://login.example/{0}".into();
    assert!(matches!(c.token_url(), Err(HisError::Config(_))), "plain http off this machine is refused");
    c.authority_template = "https://login.microsoftonline.com/{0}".into();
    c.tenant = "evil/../x".into();
    assert!(matches!(c.token_url(), Err(HisError::Config(_))));
}
