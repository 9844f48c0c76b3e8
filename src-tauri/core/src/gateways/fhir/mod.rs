//! The clinic's FHIR R4 server (specs 000 and 001: recipients are Patients
//! and RelatedPersons with `telecom` of `system: sms`; every text is
//! recorded as a Communication).
//!
//! - [`client::FhirClient`]: the HTTP client. Reads: [`FhirClient::capabilities`],
//!   [`FhirClient::check`], [`FhirClient::search`] and [`FhirClient::next_page`]
//!   (paging links followed as given, to the server's own origin only),
//!   [`FhirClient::history`], [`FhirClient::read`].
//! - [`write`]: [`FhirClient::create`] (conditional with `If-None-Exist`) and
//!   [`FhirClient::update`] (with `If-Match`), answering [`Written`].
//! - [`page`]: search and history pages read tolerantly, entry by entry.
//! - [`capability`]: the CapabilityStatement against what CareDesk needs.
//! - [`error`]: [`FhirError`], the shared [`crate::gateways::error::GatewayError`]
//!   with the server's own refusals ([`error::FhirRefusal`]).

pub mod capability;
pub mod check;
pub mod client;
pub mod error;
pub mod page;
pub mod write;

pub use client::{FhirAuth, FhirClient, FhirConfig, Read};
pub use error::{FhirError, FhirRefusal};
pub use write::Written;
