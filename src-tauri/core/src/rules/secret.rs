//! A secret in memory: a value that never prints itself and is wiped when
//! dropped. Where secrets are kept (the OS keyring) is the desk's business
//! ([`crate::desk::secrets`]); every layer may hold one.

use std::fmt;

use zeroize::Zeroizing;

/// A secret value that never prints itself and is wiped from memory on drop.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}
