//! Tauri commands: each takes the state, makes one core call, maps the error.

pub mod activity;
pub mod app;
pub mod credentials;
pub mod messaging;
pub mod patients;
pub mod servers;
pub mod settings;
pub mod sync;
pub mod threads;
