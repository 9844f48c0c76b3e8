//! Redaction of protected health information before anything reaches a log.
//!
//! Phone numbers and message texts are PHI: logs show only enough to tell
//! two values apart (the last two digits of a number, the length of a text).

/// `+18051234567` becomes `+1*******67`; non-numbers (sender names) are kept
/// only by length.
pub fn phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 4 {
        return format!("<{} chars>", number.chars().count());
    }
    let tail: String = digits[digits.len() - 2..].iter().collect();
    let lead = if number.starts_with('+') { "+" } else { "" };
    format!("{lead}{}{}{tail}", digits[0], "*".repeat(digits.len() - 3))
}

/// A message text is never logged; only its length in characters.
pub fn text(body: &str) -> String {
    format!("<text, {} chars>", body.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keeps_only_country_digit_and_last_two() {
        assert_eq!(phone("+18051234567"), "+1********67");
        assert!(!phone("+18051234567").contains("805123"));
        assert_eq!(phone("12"), "<2 chars>");
    }

    #[test]
    fn text_never_contains_the_body() {
        let t = text("Your appointment is at 5pm");
        assert!(!t.contains("appointment"));
        assert_eq!(t, "<text, 26 chars>");
    }
}
