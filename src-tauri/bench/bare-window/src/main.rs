//! A bare Tauri 2 window: the same window size and release profile as
//! CareDesk, a static page, no commands and no plugins. It is what the app's
//! startup time and memory are compared with (`tests/bench/app-startup.sh`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default().run(tauri::generate_context!()).expect("the bare window runs");
}
