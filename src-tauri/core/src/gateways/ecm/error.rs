//! Errors of the ECM Communications API client: ECM's `{ "errors": [...] }`
//! bodies read into what happened (patient, number, Twilio code) and what the
//! coordinator can do about it.

use super::wire::TwilioCode;
use crate::gateways::error::{retryable_status, FailureCodes, GatewayError, ServerRefusal};
use crate::gateways::http::redact_numbers;

/// An error of the ECM client: ECM's own refusals, or a failure below its
/// API (worded and classified in `gateway_error`).
pub type EcmError = GatewayError<EcmRefusal>;

/// What ECM refused, or an answer that did not come from ECM at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcmRefusal {
    /// ECM answered with `errors` (any status, even 2xx).
    #[error("{}", api_message(*.status, .errors, *.twilio, *.patient_id))]
    Api { status: u16, errors: Vec<String>, twilio: Option<TwilioCode>, patient_id: i64 },

    #[error("ECM refused the token ecm-token (HTTP {status}); check ecm-token and store a new one with `caredesk credentials set ecm-token`")]
    Unauthorized { status: u16 },

    /// The connection check's answer did not come from ECM: an HTML 404, a
    /// 2xx/3xx or a 4xx without ECM's JSON errors (a wrong ecm.base_url).
    #[error("ecm.base_url does not look like the ECM Communications API: POST {url} answered HTTP {status} without ECM's JSON errors; check ecm.base_url (and any path prefix){}",
        if .body.is_empty() { String::new() } else { format!(". It answered with {}", .body) })]
    NotEcm { status: u16, url: String, body: String },
}

/// What ECM's error texts are about, beyond Twilio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    PatientNotFound,
    PhoneRequired,
    InvalidPhone,
}

fn known(errors: &[String]) -> Option<Known> {
    let all = errors.join("\n").to_ascii_lowercase();
    if all.contains("patient not found") {
        Some(Known::PatientNotFound)
    } else if all.contains("phone number is required") {
        Some(Known::PhoneRequired)
    } else if all.contains("invalid phone number") {
        Some(Known::InvalidPhone)
    } else {
        None
    }
}

/// The Twilio code of spec 004 that ECM's error texts name: an explicit
/// number first (a standalone run of five digits), then Twilio's wording.
///
/// An opt-out (21610) is read only from the number or Twilio's exact words
/// for it ("Attempt to send to unsubscribed recipient"): the outbox opts the
/// patient's number out on it, so "Message blocked", "blocked by carrier" or
/// "the recipient has opted out" stay an ordinary refusal.
pub fn detect_twilio(errors: &[String]) -> Option<TwilioCode> {
    for e in errors {
        let explicit = e
            .split(|c: char| !c.is_ascii_digit())
            .filter(|run| run.len() == 5)
            .find_map(|run| run.parse().ok().and_then(TwilioCode::from_code));
        if explicit.is_some() {
            return explicit;
        }
    }
    let all = errors.join("\n").to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| all.contains(w));
    if has(&["is not a valid phone number", "not a valid mobile number"]) {
        Some(TwilioCode::InvalidTo)
    } else if has(&["phone number cannot be reached", "number cannot be reached"]) {
        Some(TwilioCode::Unreachable)
    } else if all.contains(&TwilioCode::OptedOut.twilio_message().to_ascii_lowercase()) {
        Some(TwilioCode::OptedOut)
    } else if has(&["permission to send"]) {
        Some(TwilioCode::NotPermitted)
    } else {
        None
    }
}

fn api_message(status: u16, errors: &[String], twilio: Option<TwilioCode>, patient_id: i64) -> String {
    let what = match (twilio, known(errors)) {
        (Some(TwilioCode::OptedOut), _) => {
            "the patient has opted out of SMS from the clinic's number (Twilio 21610)".to_string()
        }
        (Some(TwilioCode::InvalidTo), _) => {
            "Twilio says the number is not a valid phone number (Twilio 21211)".to_string()
        }
        (Some(TwilioCode::Unreachable), _) => "Twilio says the number cannot be reached (Twilio 21214)".to_string(),
        (Some(TwilioCode::NotPermitted), _) => {
            "the clinic's Twilio account may not send SMS to this number's region (Twilio 21408)".to_string()
        }
        (None, Some(Known::PatientNotFound)) => format!("ECM has no patient {patient_id}"),
        (None, Some(Known::PhoneRequired)) => "ECM says: Phone number is required".to_string(),
        (None, Some(Known::InvalidPhone)) => "ECM says: Invalid phone number".to_string(),
        (None, None) => {
            let text = redact_numbers(&errors.join("; "));
            if text.trim().is_empty() {
                format!("ECM refused the request (HTTP {status})")
            } else {
                format!("ECM refused the request (HTTP {status}): {text}")
            }
        }
    };
    match advice_for(twilio, known(errors)) {
        Some(advice) => format!("{what}; {}", lower_first(advice)),
        None => what,
    }
}

fn advice_for(twilio: Option<TwilioCode>, known: Option<Known>) -> Option<&'static str> {
    Some(match (twilio, known) {
        (Some(TwilioCode::OptedOut), _) => {
            "They must text START to the clinic's number before they can get SMS again; call them if it is urgent."
        }
        (Some(TwilioCode::InvalidTo), _) => {
            "Fix the patient's phone number (the full number, like +18051234567) and send again."
        }
        (Some(TwilioCode::Unreachable), _) => "Try another number for the patient, or call them.",
        (Some(TwilioCode::NotPermitted), _) => {
            "Ask the clinic admin to enable SMS for that region (Twilio geo permissions)."
        }
        (None, Some(Known::PatientNotFound)) => "Check the patient's ECM id.",
        (None, Some(Known::PhoneRequired)) => "Choose a phone number for the patient.",
        (None, Some(Known::InvalidPhone)) => "Fix the phone number (E.164, like +18051234567).",
        (None, None) => return None,
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl EcmRefusal {
    /// What the coordinator can do, when there is something.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            EcmRefusal::Api { errors, twilio, .. } => advice_for(*twilio, known(errors)),
            EcmRefusal::Unauthorized { .. } => Some("Store a new token with `caredesk credentials set ecm-token`."),
            EcmRefusal::NotEcm { .. } => Some("Set ecm.base_url to the API's address, without /v1/clinic/..."),
        }
    }
}

impl ServerRefusal for EcmRefusal {
    const SERVER: &'static str = "the ECM Communications API";
    const URL_SETTING: &'static str = "ecm.base_url";
    const TIMEOUT_MEANS: &'static str = "the message or call may have gone out";
    const CODES: FailureCodes = FailureCodes {
        http: "ecm_http",
        timeout: "ecm_timeout",
        connect: "ecm_connect",
        transport: "ecm_transport",
        malformed: "ecm_malformed",
        config: "ecm_config",
    };

    /// A Twilio code is Twilio's verdict on the number: not retried.
    fn is_retryable(&self) -> bool {
        match self {
            EcmRefusal::Api { status, twilio, .. } => twilio.is_none() && retryable_status(*status),
            EcmRefusal::Unauthorized { .. } | EcmRefusal::NotEcm { .. } => false,
        }
    }

    fn may_have_been_accepted(&self) -> bool {
        match self {
            EcmRefusal::Api { status, twilio, .. } => twilio.is_none() && *status >= 500,
            EcmRefusal::Unauthorized { .. } | EcmRefusal::NotEcm { .. } => false,
        }
    }

    fn is_credential_failure(&self) -> bool {
        matches!(self, EcmRefusal::Unauthorized { .. })
    }

    fn code(&self) -> &'static str {
        match self {
            EcmRefusal::Api { twilio: Some(TwilioCode::OptedOut), .. } => "ecm_twilio_opted_out",
            EcmRefusal::Api { twilio: Some(TwilioCode::InvalidTo), .. } => "ecm_twilio_invalid_number",
            EcmRefusal::Api { twilio: Some(TwilioCode::Unreachable), .. } => "ecm_twilio_unreachable",
            EcmRefusal::Api { twilio: Some(TwilioCode::NotPermitted), .. } => "ecm_twilio_not_permitted",
            EcmRefusal::Api { errors, .. } => match known(errors) {
                Some(Known::PatientNotFound) => "ecm_patient_not_found",
                Some(Known::PhoneRequired) => "ecm_phone_required",
                Some(Known::InvalidPhone) => "ecm_invalid_phone",
                None => "ecm_api_error",
            },
            EcmRefusal::Unauthorized { .. } => "ecm_unauthorized",
            EcmRefusal::NotEcm { .. } => "ecm_not_found",
        }
    }
}

impl EcmError {
    /// The Twilio code ECM's refusal names, if any.
    pub fn twilio_code(&self) -> Option<TwilioCode> {
        match self {
            GatewayError::Refused(EcmRefusal::Api { twilio, .. }) => *twilio,
            _ => None,
        }
    }

    /// What the coordinator can do, when there is something.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            GatewayError::Refused(r) => r.advice(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn twilio_codes_from_numbers_and_wording() {
        let cases: [(&str, Option<TwilioCode>); 24] = [
            ("Failed to send SMS: The 'To' number is not a valid phone number", Some(TwilioCode::InvalidTo)),
            ("Failed to send SMS: Twilio error 21211", Some(TwilioCode::InvalidTo)),
            ("Failed to send SMS: The 'To' phone number cannot be reached", Some(TwilioCode::Unreachable)),
            ("Twilio::REST::RestError: [HTTP 400] 21214 : Unable to create record", Some(TwilioCode::Unreachable)),
            ("Failed to send SMS: Attempt to send to unsubscribed recipient", Some(TwilioCode::OptedOut)),
            ("FAILED TO SEND SMS: ATTEMPT TO SEND TO UNSUBSCRIBED RECIPIENT", Some(TwilioCode::OptedOut)),
            ("Message blocked (21610)", Some(TwilioCode::OptedOut)),
            ("Twilio::REST::RestError: [HTTP 400] 21610 : Unable to create record", Some(TwilioCode::OptedOut)),
            ("Permission to send an SMS has not been enabled for the region", Some(TwilioCode::NotPermitted)),
            ("error code 21408", Some(TwilioCode::NotPermitted)),
            ("Phone number is required", None),
            ("Invalid phone number", None),
            ("Twilio error 20003 for +18051234567", None),
            // Opt-out only on an explicit 21610 or Twilio's own words for it.
            ("Message blocked", None),
            ("Failed to send SMS: Message blocked", None),
            ("the recipient has opted out", None),
            ("The recipient has opted-out", None),
            ("blocked by carrier", None),
            ("Blocked", None),
            ("Failed to send SMS: unsubscribed", None),
            ("Twilio error 216100", None),
            ("code 121610", None),
            ("Attempt to send to recipient", None),
            ("user unsubscribed from the newsletter", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect_twilio(&strings(&[text])), want, "{text}");
        }
    }

    #[test]
    fn classification_and_codes() {
        let api = |status: u16, errors: &[&str]| {
            let errors = strings(errors);
            EcmError::Refused(EcmRefusal::Api { status, twilio: detect_twilio(&errors), errors, patient_id: 123 })
        };
        // (error, retryable, may have been accepted, code)
        let cases = [
            (api(404, &["Patient not found"]), false, false, "ecm_patient_not_found"),
            (api(422, &["Phone number is required"]), false, false, "ecm_phone_required"),
            (api(422, &["Invalid phone number"]), false, false, "ecm_invalid_phone"),
            (
                api(422, &["Failed to send SMS: Attempt to send to unsubscribed recipient"]),
                false,
                false,
                "ecm_twilio_opted_out",
            ),
            (
                api(500, &["Failed to send SMS: The 'To' number is not a valid phone number"]),
                false,
                false,
                "ecm_twilio_invalid_number",
            ),
            (api(422, &["Failed to send SMS: 21214"]), false, false, "ecm_twilio_unreachable"),
            (api(422, &["Failed to send SMS: 21408"]), false, false, "ecm_twilio_not_permitted"),
            (api(500, &["Something broke"]), true, true, "ecm_api_error"),
            // Loose words are not an opt-out: a refusal with ECM's text, retried only on a 5xx.
            (api(422, &["Message blocked"]), false, false, "ecm_api_error"),
            (api(400, &["Failed to send SMS: blocked by carrier"]), false, false, "ecm_api_error"),
            (api(422, &["the recipient has opted out"]), false, false, "ecm_api_error"),
            (api(503, &["Blocked"]), true, true, "ecm_api_error"),
            (api(200, &["Something odd"]), false, false, "ecm_api_error"),
            (EcmError::Refused(EcmRefusal::Unauthorized { status: 401 }), false, false, "ecm_unauthorized"),
            (EcmError::Http { status: 503, body: String::new() }, true, true, "ecm_http"),
            (EcmError::Http { status: 400, body: String::new() }, false, false, "ecm_http"),
            (
                EcmError::Refused(EcmRefusal::NotEcm { status: 404, url: "https://x/".into(), body: String::new() }),
                false,
                false,
                "ecm_not_found",
            ),
            (EcmError::Timeout, true, true, "ecm_timeout"),
            (EcmError::Connect { detail: "refused".into() }, true, false, "ecm_connect"),
            (EcmError::Transport { detail: "reset".into() }, true, true, "ecm_transport"),
            (EcmError::Malformed { path: "sms.id".into(), detail: "x".into() }, false, true, "ecm_malformed"),
        ];
        for (e, retryable, accepted, code) in cases {
            assert_eq!(e.is_retryable(), retryable, "{e:?}");
            assert_eq!(e.is_permanent(), !retryable, "{e:?}");
            assert_eq!(e.may_have_been_accepted(), accepted, "{e:?}");
            assert_eq!(e.code(), code, "{e:?}");
        }
    }

    #[test]
    fn messages_and_advice() {
        let e = EcmError::Refused(EcmRefusal::Api {
            status: 404,
            errors: strings(&["Patient not found"]),
            twilio: None,
            patient_id: 77,
        });
        assert!(e.to_string().starts_with("ECM has no patient 77; check the patient's ECM id"), "{e}");
        let e = EcmError::Refused(EcmRefusal::Api {
            status: 422,
            errors: strings(&["Failed to send SMS: unsubscribed"]),
            twilio: Some(TwilioCode::OptedOut),
            patient_id: 1,
        });
        assert!(e.advice().unwrap().contains("START"), "{:?}", e.advice());
        assert_eq!(e.twilio_code(), Some(TwilioCode::OptedOut));
        let e = EcmError::Refused(EcmRefusal::Api {
            status: 400,
            errors: strings(&["No route to +18051234567"]),
            twilio: None,
            patient_id: 1,
        });
        assert!(!e.to_string().contains("8051234567"), "{e}");
        assert!(EcmError::Refused(EcmRefusal::Unauthorized { status: 401 }).to_string().contains("check ecm-token"));
    }

    #[test]
    fn a_blocked_message_is_a_refusal_with_ecms_text_not_an_opt_out() {
        let errors = strings(&["Failed to send SMS: Message blocked"]);
        let e =
            EcmError::Refused(EcmRefusal::Api { status: 422, twilio: detect_twilio(&errors), errors, patient_id: 1 });
        assert_eq!((e.twilio_code(), e.code(), e.advice()), (None, "ecm_api_error", None));
        assert_eq!(e.to_string(), "ECM refused the request (HTTP 422): Failed to send SMS: Message blocked");
    }
}
