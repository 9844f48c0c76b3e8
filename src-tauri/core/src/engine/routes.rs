//! Which servers CareDesk talks to, built from settings and the keyring: the
//! configured hospital SMS server and ECM API, or the built-in sandbox that
//! simulates both when nothing is configured.

use std::{path::Path, sync::Mutex};

use url::Url;

use crate::{
    desk::secrets::{Secret, SecretName},
    desk::Desk,
    engine::shared_sandbox::{self, Publication, Published},
    gateways::ecm::client::EcmClient,
    gateways::his::{
        auth::{authority_tenant, AzureConfig, HisAuth},
        client::{HisClient, HisConfig},
    },
    gateways::http::{self, HttpSettings},
    rules::error::{CoreError, Result},
    sandbox::{self, Sandbox, SandboxHandle, SandboxOptions},
    store::Route,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "AppMode")]
pub enum Mode {
    Sandbox,
    Real,
}

pub use crate::desk::setup_error::GatewayConfigError;

/// What to connect to, read from a desk (synchronous: settings and keyring).
#[derive(Debug, Clone)]
pub struct GatewayPlan {
    pub mode: Mode,
    pub http: HttpSettings,
    pub default_route: Route,
    his: std::result::Result<HisConfig, GatewayConfigError>,
    his_from: Option<String>,
    ecm: std::result::Result<(Url, Secret), GatewayConfigError>,
}

/// The connected gateways. In sandbox mode it owns the running sandbox.
pub struct Gateways {
    pub mode: Mode,
    pub default_route: Route,
    his: std::result::Result<HisClient, GatewayConfigError>,
    his_from: Option<String>,
    ecm: std::result::Result<EcmClient, GatewayConfigError>,
    sandbox: Option<SandboxHandle>,
    /// The sandbox of another process on the same data directory, when these
    /// gateways use it instead of one of their own.
    shared: Option<Published>,
    /// `sandbox.json` naming `sandbox`, while this process sends for the
    /// data directory (see [`crate::engine::shared_sandbox`]).
    publication: Mutex<Option<Publication>>,
}

impl std::fmt::Debug for Gateways {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateways").field("mode", &self.mode).field("default_route", &self.default_route).finish()
    }
}

fn url_setting(desk: &Desk, key: &'static str) -> Result<Option<Url>> {
    desk.setting(key)?
        .map(|v| {
            Url::parse(&v)
                .map_err(|e| CoreError::from(GatewayConfigError::Invalid(format!("{key} {v:?} is not a URL: {e}"))))
        })
        .transpose()
}

/// The Azure AD settings and secret, or the first one missing. The tenant
/// may be left unset when his.azure.authority names one.
fn azure_config(desk: &Desk) -> Result<std::result::Result<AzureConfig, GatewayConfigError>> {
    let authority_template = desk.setting("his.azure.authority")?.unwrap_or_default();
    let tenant = match desk.setting("his.azure.tenant")? {
        Some(t) => t,
        None if authority_tenant(&authority_template).is_some() => String::new(),
        None => return Ok(Err(GatewayConfigError::MissingSetting("his.azure.tenant"))),
    };
    let mut values = Vec::new();
    for key in ["his.azure.client_id", "his.azure.scope"] {
        match desk.setting(key)? {
            Some(v) => values.push(v),
            None => return Ok(Err(GatewayConfigError::MissingSetting(key))),
        }
    }
    let client_secret = match crate::desk::credential_origins::for_use(desk, SecretName::HisClientSecret) {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(Err(GatewayConfigError::MissingSecret(SecretName::HisClientSecret))),
        Err(e) => return e.downcast::<GatewayConfigError>().map(Err),
    };
    let scope = values.pop().unwrap_or_default();
    let client_id = values.pop().unwrap_or_default();
    Ok(Ok(AzureConfig { authority_template, tenant, client_id, scope, client_secret }))
}

impl GatewayPlan {
    pub fn from_desk(desk: &Desk) -> Result<GatewayPlan> {
        let his_url = url_setting(desk, "his.base_url")?;
        let ecm_url = url_setting(desk, "ecm.base_url")?;
        let mode = match desk.setting("servers.mode")?.as_deref() {
            Some("sandbox") => Mode::Sandbox,
            Some("real") => Mode::Real,
            _ if his_url.is_none() && ecm_url.is_none() => Mode::Sandbox,
            _ => Mode::Real,
        };
        let timeout = desk.setting("http.timeout_secs")?.and_then(|v| v.parse().ok()).unwrap_or(30);
        let default_route = desk.setting("sms.via")?.as_deref().and_then(Route::parse).unwrap_or(Route::His);
        let secret = |name: SecretName| -> Result<std::result::Result<Secret, GatewayConfigError>> {
            match crate::desk::credential_origins::for_use(desk, name) {
                Ok(s) => Ok(s.ok_or(GatewayConfigError::MissingSecret(name))),
                Err(e) => e.downcast::<GatewayConfigError>().map(Err),
            }
        };
        let his = match (mode, his_url) {
            (Mode::Sandbox, _) => Err(GatewayConfigError::HisNotConfigured),
            (Mode::Real, None) => Err(GatewayConfigError::HisNotConfigured),
            (Mode::Real, Some(base_url)) => {
                let auth = if desk.setting("his.auth")?.as_deref() == Some("azure") {
                    azure_config(desk)?.map(HisAuth::Azure)
                } else {
                    secret(SecretName::HisToken)?.map(HisAuth::Bearer)
                };
                auth.map(|auth| HisConfig { base_url, auth })
            }
        };
        let ecm = match (mode, ecm_url) {
            (Mode::Real, Some(url)) => secret(SecretName::EcmToken)?.map(|t| (url, t)),
            _ => Err(GatewayConfigError::EcmNotConfigured),
        };
        // A desk of a team names itself to the servers (see HttpSettings::desk).
        let team_desk = match desk.setting(crate::desk::team::DATABASE_URL)? {
            Some(_) => desk.desk_id().ok(),
            None => None,
        };
        Ok(GatewayPlan {
            mode,
            http: HttpSettings { desk: team_desk, ..HttpSettings::from_timeout_secs(timeout) },
            default_route,
            his,
            his_from: desk.setting("his.from")?,
            ecm,
        })
    }

    /// A digest of everything the plan connects with (addresses, settings and
    /// secrets), kept in memory only: a long-running process reconnects when
    /// it changes (a secret replaced in Settings or by `caredesk credentials`).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.mode == Mode::Sandbox, self.http.timeout, self.http.desk, self.default_route.as_str(), &self.his_from)
            .hash(&mut h);
        match &self.his {
            Ok(cfg) => {
                cfg.base_url.as_str().hash(&mut h);
                match &cfg.auth {
                    HisAuth::Bearer(t) => ("bearer", t.expose()).hash(&mut h),
                    HisAuth::Azure(a) => {
                        ("azure", &a.authority_template, &a.tenant, &a.client_id, &a.scope, a.client_secret.expose())
                            .hash(&mut h)
                    }
                }
            }
            Err(e) => e.to_string().hash(&mut h),
        }
        match &self.ecm {
            Ok((url, token)) => (url.as_str(), token.expose()).hash(&mut h),
            Err(e) => e.to_string().hash(&mut h),
        }
        h.finish()
    }

    /// Connects: builds the clients, and in sandbox mode starts the sandbox
    /// on a free loopback port (call inside a tokio runtime).
    pub async fn connect(self, sandbox_options: SandboxOptions) -> Result<Gateways> {
        self.connect_with(sandbox_options, None).await
    }

    /// [`GatewayPlan::connect`] for a data directory: in sandbox mode, the
    /// sandbox another live process publishes for it when there is one
    /// (`caredesk send` while the app runs), else a sandbox of its own with
    /// a control token, which [`Gateways::publish_if_sender`] publishes.
    pub async fn connect_in(self, data_dir: &Path, mut sandbox_options: SandboxOptions) -> Result<Gateways> {
        let shared = match self.mode {
            Mode::Sandbox => shared_sandbox::discover(data_dir),
            Mode::Real => None,
        };
        if sandbox_options.control_token.is_none() {
            sandbox_options.control_token = Some(sandbox::control::new_token());
        }
        self.connect_with(sandbox_options, shared).await
    }

    async fn connect_with(self, sandbox_options: SandboxOptions, shared: Option<Published>) -> Result<Gateways> {
        let client =
            http::client(&self.http).map_err(|e| CoreError::from(GatewayConfigError::Invalid(e.to_string())))?;
        match self.mode {
            Mode::Sandbox => {
                let (handle, base_url) = match &shared {
                    Some(p) => {
                        tracing::info!("using the sandbox of the process that sends for this data directory");
                        (None, p.base_url.clone())
                    }
                    None => {
                        let handle = Sandbox::start(sandbox_options)
                            .await
                            .map_err(|e| CoreError::Io(format!("cannot start the sandbox: {e}")))?;
                        let base = handle.base_url();
                        (Some(handle), base)
                    }
                };
                let his_base = base_url
                    .join("his/")
                    .map_err(|e| CoreError::from(GatewayConfigError::Invalid(format!("sandbox address: {e}"))))?;
                let his = HisClient::new(
                    HisConfig { base_url: his_base, auth: HisAuth::Bearer(Secret::new(sandbox::SANDBOX_HIS_TOKEN)) },
                    client.clone(),
                )?;
                let ecm = EcmClient::new(base_url, Secret::new(sandbox::SANDBOX_ECM_TOKEN), client)?;
                let from = self.his_from.or_else(|| Some(sandbox::magic::HOSPITAL_NUMBER.to_string()));
                Ok(Gateways {
                    mode: Mode::Sandbox,
                    default_route: self.default_route,
                    his: Ok(his),
                    his_from: from,
                    ecm: Ok(ecm),
                    sandbox: handle,
                    shared,
                    publication: Mutex::new(None),
                })
            }
            Mode::Real => {
                let his = match self.his {
                    Ok(cfg) => Ok(HisClient::new(cfg, client.clone())?),
                    Err(e) => Err(e),
                };
                let ecm = match self.ecm {
                    Ok((url, token)) => Ok(EcmClient::new(url, token, client)?),
                    Err(e) => Err(e),
                };
                Ok(Gateways {
                    mode: Mode::Real,
                    default_route: self.default_route,
                    his,
                    his_from: self.his_from,
                    ecm,
                    sandbox: None,
                    shared: None,
                    publication: Mutex::new(None),
                })
            }
        }
    }
}

impl Gateways {
    pub fn his(&self) -> Result<&HisClient> {
        self.his.as_ref().map_err(|e| CoreError::from(e.clone()))
    }

    pub fn ecm(&self) -> Result<&EcmClient> {
        self.ecm.as_ref().map_err(|e| CoreError::from(e.clone()))
    }

    pub fn his_from(&self) -> Result<&str> {
        self.his_from.as_deref().ok_or(CoreError::from(GatewayConfigError::NoSender))
    }

    pub fn sandbox(&self) -> Option<&SandboxHandle> {
        self.sandbox.as_ref()
    }

    /// Whether a route is configured, or why not.
    pub fn route_status(&self, route: Route) -> std::result::Result<(), GatewayConfigError> {
        match route {
            Route::His => self
                .his
                .as_ref()
                .map(|_| ())
                .map_err(Clone::clone)
                .and_then(|_| self.his_from.as_ref().map(|_| ()).ok_or(GatewayConfigError::NoSender)),
            Route::Ecm => self.ecm.as_ref().map(|_| ()).map_err(Clone::clone),
        }
    }

    /// Whether these gateways still reach what they should for `data_dir`:
    /// a shared sandbox only while its process still publishes it.
    pub fn is_current(&self, data_dir: &Path) -> bool {
        match &self.shared {
            None => true,
            Some(p) => shared_sandbox::discover(data_dir).as_ref() == Some(p),
        }
    }

    /// The sandbox of another process these gateways use, if they do.
    pub fn shared_sandbox(&self) -> Option<&Published> {
        self.shared.as_ref()
    }

    /// Publishes this process's own sandbox for `data_dir` (once; see
    /// [`crate::engine::shared_sandbox`]) when `is_sender`: the process holds the
    /// data directory's sender lock, so others trust the file while it does.
    pub fn publish_if_sender(&self, data_dir: &Path, is_sender: bool) {
        let (Some(handle), true) = (&self.sandbox, is_sender) else { return };
        let Some(token) = handle.control_token() else { return };
        let Ok(mut slot) = self.publication.lock() else { return };
        if slot.is_some() {
            return;
        }
        let published =
            Published { pid: std::process::id(), base_url: handle.base_url(), control_token: token.to_string() };
        match Publication::new(data_dir, published) {
            Ok(p) => {
                tracing::info!(addr = %handle.addr(), "the sandbox is published for other CareDesk processes on this data directory");
                *slot = Some(p);
            }
            Err(e) => tracing::warn!(error = %e, "cannot publish the sandbox for other CareDesk processes"),
        }
    }

    /// Stops the sandbox, if any (withdrawing its publication first).
    pub async fn shutdown(mut self) {
        if let Ok(mut slot) = self.publication.lock() {
            slot.take();
        }
        if let Some(s) = self.sandbox.take() {
            s.shutdown().await;
        }
    }
}
