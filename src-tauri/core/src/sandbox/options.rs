//! How a sandbox is started: port, seed, timing, replies and initial faults.

use std::time::Duration;

use super::{demo, faults::Faults, profile::Profile};

/// What the sandbox does and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; `None` or `Some(0)` picks a free one.
    pub port: Option<u16>,
    /// Seed of the random generator behind faults, replies and ids; `None`
    /// seeds from the OS.
    pub seed: Option<u64>,
    pub timing: Timing,
    /// Whether simulated patients answer delivered messages.
    pub replies: bool,
    /// Faults in effect from the start (and after nothing else: `reset`
    /// clears them).
    pub faults: Faults,
    /// Lifetime of the Azure AD tokens the sandbox issues (`expires_in`).
    pub token_ttl: Duration,
    /// How long a `timeout_rate` fault holds a request before dropping the
    /// connection. Longer than any client timeout; shutdown cuts it short.
    pub hang_for: Duration,
    /// ECM patient ids the ECM endpoints accept (more can be registered
    /// through the control API).
    pub ecm_patients: Vec<i64>,
    /// How the hospital SMS server behaves (see [`super::profile`]).
    pub profile: Profile,
    /// The server's zone, for the profiles that keep their times in it;
    /// `None`: the profile's own (the process's zone for `spec`).
    pub server_zone: Option<chrono::FixedOffset>,
    /// `lagging`: how long a sent message stays out of `type=Outgoing`.
    pub list_lag: Duration,
    /// The control API (`/__sandbox/...`) is mounted only with a token, which
    /// every control request must carry in `X-Sandbox-Token` (see
    /// [`super::control`]). `None` (the default, and the test-mode stand-in):
    /// no control API at all.
    pub control_token: Option<String>,
}

impl Default for SandboxOptions {
    /// Suited to a person trying the app: delivery after about 2 s, replies
    /// 4-8 s after sending.
    fn default() -> Self {
        SandboxOptions {
            port: None,
            seed: None,
            timing: Timing::default(),
            replies: true,
            faults: Faults::default(),
            token_ttl: Duration::from_secs(3599),
            hang_for: Duration::from_secs(60),
            ecm_patients: demo::ecm_patient_ids(),
            profile: Profile::Spec,
            server_zone: None,
            list_lag: Duration::from_secs(5),
            control_token: None,
        }
    }
}

impl SandboxOptions {
    /// Fast timing (tens of milliseconds), a fixed seed and a short hang, for
    /// tests.
    pub fn for_tests() -> Self {
        SandboxOptions {
            seed: Some(7),
            timing: Timing::fast(),
            hang_for: Duration::from_secs(5),
            list_lag: Duration::from_millis(400),
            control_token: Some(super::control::new_token()),
            ..SandboxOptions::default()
        }
    }
}

/// When simulated things happen. Every duration counts from the event named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How often the background task advances states.
    pub tick: Duration,
    /// HIS: from sending to `Enroute` (or `Rejected`).
    pub enroute_after: Duration,
    /// HIS: from sending to `Delivered` (or `Undeliverable`, `Expired`).
    pub delivered_after: Duration,
    /// A reply comes this long after delivery, at the earliest...
    pub reply_after_min: Duration,
    /// ...and at the latest.
    pub reply_after_max: Duration,
    /// ECM SMS: each step of queued → sending → sent → delivered.
    pub ecm_sms_step: Duration,
    /// ECM call: each step of queued → ringing → in-progress → completed.
    pub call_step: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            tick: Duration::from_millis(100),
            enroute_after: Duration::from_millis(400),
            delivered_after: Duration::from_secs(2),
            reply_after_min: Duration::from_secs(2),
            reply_after_max: Duration::from_secs(6),
            ecm_sms_step: Duration::from_millis(700),
            call_step: Duration::from_millis(1500),
        }
    }
}

impl Timing {
    /// Tens of milliseconds, for tests.
    pub fn fast() -> Self {
        Timing {
            tick: Duration::from_millis(5),
            enroute_after: Duration::from_millis(15),
            delivered_after: Duration::from_millis(40),
            reply_after_min: Duration::from_millis(20),
            reply_after_max: Duration::from_millis(40),
            ecm_sms_step: Duration::from_millis(15),
            call_step: Duration::from_millis(15),
        }
    }
}
