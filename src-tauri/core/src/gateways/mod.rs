//! The clients of the servers: HTTP with its limits, the hospital SMS
//! server (`his`), the ECM Communications API (`ecm`), the error shape
//! both share, and the team's PostgreSQL database (`team_db`, team mode).

pub mod ecm;
pub mod error;
pub mod his;
pub mod http;
pub mod team_db;
