//! FHIR R4 as CareDesk reads it, with no I/O: the resources' shapes
//! ([`resources`]) and what a Patient or RelatedPerson means for the roster
//! ([`roster`]). Shared by the roster file import (`records::import`) and
//! the FHIR server's roster sync (`gateways::fhir`, `engine::fhir_sync`), so
//! a resource reads the same whichever way it came.

pub mod resources;
pub mod roster;
pub mod writeback;
