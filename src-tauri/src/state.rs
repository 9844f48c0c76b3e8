//! The one state object: the open desk, or why it could not open.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use caredesk_core::{Desk, DeskOptions};

use crate::error::UiError;

pub struct AppState {
    desk: Result<Arc<Mutex<Desk>>, UiError>,
}

impl AppState {
    pub fn open(data_dir: Option<PathBuf>) -> AppState {
        let desk = Desk::open(DeskOptions {
            data_dir,
            ..Default::default()
        })
        .map(|d| Arc::new(Mutex::new(d)))
        .map_err(UiError::from);
        AppState { desk }
    }

    pub fn from_desk(desk: Desk) -> AppState {
        AppState {
            desk: Ok(Arc::new(Mutex::new(desk))),
        }
    }

    pub fn startup_error(&self) -> Option<&UiError> {
        self.desk.as_ref().err()
    }

    /// Runs `f` with the desk on a blocking thread, so database and keyring
    /// work never stalls the UI thread.
    pub async fn with_desk<T, F>(&self, f: F) -> Result<T, UiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Desk) -> Result<T, caredesk_core::CoreError> + Send + 'static,
    {
        let desk = self.desk.clone()?;
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = desk.lock().map_err(|_| {
                UiError::internal(
                    "the desk lock was poisoned by an earlier failure; restart CareDesk",
                )
            })?;
            f(&mut guard).map_err(UiError::from)
        })
        .await
        .map_err(|e| UiError::internal(format!("background task failed: {e}")))?
    }
}
