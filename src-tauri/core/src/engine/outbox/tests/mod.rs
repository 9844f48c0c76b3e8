//! The outbox over real HTTP against the sandbox on 127.0.0.1.

mod chaos;
mod credentials;
mod modes;
mod one_sender;
mod profiles;
mod recovery;
mod sending;
mod team_twins;
mod undo_retry;
mod unmatched_reply;

use std::{path::Path, sync::Arc, sync::Mutex, time::Duration};

use keyring_core::CredentialStore;

use super::*;
use crate::{
    desk::secrets,
    desk::{DeskOptions, KeyringChoice},
    engine::routes::GatewayPlan,
    engine::send::{send_sms_with, SendOptions, SendStatus, SmsOutcome, SmsRequest},
    sandbox::{magic, SandboxHandle},
    store::Route,
};

/// Ana Lopez (ECM 1001) and her number.
pub(super) const ANA: &str = "ecm:1001";
pub(super) const ANA_NUMBER: &str = "+18055550100";

pub(super) struct Env {
    pub dir: tempfile::TempDir,
    pub store: Arc<CredentialStore>,
    pub desk: Mutex<Desk>,
    pub gw: Gateways,
    pub limiter: SendLimiter,
    pub policy: Policy,
}

pub(super) fn open_desk(dir: &Path, store: &Arc<CredentialStore>) -> Desk {
    Desk::open(DeskOptions { data_dir: Some(dir.to_path_buf()), keyring: KeyringChoice::Given(store.clone()) }).unwrap()
}

impl Env {
    /// A desk with the demo roster, on a sandbox (replies off), with
    /// `settings` set before the gateways connect.
    pub async fn with(settings: &[(&str, &str)]) -> Env {
        Env::with_sandbox(settings, SandboxOptions { replies: false, ..SandboxOptions::for_tests() }).await
    }

    /// [`Env::with`] on a sandbox started with `options`.
    pub async fn with_sandbox(settings: &[(&str, &str)], options: SandboxOptions) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = secrets::memory_store();
        let mut desk = open_desk(dir.path(), &store);
        desk.seed_demo_roster().unwrap();
        // Independent of the hour the tests run at; the quiet-hours tests
        // turn them on in `settings`.
        desk.set_setting("sms.quiet_hours", "off").unwrap();
        for (k, v) in settings {
            desk.set_setting(k, v).unwrap();
        }
        let gw = GatewayPlan::from_desk(&desk).unwrap().connect(options).await.unwrap();
        Env { dir, store, desk: Mutex::new(desk), gw, limiter: SendLimiter::new(0.0), policy: Policy::fast() }
    }

    pub async fn new() -> Env {
        Env::with(&[]).await
    }

    pub fn sim(&self) -> &SandboxHandle {
        self.gw.sandbox().expect("sandbox mode")
    }

    pub fn options(&self) -> SendOptions<'_> {
        SendOptions {
            limiter: Some(&self.limiter),
            test_gateways: None,
            wait: Duration::from_secs(10),
            policy: Some(self.policy.clone()),
            undo_delay: Duration::ZERO,
            ..SendOptions::default()
        }
    }

    pub async fn send(&self, patient: &str, to: Option<&str>, text: &str, via: Route) -> SmsOutcome {
        self.try_send(patient, to, text, via).await.unwrap()
    }

    pub async fn try_send(&self, patient: &str, to: Option<&str>, text: &str, via: Route) -> Result<SmsOutcome> {
        send_sms_with(&self.desk, &self.gw, request(patient, to, text, via), self.options()).await
    }

    pub async fn drain(&self) -> DrainReport {
        drain_with(&self.desk, Targets::new(&self.gw), &self.limiter, 1000, &self.policy).await.unwrap()
    }

    /// Drains until nothing is open, at most `rounds` times.
    pub async fn drain_until_empty(&self, rounds: usize) -> usize {
        for round in 0..rounds {
            if pending(&self.desk).unwrap().is_empty() {
                return round;
            }
            self.drain().await;
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        panic!("the outbox still has {} open rows after {rounds} drains", pending(&self.desk).unwrap().len());
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.desk.lock().unwrap().db().conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn item(&self, message_id: i64) -> crate::store::outbox::OutboxItem {
        self.desk.lock().unwrap().db().outbox_item(message_id).unwrap().unwrap()
    }
}

/// A send to `to`, confirmed as another number when it is not the patient's
/// (these tests address the sandbox's magic numbers; the check itself is
/// `sending::a_number_not_on_file_needs_confirmation_and_is_audited`).
pub(super) fn request(patient: &str, to: Option<&str>, text: &str, via: Route) -> SmsRequest {
    SmsRequest {
        patient: patient.into(),
        to: to.map(str::to_string),
        text: text.into(),
        via: Some(via),
        other_number: to.is_some(),
    }
}

pub(super) fn assert_status(o: &SmsOutcome, want: SendStatus) {
    assert_eq!(o.status, want, "{o:#?}");
}
