//! Tauri commands: each takes the state, makes one core call, maps the error.

pub mod app;
pub mod credentials;
pub mod messaging;
pub mod patients;
pub mod settings;
