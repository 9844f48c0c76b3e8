//! Pure rules, with no I/O: what a phone number is, which texts are
//! keywords, what may be logged, clinic days, merge fields, SMS segments,
//! quiet hours, which addresses may carry
//! PHI, the team database's address, FHIR resources and what they mean for
//! the roster, the settings registry and the error type every layer returns.

pub mod backoff;
pub mod business_days;
pub mod campaign;
pub mod clinic_zone;
pub mod config;
pub mod consent;
pub mod delivery;
pub mod error;
pub mod fhir;
pub mod merge;
pub mod phone;
pub mod quiet_hours;
pub mod redact;
pub mod secret;
pub mod segments;
pub mod sms_text;
pub mod team_url;
pub mod transport;
pub mod visible_text;
