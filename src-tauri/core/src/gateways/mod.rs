//! The clients of the two servers: HTTP with its limits, the hospital SMS
//! server (`his`), the ECM Communications API (`ecm`), and the error shape
//! both share.

pub mod ecm;
pub mod error;
pub mod his;
pub mod http;
