//! The gateways (hospital SMS server, ECM Communications API) against mocked
//! HTTP. One test binary, one module per subject.

mod contract;
mod ecm_client;
mod his_auth;
mod his_client;
mod his_errors;
mod secrecy;
mod support;
