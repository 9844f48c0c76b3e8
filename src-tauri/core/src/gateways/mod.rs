//! The clients of the servers: HTTP with its limits, the hospital SMS
//! server (`his`), the ECM Communications API (`ecm`), the clinic's FHIR
//! server (`fhir`), the error shape they share, OAuth2 client credentials
//! (`oauth`, for Azure AD and FHIR token endpoints), and the team's
//! PostgreSQL database (`team_db`, team mode).

pub mod ecm;
pub mod error;
pub mod fhir;
pub mod his;
pub mod http;
pub mod oauth;
pub mod team_db;
