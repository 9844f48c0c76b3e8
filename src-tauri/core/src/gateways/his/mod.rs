//! The hospital SMS server (spec 003): wire format, timestamps, auth and client.

pub mod auth;
mod authority;
pub mod client;
pub mod enums;
pub mod error;
pub mod read;
pub mod time;
pub mod wire;
