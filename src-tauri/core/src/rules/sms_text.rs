//! What a text may be before anything is stored or sent.

use crate::rules::error::{CoreError, Result};

/// The longest text CareDesk sends: ten concatenated GSM-7 segments.
pub const MAX_TEXT_CHARS: usize = 1530;

/// Checks a text before anything is stored or sent.
pub fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(CoreError::InvalidMessage("the message is empty".into()));
    }
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(CoreError::InvalidMessage(format!(
            "the message is too long: {n} characters, at most {MAX_TEXT_CHARS}"
        )));
    }
    Ok(())
}
