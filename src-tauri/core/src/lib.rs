//! CareDesk's domain, with no Tauri dependency: the encrypted local store,
//! credentials in the OS keyring, both server gateways and their simulator,
//! the messaging engine and the records read in and out. The desktop app and
//! the `caredesk` CLI are thin shells over [`Desk`].
//!
//! The modules are layered, lowest first; a layer uses only itself and the
//! layers below it (`tests/architecture.rs` checks it):
//!
//! - [`rules`]: pure rules with no I/O (phone numbers, keywords, redaction,
//!   time zones, the settings registry, the error type);
//! - [`store`]: the encrypted SQLite store;
//! - [`gateways`]: the clients of the hospital SMS server and ECM;
//! - [`sandbox`]: the simulator of both servers;
//! - [`desk`]: a data directory's store, keyring, settings, locks and audit;
//! - [`engine`]: what runs (routes, the outbox, inbox sync, sends, the loop);
//! - [`records`]: what is read out and in (activity log, exports, FHIR, import).

pub mod desk;
pub mod engine;
pub mod gateways;
pub mod records;
pub mod rules;
pub mod sandbox;
pub mod store;

pub use desk::{Desk, DeskOptions};
pub use rules::error::{CoreError, ErrorCode};
