//! How the outbox treats failures: which errors stop at once, which are
//! retried, which may have sent the message; and when the next attempt goes.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::gateways::error::{GatewayError, ServerRefusal};

/// How long a hospital SMS server may take to list a message it took, by
/// default (setting `his.outgoing_lag_secs`).
pub const DEFAULT_LIST_LAG_SECS: u64 = 15;

/// Timing of retries and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The first retry delay (before jitter).
    pub base_delay: Duration,
    /// No retry delay reaches this, jitter included.
    pub max_delay: Duration,
    /// Seeds the jitter (tests); `None` draws it at random.
    pub jitter_seed: Option<u64>,
    /// The least wait between an attempt that may have reached the server
    /// and the check of the server's Outgoing list: how long the server may
    /// take to list a message it took (setting `his.outgoing_lag_secs`). A
    /// check finding nothing proves absence only after it.
    pub settle: Duration,
    /// The check reads the list from this long before the attempt left (and
    /// twelve hours more, for any zone), for a server clock that is behind.
    pub reconcile_margin: Duration,
    /// How long a claim holds: longer than any HTTP request (at most 600 s).
    /// An in-flight row whose claim ran out is treated as ambiguous.
    pub lease: Duration,
    /// After this long in the outbox a message is given up: refused when it
    /// cannot have gone, uncertain when it may have.
    pub give_up_after: Duration,
    /// While a route is paused (its server refused the credentials), one
    /// waiting message is tried this often, in case the server changed its
    /// mind; replacing the secret resumes the route at once.
    pub pause_probe: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(300),
            jitter_seed: None,
            settle: Duration::from_secs(DEFAULT_LIST_LAG_SECS),
            reconcile_margin: Duration::from_secs(3600),
            lease: Duration::from_secs(660),
            give_up_after: Duration::from_secs(24 * 3600),
            pause_probe: Duration::from_secs(300),
        }
    }
}

impl Policy {
    /// Milliseconds instead of seconds, for tests.
    pub fn fast() -> Policy {
        Policy {
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            settle: Duration::from_millis(1),
            pause_probe: Duration::from_millis(200),
            ..Policy::default()
        }
    }

    /// The default policy with the desk's settings (`his.outgoing_lag_secs`).
    pub fn from_desk(desk: &crate::desk::Desk) -> Policy {
        let lag = desk.setting("his.outgoing_lag_secs").ok().flatten().and_then(|v| v.parse::<u64>().ok());
        Policy { settle: Duration::from_secs(lag.unwrap_or(DEFAULT_LIST_LAG_SECS)), ..Policy::default() }
    }

    /// The wait after failed attempt number `attempts` (1 = the first):
    /// backon's exponential schedule from `base_delay`, doubling up to half
    /// of `max_delay`, plus a random jitter of up to the same again. So the
    /// delay `d` of an attempt lies in `[d, 2d)`, grows with each attempt,
    /// and stays below `max_delay`.
    pub fn retry_delay(&self, attempts: u32) -> Duration {
        let cap = (self.max_delay / 2).max(Duration::from_millis(1));
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.base_delay.min(cap))
            .with_max_delay(cap)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        // backon without its `std` feature seeds its jitter with a constant:
        // the seed comes from here, so two CareDesks never retry in step.
        let seed = match self.jitter_seed {
            Some(seed) => seed.wrapping_add(u64::from(attempts)),
            None => rand::random(),
        };
        let builder = builder.with_jitter_seed(seed);
        let n = attempts.clamp(1, 64) as usize;
        let delay = builder.build().nth(n - 1).unwrap_or(self.max_delay);
        delay.min(self.max_delay.saturating_sub(Duration::from_millis(1)).max(Duration::from_millis(1)))
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Trying again fails the same way: stop, with the reason.
    Refuse,
    /// Nothing was sent and it may work later: retry after a backoff.
    Retry,
    /// The server may have taken it: never resend blindly.
    Ambiguous,
    /// The server refused CareDesk's credentials: nothing was sent, and
    /// nothing will be until they are replaced. The route pauses; the
    /// message waits.
    Pause,
}

impl Disposition {
    fn of(may_have_been_accepted: bool, retryable: bool) -> Disposition {
        if may_have_been_accepted {
            Disposition::Ambiguous
        } else if retryable {
            Disposition::Retry
        } else {
            Disposition::Refuse
        }
    }
}

/// A gateway error in the outbox's terms, the same rule for both servers:
/// refused credentials pause the route (the hospital SMS server's 401/403 or
/// Azure AD refusing the client, ECM's 401/403); a timeout, a reset after the
/// request left, a 5xx or an unreadable answer may have sent it (and for the
/// hospital SMS server `Internal` or an unknown error code in a 2xx); a
/// refused connection, a 429 and an Azure AD outage are retried; the rest
/// (`InvalidClientNumber`, `InvalidMessageOwner`, ECM's Twilio codes,
/// patient not found, other 4xx) stop.
pub fn disposition<R: ServerRefusal>(e: &GatewayError<R>) -> Disposition {
    if e.is_credential_failure() {
        return Disposition::Pause;
    }
    Disposition::of(e.may_have_been_accepted(), e.is_retryable())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        gateways::ecm::{
            error::{detect_twilio, EcmError, EcmRefusal},
            wire::TwilioCode,
        },
        gateways::his::{
            auth::AuthMethod,
            error::{HisError, HisRefusal},
            wire::ErrorCode,
        },
    };

    #[test]
    fn backoff_grows_stays_bounded_and_is_jittered() {
        let p = Policy::default();
        let mut floor = Duration::ZERO;
        for attempt in 1..=40 {
            let samples: Vec<Duration> = (0..30).map(|_| p.retry_delay(attempt)).collect();
            let d = p.base_delay.saturating_mul(1 << (attempt - 1).min(20)).min(p.max_delay / 2);
            for s in &samples {
                assert!(*s >= d && *s < d * 2 && *s < p.max_delay, "attempt {attempt}: {s:?} not in [{d:?}, 2x)");
            }
            assert!(d >= floor, "the floor grows: {d:?} after {floor:?}");
            floor = d;
            let first = samples[0];
            assert!(samples.iter().any(|s| *s != first), "attempt {attempt}: no jitter in {samples:?}");
        }
        assert!(p.retry_delay(1) < Duration::from_secs(4));
        assert!(p.retry_delay(3) >= Duration::from_secs(8), "2 s, 4 s, 8 s: {:?}", p.retry_delay(3));
        assert!(p.retry_delay(u32::MAX) < p.max_delay);
    }

    #[test]
    fn backoff_with_a_seed_repeats_and_fast_is_milliseconds() {
        let p = Policy { jitter_seed: Some(9), ..Policy::default() };
        assert_eq!(p.retry_delay(4), p.retry_delay(4));
        let f = Policy::fast();
        assert!((1..=10).all(|n| f.retry_delay(n) < Duration::from_millis(20)));
    }

    #[test]
    fn his_errors_table() {
        use Disposition::*;
        let api = |code, http_status| HisError::Refused(HisRefusal::Api { code, http_status, message: None });
        let cases = [
            (api(ErrorCode::InvalidClientNumber, 400), Refuse),
            (api(ErrorCode::InvalidMessageOwner, 400), Refuse),
            (api(ErrorCode::InvalidClientNumber, 200), Refuse),
            (api(ErrorCode::Internal, 500), Ambiguous),
            (api(ErrorCode::Internal, 200), Ambiguous),
            (api(ErrorCode::Other(42), 400), Refuse),
            (api(ErrorCode::Other(42), 503), Ambiguous),
            (HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Bearer, status: 401 }), Pause),
            (HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Azure, status: 403 }), Pause),
            (
                HisError::Refused(HisRefusal::AzureAuth {
                    error: "invalid_client".into(),
                    description: None,
                    retryable: false,
                }),
                Pause,
            ),
            (
                HisError::Refused(HisRefusal::AzureAuth {
                    error: "unexpected_response".into(),
                    description: None,
                    retryable: true,
                }),
                Retry,
            ),
            (api(ErrorCode::Unrecognized, 200), Ambiguous),
            (
                HisError::Refused(HisRefusal::AzureAuth {
                    error: "timeout".into(),
                    description: None,
                    retryable: true,
                }),
                Retry,
            ),
            (HisError::Http { status: 500, body: String::new() }, Ambiguous),
            (HisError::Http { status: 502, body: String::new() }, Ambiguous),
            (HisError::Http { status: 503, body: String::new() }, Ambiguous),
            (HisError::Http { status: 429, body: String::new() }, Retry),
            (HisError::Http { status: 408, body: String::new() }, Retry),
            (HisError::Http { status: 404, body: String::new() }, Refuse),
            (HisError::Http { status: 400, body: String::new() }, Refuse),
            (HisError::Timeout, Ambiguous),
            (HisError::Connect { detail: "refused".into() }, Retry),
            (HisError::Transport { detail: "reset".into() }, Ambiguous),
            (HisError::Malformed { path: "Data.Id".into(), detail: "x".into() }, Ambiguous),
            (HisError::Config("x".into()), Refuse),
        ];
        for (e, want) in cases {
            assert_eq!(disposition(&e), want, "{e:?}");
        }
    }

    #[test]
    fn ecm_errors_table() {
        use Disposition::*;
        let api = |status: u16, text: &str| {
            let errors = vec![text.to_string()];
            EcmError::Refused(EcmRefusal::Api { status, twilio: detect_twilio(&errors), errors, patient_id: 1 })
        };
        let cases = [
            (api(422, "Failed to send SMS: The 'To' number is not a valid phone number (21211)"), Refuse),
            (api(422, "Failed to send SMS: The 'To' phone number cannot be reached (21214)"), Refuse),
            (api(422, "Failed to send SMS: Attempt to send to unsubscribed recipient (21610)"), Refuse),
            (api(422, "Failed to send SMS: Permission to send an SMS has not been enabled (21408)"), Refuse),
            (api(500, "Failed to send SMS: 21610"), Refuse),
            (api(404, "Patient not found"), Refuse),
            (api(422, "Phone number is required"), Refuse),
            (api(400, "param is missing"), Refuse),
            (api(500, "Internal server error"), Ambiguous),
            // Loose words are no opt-out: a refusal (4xx) or a maybe (5xx), as any ECM text.
            (api(422, "Failed to send SMS: Message blocked"), Refuse),
            (api(400, "the recipient has opted out"), Refuse),
            (api(503, "Message blocked"), Ambiguous),
            (EcmError::Refused(EcmRefusal::Unauthorized { status: 401 }), Pause),
            (EcmError::Http { status: 503, body: String::new() }, Ambiguous),
            (EcmError::Http { status: 429, body: String::new() }, Retry),
            (EcmError::Http { status: 404, body: String::new() }, Refuse),
            (EcmError::Timeout, Ambiguous),
            (EcmError::Connect { detail: "refused".into() }, Retry),
            (EcmError::Transport { detail: "reset".into() }, Ambiguous),
            (EcmError::Malformed { path: "sms.id".into(), detail: "x".into() }, Ambiguous),
            (EcmError::Config("x".into()), Refuse),
        ];
        for (e, want) in cases {
            assert_eq!(disposition(&e), want, "{e:?}");
        }
        assert_eq!(api(422, "unsubscribed recipient (21610)").twilio_code(), Some(TwilioCode::OptedOut));
        for loose in ["Message blocked", "blocked by carrier", "the recipient has opted out", "Blocked"] {
            assert_eq!(api(422, loose).twilio_code(), None, "{loose} must not opt the number out");
        }
    }
}
