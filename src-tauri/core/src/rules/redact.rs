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

/// A patient reference as typed (`12`, `ecm:9`, a name, a number): ids are
/// kept, anything else is described (errors end up in logs and scripts).
pub fn reference(r: &str) -> String {
    let id = r.strip_prefix("ecm:").unwrap_or(r);
    if !id.is_empty() && id.len() <= 12 && id.chars().all(|c| c.is_ascii_digit()) {
        return r.to_string();
    }
    if r.chars().filter(char::is_ascii_digit).count() >= 7 {
        return phone(r);
    }
    format!("<{} chars>", r.chars().count())
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
    fn references_keep_ids_only() {
        assert_eq!(reference("12"), "12");
        assert_eq!(reference("ecm:9"), "ecm:9");
        assert_eq!(reference("Zoltan Quixwell"), "<15 chars>");
        assert_eq!(reference("+1 805 555 0137"), "+1********37");
    }

    #[test]
    fn text_never_contains_the_body() {
        let t = text("Your appointment is at 5pm");
        assert!(!t.contains("appointment"));
        assert_eq!(t, "<text, 26 chars>");
    }
}
