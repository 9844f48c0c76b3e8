//! The one state object: the open desk (or why it could not open) and the
//! connected gateways (the configured servers, or the in-process sandbox).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use caredesk_core::{
    gateways::{GatewayPlan, Gateways, Mode},
    sandbox::SandboxOptions,
    Desk, DeskOptions,
};

use crate::error::UiError;

pub struct AppState {
    desk: Result<Arc<Mutex<Desk>>, UiError>,
    gateways: tokio::sync::Mutex<Option<Arc<Gateways>>>,
}

impl AppState {
    pub fn open(data_dir: Option<PathBuf>) -> AppState {
        let desk = Desk::open(DeskOptions { data_dir, ..Default::default() })
            .map(|d| Arc::new(Mutex::new(d)))
            .map_err(UiError::from);
        AppState { desk, gateways: tokio::sync::Mutex::new(None) }
    }

    pub fn from_desk(desk: Desk) -> AppState {
        AppState { desk: Ok(Arc::new(Mutex::new(desk))), gateways: tokio::sync::Mutex::new(None) }
    }

    pub fn startup_error(&self) -> Option<&UiError> {
        self.desk.as_ref().err()
    }

    pub fn desk(&self) -> Result<Arc<Mutex<Desk>>, UiError> {
        self.desk.clone()
    }

    /// Runs `f` with the desk on a blocking thread, so database and keyring
    /// work never stalls the UI thread.
    pub async fn with_desk<T, F>(&self, f: F) -> Result<T, UiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Desk) -> Result<T, caredesk_core::CoreError> + Send + 'static,
    {
        let desk = self.desk()?;
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = desk
                .lock()
                .map_err(|_| UiError::internal("the desk lock was poisoned by an earlier failure; restart CareDesk"))?;
            f(&mut guard).map_err(UiError::from)
        })
        .await
        .map_err(|e| UiError::internal(format!("background task failed: {e}")))?
    }

    /// The gateways, connecting on first use (starting the sandbox and
    /// seeding its demo roster when no server is configured).
    pub async fn gateways(&self) -> Result<Arc<Gateways>, UiError> {
        let mut slot = self.gateways.lock().await;
        if let Some(g) = slot.as_ref() {
            return Ok(g.clone());
        }
        let desk = self.desk()?;
        let plan = {
            let d = desk.lock().map_err(|_| UiError::internal("the desk lock was poisoned"))?;
            GatewayPlan::from_desk(&d)?
        };
        let gateways = Arc::new(plan.connect(SandboxOptions::default()).await?);
        if gateways.mode == Mode::Sandbox {
            let mut d = desk.lock().map_err(|_| UiError::internal("the desk lock was poisoned"))?;
            d.seed_demo_roster()?;
        }
        *slot = Some(gateways.clone());
        Ok(gateways)
    }

    /// Forgets the gateways so the next use reconnects with new settings.
    pub async fn reset_gateways(&self) {
        self.gateways.lock().await.take();
    }
}
