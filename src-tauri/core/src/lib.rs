//! CareDesk's domain, with no Tauri dependency: the encrypted local store,
//! credentials in the OS keyring, phone-number normalization, the patient
//! roster and its importers. The desktop app and the `caredesk` CLI are thin
//! shells over [`Desk`].

pub mod activity_log;
pub mod activity_rows;
pub mod backup;
pub mod call;
pub mod clinic_zone;
pub mod config;
pub mod connection_check;
pub mod consent;
pub mod credential_origins;
pub mod data_dir_lock;
pub mod delivery;
pub mod desk;
pub mod disclosures;
pub mod ecm;
pub mod engine;
pub mod error;
pub mod export;
pub mod export_file;
pub mod fhir;
pub mod gateway_error;
pub mod gateways;
pub mod hardening;
pub mod his;
pub mod http;
pub mod idle_lock;
pub mod import;
pub mod inbox_sync;
pub mod outbox;
pub mod paths;
pub mod people;
pub mod phone;
pub mod recipient;
pub mod redact;
pub mod replies;
pub mod sandbox;
pub mod secrets;
pub mod send;
pub mod shared_sandbox;
pub mod store;
pub mod test_sms;
pub mod threads;
pub mod transport;
pub mod unlock;
pub mod visible_text;

pub use desk::{Desk, DeskOptions};
pub use error::{CoreError, ErrorCode};
