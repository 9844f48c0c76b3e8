//! The ECM Communications API (spec 004): wire format, errors and client.

pub mod client;
pub mod error;
pub mod wire;
