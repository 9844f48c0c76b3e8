//! The activity log: filtered activities with per-day counts, and its CSV export.

use caredesk_core::{
    records::activity_log::{ActivityLog, ExportResult},
    records::export::ActivityFilter,
};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn activity_log(state: State<'_, AppState>, filter: ActivityFilter) -> Result<ActivityLog, UiError> {
    state.with_desk(move |desk| desk.activity_log(&filter)).await
}

/// Writes the CSV into `export.dir`, or, when it is not set, where the
/// coordinator chooses in a Save dialog (opened here, so the window needs
/// no dialog permission). `None`: the dialog was cancelled, nothing written.
#[tauri::command]
pub async fn export_activities<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    filter: ActivityFilter,
) -> Result<Option<ExportResult>, UiError> {
    let folder_set = state.with_desk(|desk| desk.setting("export.dir")).await?.is_some();
    let path = match folder_set {
        true => None,
        false => match ask_where(&app).await {
            Some(p) => Some(p),
            None => return Ok(None),
        },
    };
    state.with_desk(move |desk| desk.export_activities_csv(&filter, path.as_deref())).await.map(Some)
}

/// The Save dialog, off the UI thread; `None` when cancelled.
async fn ask_where<R: Runtime>(app: &AppHandle<R>) -> Option<std::path::PathBuf> {
    let name = format!("caredesk-activities-{}.csv", chrono::Local::now().format("%Y%m%d-%H%M%S"));
    ask_where_to_save(app, "Save the activity log as CSV", name).await
}

/// A Save dialog for a CSV named `name` (in Downloads when there is one),
/// off the UI thread; `None` when cancelled.
pub(crate) async fn ask_where_to_save<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    name: String,
) -> Option<std::path::PathBuf> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title).set_file_name(name).add_filter("CSV", &["csv"]);
    if let Some(downloads) = app_download_dir() {
        dialog = dialog.set_directory(downloads);
    }
    dialog.save_file(move |picked| {
        let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
    });
    rx.await.ok().flatten()
}

/// Where the dialog opens: the Downloads folder, when there is one.
fn app_download_dir() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from)?;
    let downloads = home.join("Downloads");
    downloads.is_dir().then_some(downloads)
}
