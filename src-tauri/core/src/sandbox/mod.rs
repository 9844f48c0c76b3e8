//! The sandbox: a local simulator of the hospital SMS server (spec 003), the
//! ECM Communications API (spec 004) and an Azure AD token endpoint, over
//! real HTTP on 127.0.0.1.
//!
//! - HIS at `/` and at `/his/` ([`SandboxHandle::his_base_url`] is the latter),
//!   `Authorization: Bearer` [`SANDBOX_HIS_TOKEN`] or a token from the Azure
//!   endpoint.
//! - ECM at `/v1/clinic/ecm/communications/patients/{id}/sms|call`,
//!   `X-User-Token:` [`SANDBOX_ECM_TOKEN`]; it knows the [`demo::roster`]
//!   patients.
//! - Azure AD at `/{tenant}/oauth2/v2.0/token` ([`SandboxHandle::azure_authority`]).
//! - Control at `/__sandbox/` (see [`control`]) when
//!   [`SandboxOptions::control_token`] is set, behind that token and a Host
//!   check; the same operations as methods of [`SandboxHandle`].
//!
//! Magic recipients that fail in known ways are listed in [`magic`]; fault
//! injection in [`Faults`].

pub mod control;
pub mod demo;
pub mod faults;
pub mod magic;
pub mod options;
pub mod profile;
pub mod state;

mod azure;
mod ecm;
mod his;
mod sim;

#[cfg(test)]
mod tests;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use rand::{rngs::StdRng, SeedableRng};
use tokio::{sync::watch, task::JoinHandle};
use url::Url;

pub use control::Inbound;
pub use faults::{Answer, Faults};
pub use his::hospital_numbers;
pub use options::{SandboxOptions, Timing};
pub use profile::Profile;
pub use state::{EcmInbound, EcmRecord, HisSend, InboxPoll, StateSnapshot, StatusChange};

use crate::gateways::his::wire::HisMessage;
use state::{Shared, State};

/// The HIS bearer token the sandbox accepts.
pub const SANDBOX_HIS_TOKEN: &str = "sandbox-his-token";
/// The ECM `X-User-Token` the sandbox accepts.
pub const SANDBOX_ECM_TOKEN: &str = "sandbox-ecm-token";
pub const SANDBOX_AZURE_TENANT: &str = "00000000-0000-0000-0000-00000000c0de";
pub const SANDBOX_AZURE_CLIENT_ID: &str = "11111111-1111-1111-1111-11111111c0de";
pub const SANDBOX_AZURE_CLIENT_SECRET: &str = "sandbox-client-secret";
pub const SANDBOX_AZURE_SCOPE: &str = "api://caredesk-sandbox/.default";

/// The longest [`SandboxHandle::shutdown`] waits for open requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    InvalidRequest(String),
}

pub struct Sandbox;

impl Sandbox {
    /// Listens on 127.0.0.1 and serves on the current tokio runtime until
    /// [`SandboxHandle::shutdown`] or the handle is dropped.
    pub async fn start(options: SandboxOptions) -> Result<SandboxHandle, SandboxError> {
        let port = options.port.unwrap_or(0);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| SandboxError::Bind { port, source })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind { port, source })?;
        let rng = match options.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared::new(State::new(rng, &options), options, stopped));
        let mut routes = his::routes().merge(ecm::routes()).merge(azure::routes());
        if let Some(token) = &shared.options.control_token {
            routes = routes.merge(control::routes(control::Guard::new(token, addr.port())));
        }
        let app = routes.with_state(shared.clone());
        let mut signal = shared.shutdown.clone();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = signal.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "sandbox server stopped with an error");
            }
        });
        let sim = tokio::spawn(sim::run(shared.clone()));
        tracing::info!(%addr, "sandbox listening");
        Ok(SandboxHandle { addr, shared, stop, server: Some(server), sim: Some(sim) })
    }
}

/// A running sandbox. Dropping it stops the server too (without waiting).
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    sim: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`
    pub fn base_url(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).expect("a socket address makes a valid URL")
    }

    /// The HIS base address, under a path: `http://127.0.0.1:PORT/his/`.
    pub fn his_base_url(&self) -> Url {
        self.base_url().join("his/").expect("a relative path joins")
    }

    /// The ECM base address (the root).
    pub fn ecm_base_url(&self) -> Url {
        self.base_url()
    }

    /// The Azure AD instance, `{0}` standing for the tenant:
    /// `http://127.0.0.1:PORT/{0}`.
    pub fn azure_authority(&self) -> String {
        format!("http://{}/{{0}}", self.addr)
    }

    /// The token endpoint for [`SANDBOX_AZURE_TENANT`].
    pub fn azure_token_url(&self) -> Url {
        self.base_url().join(&format!("{SANDBOX_AZURE_TENANT}/oauth2/v2.0/token")).expect("a relative path joins")
    }

    /// The token control requests carry in `X-Sandbox-Token`; `None` when
    /// the control API is not mounted.
    pub fn control_token(&self) -> Option<&str> {
        self.shared.options.control_token.as_deref()
    }

    pub fn state(&self) -> StateSnapshot {
        self.shared.lock().snapshot()
    }

    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.clone()
    }

    /// Replaces the faults in effect.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().set_faults(faults);
    }

    /// Turns simulated replies on or off.
    pub fn set_replies(&self, on: bool) {
        self.shared.lock().replies = on;
    }

    /// A patient's SMS arrives in the HIS inbox now.
    pub fn inject_inbound(&self, inbound: Inbound) -> Result<HisMessage, SandboxError> {
        control::inject(&mut self.shared.lock(), &inbound)
    }

    /// The hostile demo patient sends [`demo::HOSTILE_TEXT`] now.
    pub fn send_hostile(&self) -> HisMessage {
        control::inject_hostile(&mut self.shared.lock())
    }

    /// The credentials expire: from now on the HIS accepts only the bearer
    /// token `his_token`, Azure AD only the client secret `azure_secret`,
    /// and every token issued so far is void.
    pub fn rotate_credentials(&self, his_token: &str, azure_secret: &str) {
        let mut st = self.shared.lock();
        st.his_token = his_token.to_string();
        st.azure_secret = azure_secret.to_string();
        st.tokens.clear();
    }

    /// ECM accepts this patient id from now on.
    pub fn register_ecm_patient(&self, id: i64) {
        self.shared.lock().ecm_patients.insert(id);
    }

    /// Back to a fresh start (see `POST /__sandbox/reset`).
    pub fn reset(&self) {
        self.shared.lock().reset(&self.shared.options);
    }

    /// Stops listening, lets open requests finish (hung ones are cut short)
    /// for at most 5 s, and stops the simulator.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in [self.server.take(), self.sim.take()].into_iter().flatten() {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
                tracing::warn!("sandbox task did not stop in time; aborted");
                abort.abort();
            }
        }
        tracing::info!(addr = %self.addr, "sandbox stopped");
    }
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in [self.server.take(), self.sim.take()].into_iter().flatten() {
            task.abort();
        }
    }
}
