// The app's own commands, each behind an explicit `allow-` permission that
// capabilities/default.json grants to the main window.
const COMMANDS: &[&str] = &[
    "app_info",
    "import_patients",
    "add_patient",
    "edit_patient",
    "get_settings",
    "set_setting",
    "credential_status",
    "set_credential",
    "delete_credential",
    "send_sms",
    "reply_unmatched",
    "place_call",
    "undo_send",
    "retry_message",
    "list_templates",
    "add_template",
    "edit_template",
    "remove_template",
    "preview_template",
    "fhir_status",
    "fhir_check",
    "fhir_pull",
    "list_threads",
    "thread_page",
    "search_thread",
    "mark_thread_read",
    "list_unmatched",
    "unmatched_thread",
    "mark_unmatched_read",
    "link_number",
    "assign_thread",
    "add_note",
    "close_thread",
    "reopen_thread",
    "team_thread",
    "team_view",
    "colleague_sends",
    "announce_presence",
    "leave_presence",
    "team_presence",
    "sync_status",
    "sync_now",
    "list_sender_numbers",
    "check_connection",
    "send_test_message",
    "activity_log",
    "export_activities",
    "lock_status",
    "set_unlock_passphrase",
    "unlock",
    "lock_now",
    "report_activity",
    "change_unlock_passphrase",
];

fn main() {
    // tauri.conf.json lives at the repository root (only its directory is used).
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
