//! The ECM Communications API client (spec 004): send an SMS to a patient,
//! or start a call, through ECM (which uses Twilio and records an activity).

use crate::gateways::ecm::error::EcmRefusal;
use std::{fmt, time::Instant};

use reqwest::header;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use url::Url;

use super::{
    error::{detect_twilio, EcmError},
    wire::{CallParams, CallRequest, CallResponse, SendSmsRequest, SendSmsResponse, SmsParams},
};
use crate::{gateways::http, rules::redact, rules::secret::Secret};

/// The header that carries the user's token.
pub const TOKEN_HEADER: &str = "X-User-Token";

/// One client per configuration; clones share the HTTP connections.
#[derive(Clone)]
pub struct EcmClient {
    base_url: Url,
    token: Secret,
    http: reqwest::Client,
}

impl fmt::Debug for EcmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcmClient").field("base_url", &self.base_url.as_str()).field("token", &self.token).finish()
    }
}

impl EcmClient {
    /// `base_url` may carry a path prefix (`https://host/api`): the API's
    /// paths go under it.
    pub fn new(base_url: Url, token: Secret, http: reqwest::Client) -> Result<EcmClient, EcmError> {
        if !matches!(base_url.scheme(), "http" | "https")
            || base_url.host_str().is_none()
            || base_url.cannot_be_a_base()
        {
            return Err(EcmError::Config(format!("ecm.base_url must be an http(s) address, not {base_url}")));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() || !base_url.username().is_empty() {
            return Err(EcmError::Config("ecm.base_url must not carry a ?query, #fragment or user@".into()));
        }
        crate::rules::transport::check(&base_url)
            .map_err(|e| EcmError::Config(format!("ecm.base_url {base_url}: {e}")))?;
        let token = Secret::new(token.expose().trim());
        if token.expose().is_empty() {
            return Err(EcmError::Config("the secret ecm-token is empty".into()));
        }
        Ok(EcmClient { base_url, token, http })
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// `POST {base}/v1/clinic/ecm/communications/patients/{patient_id}/sms`
    pub async fn send_sms(&self, patient_id: i64, phone_number: &str, body: &str) -> Result<SendSmsResponse, EcmError> {
        tracing::info!(patient_id, to = %redact::phone(phone_number), text = %redact::text(body), "sending an SMS through ECM");
        let request =
            SendSmsRequest { sms: SmsParams { phone_number: phone_number.to_string(), body: body.to_string() } };
        let response: SendSmsResponse = self.post("send_sms", patient_id, "sms", &request, body).await?;
        tracing::info!(patient_id, ecm_sms_id = ?response.sms.id, status = %response.sms.status, "ECM took the SMS");
        Ok(response)
    }

    /// `POST {base}/v1/clinic/ecm/communications/patients/{patient_id}/call`
    pub async fn call(&self, patient_id: i64, phone_number: &str) -> Result<CallResponse, EcmError> {
        tracing::info!(patient_id, to = %redact::phone(phone_number), "starting a call through ECM");
        let request = CallRequest { call: CallParams { phone_number: phone_number.to_string() } };
        let response: CallResponse = self.post("call", patient_id, "call", &request, "").await?;
        tracing::info!(patient_id, ecm_call_id = ?response.call.id, status = %response.call.status, "ECM started the call");
        Ok(response)
    }

    /// Checks reachability and the token without sending anything: posts an
    /// empty body for patient 0, which ECM refuses (404 Patient not found,
    /// or 400/422 for the missing parameter) only after it accepted the
    /// token. Only such a refusal, with ECM's JSON errors, counts as
    /// connected: an HTML 404 or any answer without them means ecm.base_url
    /// points somewhere else ([`EcmError::NotEcm`]).
    pub async fn probe(&self) -> Result<(), EcmError> {
        let started = Instant::now();
        let url = self.endpoint(0, "sms");
        let result = match self.exchange(0, "sms", &serde_json::json!({})).await {
            Ok((status, body)) => probe_verdict(status, &body, &url, &[self.token.expose()]),
            Err(e) => Err(e),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(()) => tracing::debug!(elapsed_ms, "ECM connection check passed"),
            Err(e) => tracing::warn!(elapsed_ms, code = e.code(), "ECM connection check failed"),
        }
        result
    }

    /// The endpoint of one patient's communication `kind` (`sms` or `call`).
    pub fn endpoint(&self, patient_id: i64, kind: &str) -> Url {
        let mut url = self.base_url.clone();
        url.path_segments_mut().expect("checked in new: the base URL can be a base").pop_if_empty().extend([
            "v1",
            "clinic",
            "ecm",
            "communications",
            "patients",
            &patient_id.to_string(),
            kind,
        ]);
        url
    }

    /// One request; `text` (the message sent) is kept out of errors should
    /// ECM echo it.
    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        op: &'static str,
        patient_id: i64,
        kind: &str,
        body: &B,
        text: &str,
    ) -> Result<T, EcmError> {
        let started = Instant::now();
        let result = self.post_inner(patient_id, kind, body, text).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::debug!(op, patient_id, elapsed_ms, "ECM call done"),
            Err(e) => tracing::warn!(op, patient_id, elapsed_ms, code = e.code(), "ECM call failed"),
        }
        result
    }

    async fn post_inner<B: Serialize, T: DeserializeOwned>(
        &self,
        patient_id: i64,
        kind: &str,
        body: &B,
        text: &str,
    ) -> Result<T, EcmError> {
        let (status, bytes) = self.exchange(patient_id, kind, body).await?;
        interpret(status, &bytes, patient_id, &[self.token.expose(), text])
    }

    /// The request and the raw answer: its status and body.
    async fn exchange<B: Serialize>(&self, patient_id: i64, kind: &str, body: &B) -> Result<(u16, Vec<u8>), EcmError> {
        let mut token = header::HeaderValue::from_str(self.token.expose())
            .map_err(|_| EcmError::Config("the secret ecm-token contains characters a header cannot carry".into()))?;
        token.set_sensitive(true);
        let response = self
            .http
            .post(self.endpoint(patient_id, kind))
            .header(TOKEN_HEADER, token)
            .header(header::ACCEPT, "application/json")
            .json(body)
            .send()
            .await
            .map_err(|e| EcmError::from_failure(http::classify(&e)))?;
        let status = response.status().as_u16();
        let bytes = http::read_body(response, http::MAX_BODY_BYTES)
            .await
            .map_err(|e| EcmError::from_failure(e.into_failure()))?;
        Ok((status, bytes))
    }
}

/// What the answer to [`EcmClient::probe`] proves. A 4xx (not 401/403)
/// with ECM's JSON errors: connected. A 5xx: ECM's (or a proxy's) trouble,
/// reported as such. Anything else (an HTML 404, a 2xx or 3xx, a 4xx
/// without `errors`) did not come from ECM's parameter check.
pub(crate) fn probe_verdict(status: u16, body: &[u8], url: &Url, hidden: &[&str]) -> Result<(), EcmError> {
    let not_ecm =
        || EcmError::Refused(EcmRefusal::NotEcm { status, url: url.to_string(), body: http::describe_body(body) });
    match interpret::<serde_json::Value>(status, body, 0, hidden) {
        Err(EcmError::Refused(EcmRefusal::Api { status: 400..=499, .. })) => Ok(()),
        Err(e @ (EcmError::Refused(EcmRefusal::Api { .. }) | EcmError::Refused(EcmRefusal::Unauthorized { .. }))) => {
            Err(e)
        }
        Err(e @ EcmError::Http { status: 500.., .. }) => Err(e),
        Ok(_) | Err(EcmError::Http { .. } | EcmError::Malformed { .. }) => Err(not_ecm()),
        Err(e) => Err(e),
    }
}

/// ECM's error bodies: `{ "errors": ["..."] }`; also read, for robustness,
/// `{ "errors": { "phone_number": ["is invalid"] } }`, `{ "errors": "..." }`
/// and `{ "error": "..." }`.
#[derive(Deserialize)]
struct AnyErrors {
    #[serde(default)]
    errors: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

fn error_texts(body: &[u8]) -> Option<Vec<String>> {
    let parsed: AnyErrors = serde_json::from_slice(body).ok()?;
    let mut out = Vec::new();
    for value in [parsed.errors, parsed.error].into_iter().flatten() {
        collect(&value, None, &mut out);
    }
    (!out.is_empty()).then_some(out)
}

fn collect(value: &serde_json::Value, field: Option<&str>, out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::String(s) => out.push(match field {
            Some(f) => format!("{f} {s}"),
            None => s.clone(),
        }),
        Value::Array(items) => items.iter().for_each(|v| collect(v, field, out)),
        Value::Object(map) => {
            for (key, v) in map {
                if matches!(key.as_str(), "message" | "detail" | "title") {
                    collect(v, field, out);
                } else {
                    collect(v, Some(&key.replace('_', " ")), out);
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
        Value::Number(n) => out.push(n.to_string()),
    }
}

/// One status-to-error function: `errors` in the body decide first (any
/// status), then 401/403, then the HTTP status; a 2xx must decode fully.
pub(crate) fn interpret<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    patient_id: i64,
    hidden: &[&str],
) -> Result<T, EcmError> {
    if status == 401 || status == 403 {
        return Err(EcmError::Refused(EcmRefusal::Unauthorized { status }));
    }
    if let Some(errors) = error_texts(body) {
        // Kept with the token removed and phone numbers redacted: errors reach logs.
        let errors: Vec<String> = errors.iter().map(|e| http::redact_numbers(&http::scrub(e, hidden))).collect();
        return Err(EcmError::Refused(EcmRefusal::Api { status, twilio: detect_twilio(&errors), errors, patient_id }));
    }
    if !(200..300).contains(&status) {
        return Err(EcmError::Http { status, body: http::describe_body(body) });
    }
    http::decode(body).map_err(|e| EcmError::Malformed { path: e.path, detail: e.reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateways::ecm::wire::TwilioCode;

    fn parse(status: u16, body: &str) -> Result<SendSmsResponse, EcmError> {
        interpret(status, body.as_bytes(), 5, &["ecm-secret-token"])
    }

    #[test]
    fn plain_http_to_another_host_is_refused() {
        let new = |url: &str| EcmClient::new(url.parse().unwrap(), Secret::new("t"), reqwest::Client::new());
        let e = new("http://ecm.clinic.example/").unwrap_err();
        assert!(matches!(&e, EcmError::Config(m) if m.contains("unencrypted")), "{e:?}");
        assert!(new("http://localhost:8080/").is_ok() && new("https://ecm.clinic.example/").is_ok());
    }

    #[test]
    fn error_shapes_are_all_read() {
        let cases: [(&str, &[&str]); 5] = [
            (r#"{"errors":["Phone number is required"]}"#, &["Phone number is required"]),
            (r#"{"errors":{"phone_number":["is invalid"]}}"#, &["phone number is invalid"]),
            (r#"{"errors":"Patient not found"}"#, &["Patient not found"]),
            (r#"{"error":"Patient not found"}"#, &["Patient not found"]),
            (r#"{"errors":[{"message":"Invalid phone number"}]}"#, &["Invalid phone number"]),
        ];
        for (body, want) in cases {
            match parse(422, body).unwrap_err() {
                EcmError::Refused(EcmRefusal::Api { errors, status: 422, patient_id: 5, .. }) => {
                    assert_eq!(errors, want, "{body}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn errors_in_a_2xx_are_errors() {
        let e =
            parse(200, r#"{"errors":["Failed to send SMS: Attempt to send to unsubscribed recipient"]}"#).unwrap_err();
        assert_eq!(e.twilio_code(), Some(TwilioCode::OptedOut));
    }

    #[test]
    fn empty_errors_and_other_bodies_fall_back_to_http() {
        assert!(matches!(parse(500, r#"{"errors":[]}"#).unwrap_err(), EcmError::Http { status: 500, .. }));
        assert!(matches!(parse(502, "<html>").unwrap_err(), EcmError::Http { status: 502, .. }));
        let e = parse(200, r#"{"message":"ok","sms":"x"}"#).unwrap_err();
        assert!(matches!(&e, EcmError::Malformed { path, .. } if path == "sms"), "{e:?}");
        let e = parse(200, r#"{"message":"ok"}"#).unwrap_err();
        assert!(matches!(&e, EcmError::Malformed { path, .. } if path == "."), "{e:?}");
    }

    #[test]
    fn probe_counts_only_ecms_json_refusals_as_connected() {
        let url: Url = "https://ecm.example/api/v1/clinic/ecm/communications/patients/0/sms".parse().unwrap();
        let verdict = |status: u16, body: &str| probe_verdict(status, body.as_bytes(), &url, &["ecm-secret-token"]);
        // (status, body, connected, code when not)
        let cases: [(u16, &str, bool, &str); 12] = [
            (404, r#"{"errors":["Patient not found"]}"#, true, ""),
            (422, r#"{"errors":["param is missing or the value is empty: sms"]}"#, true, ""),
            (400, r#"{"error":"param is missing"}"#, true, ""),
            (404, "<html><body><h1>404 Not Found</h1></body></html>", false, "ecm_not_found"),
            (404, "", false, "ecm_not_found"),
            (404, r#"{"status":404,"title":"Not Found"}"#, false, "ecm_not_found"),
            (405, "Method Not Allowed", false, "ecm_not_found"),
            (200, "<!doctype html><html>the web app</html>", false, "ecm_not_found"),
            (301, "", false, "ecm_not_found"),
            (401, r#"{"errors":["Invalid or missing X-User-Token"]}"#, false, "ecm_unauthorized"),
            (403, "<html>Forbidden</html>", false, "ecm_unauthorized"),
            (503, "<html>Service Unavailable</html>", false, "ecm_http"),
        ];
        for (status, body, connected, code) in cases {
            match verdict(status, body) {
                Ok(()) => assert!(connected, "{status} {body}"),
                Err(e) => assert!(!connected && e.code() == code, "{status} {body}: {e:?}"),
            }
        }
        let e = verdict(404, "<html>Not Found ecm-secret-token</html>").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("ecm.base_url does not look like the ECM Communications API: POST https://ecm.example/api/v1/clinic/ecm/communications/patients/0/sms answered HTTP 404 without ECM's JSON errors; check ecm.base_url (and any path prefix)"), "{text}");
        assert!(!text.contains("ecm-secret-token") && e.is_permanent() && !e.may_have_been_accepted(), "{text}");
    }

    #[test]
    fn a_2xx_with_an_sms_object_is_accepted_whatever_its_ids() {
        let r = parse(201, r#"{"message":"SMS sent successfully","sms":{"id":"456","status":"queued"},"activity":{"id":"789","activity_type":"sms","status":"created","patient_id":"5"}}"#).unwrap();
        assert_eq!((r.sms.id, r.activity.map(|a| (a.id, a.patient_id))), (Some(456), Some((789, Some(5)))));
        let r = parse(200, r#"{"sms":{"id":"SMabc"}}"#).unwrap();
        assert_eq!((r.sms.id, r.sms.status.as_str()), (None, "queued"));
        let r = parse(200, r#"{"message":"SMS sent successfully","sms":{"id":456},"activity":"oops"}"#).unwrap();
        assert_eq!((r.sms.id, r.activity), (Some(456), None));
    }
}
