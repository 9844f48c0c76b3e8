//! The one state object: the open desk (or why it could not open) and the
//! connected gateways (the configured servers, or the in-process sandbox).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use caredesk_core::{
    desk::Desk,
    desk::DeskOptions,
    engine::routes::{GatewayPlan, Gateways, Mode},
    sandbox::SandboxOptions,
};

use caredesk_core::{
    engine::replies::{NoticeNames, ReplyWatcher},
    engine::team::presence::{Here, PresenceEntry, PresenceHandle},
    engine::EngineEvent,
};

use crate::{desk_lock::DeskLock, error::UiError, sync_tracker::SyncTracker};

/// Cheap to clone: the background engine holds a clone.
#[derive(Clone)]
pub struct AppState {
    data_dir: Option<PathBuf>,
    /// The open desk, or why it could not open; retried on use until it opens
    /// (the startup screen's "Try again" after a keyring was unlocked).
    desk: Arc<Mutex<Result<Arc<Mutex<Desk>>, UiError>>>,
    gateways: Arc<tokio::sync::Mutex<Option<Arc<Gateways>>>>,
    engine: Arc<Mutex<Option<caredesk_core::engine::EngineHandle>>>,
    sync: Arc<Mutex<SyncTracker>>,
    replies: Arc<Mutex<Option<ReplyWatcher>>>,
    /// The window's lock (automatic logoff); starts locked.
    lock: DeskLock,
    /// Team mode's presence task (who views or writes to which thread).
    presence: Arc<Mutex<Option<PresenceHandle>>>,
}

fn open_desk(data_dir: &Option<PathBuf>) -> Result<Arc<Mutex<Desk>>, UiError> {
    Desk::open(DeskOptions { data_dir: data_dir.clone(), ..Default::default() })
        .map(|mut d| {
            d.set_role("the CareDesk app");
            Arc::new(Mutex::new(d))
        })
        .map_err(UiError::from)
}

impl AppState {
    pub fn open(data_dir: Option<PathBuf>) -> AppState {
        let desk = open_desk(&data_dir);
        AppState {
            data_dir,
            desk: Arc::new(Mutex::new(desk)),
            gateways: Default::default(),
            engine: Default::default(),
            sync: Default::default(),
            replies: Default::default(),
            lock: Default::default(),
            presence: Default::default(),
        }
    }

    pub fn from_desk(desk: Desk) -> AppState {
        AppState {
            data_dir: None,
            desk: Arc::new(Mutex::new(Ok(Arc::new(Mutex::new(desk))))),
            gateways: Default::default(),
            engine: Default::default(),
            sync: Default::default(),
            replies: Default::default(),
            lock: Default::default(),
            presence: Default::default(),
        }
    }

    pub fn startup_error(&self) -> Option<UiError> {
        self.desk.lock().ok().and_then(|d| d.as_ref().err().cloned())
    }

    /// The desk, reopening it if it failed to open before.
    pub fn desk(&self) -> Result<Arc<Mutex<Desk>>, UiError> {
        let mut slot = self.desk.lock().map_err(|_| UiError::internal("the state lock was poisoned"))?;
        if slot.is_err() {
            *slot = open_desk(&self.data_dir);
        }
        slot.clone()
    }

    /// The window's lock.
    pub fn lock(&self) -> &DeskLock {
        &self.lock
    }

    pub fn is_locked(&self) -> bool {
        self.lock.is_locked()
    }

    /// Runs `f` with the desk on a blocking thread, so database and keyring
    /// work never stalls the UI thread. Refused (code `locked`) while the
    /// window is locked: every command that returns PHI goes through here.
    pub async fn with_desk<T, F>(&self, f: F) -> Result<T, UiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Desk) -> Result<T, caredesk_core::rules::error::CoreError> + Send + 'static,
    {
        self.lock.require_unlocked()?;
        self.with_desk_while_locked(f).await
    }

    /// [`Self::with_desk`] even while locked: only for what carries no PHI
    /// (the startup probe, the lock screen's passphrase checks).
    pub async fn with_desk_while_locked<T, F>(&self, f: F) -> Result<T, UiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Desk) -> Result<T, caredesk_core::rules::error::CoreError> + Send + 'static,
    {
        let desk = self.desk()?;
        let asked = std::time::Instant::now();
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = desk
                .lock()
                .map_err(|_| UiError::internal("the desk lock was poisoned by an earlier failure; restart CareDesk"))?;
            let locked = asked.elapsed();
            let result = f(&mut guard).map_err(UiError::from);
            // How long a command waited for the desk (the engine holds it
            // while it writes) and how long it ran: CAREDESK_LOG=debug.
            tracing::debug!(
                wait_ms = locked.as_secs_f64() * 1000.0,
                run_ms = (asked.elapsed() - locked).as_secs_f64() * 1000.0,
                "desk call"
            );
            result
        })
        .await
        .map_err(|e| UiError::internal(format!("background task failed: {e}")))?
    }

    /// The gateways, connecting on first use (starting the sandbox and
    /// seeding its demo roster when no server is configured).
    pub async fn gateways(&self) -> Result<Arc<Gateways>, UiError> {
        let mut slot = self.gateways.lock().await;
        if let Some(g) = slot.as_ref() {
            // The sandbox of `caredesk sync` went with it: connect again.
            let current = g.shared_sandbox().is_none()
                || self.desk().ok().and_then(|d| d.lock().ok().map(|d| g.is_current(d.data_dir()))).unwrap_or(true);
            if current {
                return Ok(g.clone());
            }
        }
        let desk = self.desk()?;
        let (plan, port, data_dir) = {
            let d = desk.lock().map_err(|_| UiError::internal("the desk lock was poisoned"))?;
            let port = d.setting("sandbox.port")?.and_then(|p| p.parse::<u16>().ok()).filter(|p| *p != 0);
            (GatewayPlan::from_desk(&d)?, port, d.data_dir().to_path_buf())
        };
        // Sandbox mode: the sandbox `caredesk sync` publishes for this data
        // directory while it sends, else one of the app's own (published
        // by the engine once the app sends).
        let gateways = Arc::new(
            plan.connect_in(
                &data_dir,
                SandboxOptions {
                    port,
                    // Sandbox mode: its control API, behind a token (CAREDESK_SANDBOX_TOKEN
                    // or random) and a Host check.
                    control_token: Some(caredesk_core::sandbox::control::new_token()),
                    ..SandboxOptions::default()
                },
            )
            .await?,
        );
        if gateways.mode == Mode::Sandbox {
            let mut d = desk.lock().map_err(|_| UiError::internal("the desk lock was poisoned"))?;
            d.seed_demo_roster()?;
        }
        *slot = Some(gateways.clone());
        Ok(gateways)
    }

    /// Starts the background engine (outbox, delivery states, inbox) once the
    /// desk is open; `on_event` hears each cycle.
    pub fn start_engine(&self, on_event: Arc<dyn Fn(caredesk_core::engine::EngineEvent) + Send + Sync>) {
        let me = self.clone();
        tauri::async_runtime::spawn(async move {
            let desk = loop {
                match me.desk() {
                    Ok(d) => break d,
                    Err(_) => tokio::time::sleep(std::time::Duration::from_secs(2)).await,
                }
            };
            // Replies already stored are not announced; watching starts now.
            if let Ok(d) = desk.lock() {
                let _ = me.new_reply_notices(&d);
                me.lock.set_minutes(d.setting("security.idle_lock_minutes").ok().flatten().as_deref());
            }
            let source_state = me.clone();
            let source: caredesk_core::engine::GatewaySource = Arc::new(move || {
                let s = source_state.clone();
                Box::pin(async move {
                    s.gateways().await.map_err(|e| caredesk_core::rules::error::CoreError::Io(e.message))
                })
            });
            let handle = caredesk_core::engine::spawn(desk, source, on_event);
            if let Ok(mut slot) = me.engine.lock() {
                *slot = Some(handle);
            }
        });
    }

    /// Asks the engine for a cycle now (after a send, or a refresh click).
    pub fn sync_now(&self) {
        if let Ok(slot) = self.engine.lock() {
            if let Some(h) = slot.as_ref() {
                h.sync_now();
            }
        }
    }

    /// Asks the engine for a FHIR roster pull now (`full`: everything).
    pub fn pull_fhir_now(&self, full: bool) {
        if let Ok(slot) = self.engine.lock() {
            if let Some(h) = slot.as_ref() {
                h.pull_fhir_now(full);
            }
        }
    }

    /// Keeps the presence task (see `presence_events::start`).
    pub fn set_presence_task(&self, handle: PresenceHandle) {
        if let Ok(mut slot) = self.presence.lock() {
            *slot = Some(handle);
        }
    }

    /// Where this member is (`None`: in no thread, or locked), for the team.
    pub fn set_presence(&self, here: Option<Here>) {
        if let Ok(slot) = self.presence.lock() {
            if let Some(p) = slot.as_ref() {
                p.set(here);
            }
        }
    }

    /// Who else is in which thread (nobody before the task runs).
    pub fn presence(&self) -> Vec<PresenceEntry> {
        self.presence.lock().ok().and_then(|s| s.as_ref().map(PresenceHandle::present)).unwrap_or_default()
    }

    /// Forgets the gateways so the next use reconnects with new settings.
    pub async fn reset_gateways(&self) {
        let old = self.gateways.lock().await.take();
        // Stop a sandbox properly, so a fixed sandbox.port is free for the next one.
        if let Some(g) = old.and_then(|g| Arc::try_unwrap(g).ok()) {
            g.shutdown().await;
        }
    }

    /// After a secret changed: only real servers use the keyring's secrets;
    /// the sandbox keeps running (and keeps its messages).
    pub async fn reset_gateways_if_real(&self) {
        let real = self.gateways.lock().await.as_ref().is_some_and(|g| g.mode == Mode::Real);
        if real {
            self.reset_gateways().await;
        }
    }

    /// The engine's view for the status bar.
    pub fn sync_tracker(&self) -> SyncTracker {
        self.sync.lock().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn record_engine_event(&self, event: &EngineEvent) {
        if let Ok(mut t) = self.sync.lock() {
            t.record(event, chrono::Utc::now());
        }
    }

    /// Replies stored since the last call, as notices (the first call only
    /// starts watching). They name the patient only when
    /// `notifications.show_names` is on and the desk is unlocked.
    /// Runs on the calling thread: call it off the UI thread.
    pub fn new_reply_notices(
        &self,
        desk: &caredesk_core::desk::Desk,
    ) -> Vec<caredesk_core::engine::replies::ReplyNotice> {
        let show = desk.setting("notifications.show_names").ok().flatten();
        let names = NoticeNames::from_setting(show.as_deref(), self.is_locked());
        let Ok(mut slot) = self.replies.lock() else { return vec![] };
        match slot.as_mut() {
            Some(w) => w.poll(desk.db(), names).unwrap_or_default(),
            None => {
                *slot = ReplyWatcher::start(desk.db()).ok();
                vec![]
            }
        }
    }
}
