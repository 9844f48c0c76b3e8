//! The CareDesk desktop app: a Tauri shell whose commands each make one call
//! into `caredesk-core`. All network, file and keyring work happens in Rust.

mod commands;
pub mod contract;
mod desk_lock;
mod engine_events;
mod error;
mod lock_events;
mod notifications;
mod presence_events;
pub mod rendering;
mod state;
mod sync_tracker;
mod window_title;

use tauri::Manager;

pub use error::UiError;
pub use state::AppState;

/// Reads `--data-dir DIR` from the command line (CAREDESK_DATA_DIR is read by the core).
fn data_dir_arg() -> Option<std::path::PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args.next().map(Into::into);
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--data-dir=")) {
            return Some(v.into());
        }
    }
    None
}

pub fn run() {
    rendering::choose_painting();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAREDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    caredesk_core::desk::hardening::harden_release_process();

    let state = AppState::open(data_dir_arg());
    if let Some(e) = state.startup_error() {
        // The window still opens and explains; nothing else works without the store.
        eprintln!("CareDesk cannot start: {}", e.message);
    }

    let result = builder::<tauri::Wry>(state).run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("CareDesk stopped: {e}");
        std::process::exit(1);
    }
}

/// The app without its context, generic over the runtime so tests can use
/// `tauri::test::mock_builder()`.
pub fn builder<R: tauri::Runtime>(state: AppState) -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| notifications::focus_main(app)))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let handle = app.handle().clone();
            let state = app.state::<AppState>();
            state.start_engine(std::sync::Arc::new(move |event| engine_events::handle(&handle, event)));
            lock_events::watch(app.handle().clone(), state.inner().clone());
            presence_events::start(app.handle().clone(), state.inner().clone());
            Ok(())
        })
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::patients::import_patients,
            commands::patients::add_patient,
            commands::patients::edit_patient,
            commands::settings::get_settings,
            commands::settings::set_setting,
            commands::credentials::credential_status,
            commands::credentials::set_credential,
            commands::credentials::delete_credential,
            commands::messaging::send_sms,
            commands::messaging::reply_unmatched,
            commands::messaging::place_call,
            commands::messaging::undo_send,
            commands::messaging::retry_message,
            commands::templates::list_templates,
            commands::templates::add_template,
            commands::templates::edit_template,
            commands::templates::remove_template,
            commands::templates::preview_template,
            commands::threads::list_threads,
            commands::threads::thread_page,
            commands::threads::search_thread,
            commands::threads::mark_thread_read,
            commands::threads::list_unmatched,
            commands::threads::unmatched_thread,
            commands::threads::mark_unmatched_read,
            commands::threads::link_number,
            commands::team::assign_thread,
            commands::team::add_note,
            commands::team::close_thread,
            commands::team::reopen_thread,
            commands::team::team_thread,
            commands::team::team_view,
            commands::team::colleague_sends,
            commands::presence::announce_presence,
            commands::presence::leave_presence,
            commands::presence::team_presence,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::servers::list_sender_numbers,
            commands::servers::check_connection,
            commands::servers::send_test_message,
            commands::campaigns::list_campaigns,
            commands::campaigns::create_campaign,
            commands::campaigns::preview_campaign,
            commands::campaigns::campaign_action,
            commands::campaigns::campaign_status,
            commands::campaigns::campaign_report,
            commands::campaigns::export_campaign_report,
            commands::consent::patient_consents,
            commands::consent::invite_patient,
            commands::consent::pending_revocations,
            commands::consent::resolve_revocation,
            commands::fhir::fhir_status,
            commands::fhir::fhir_check,
            commands::fhir::fhir_pull,
            commands::activity::activity_log,
            commands::activity::export_activities,
            commands::lock::lock_status,
            commands::lock::set_unlock_passphrase,
            commands::lock::unlock,
            commands::lock::lock_now,
            commands::lock::report_activity,
            commands::lock::change_unlock_passphrase,
        ])
}
