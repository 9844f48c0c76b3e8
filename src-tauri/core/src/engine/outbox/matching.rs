//! Recognising an ambiguous send in the hospital SMS server's Outgoing list
//! when the server does not list ExternalKeys: by recipient and text, as
//! the server may have stored them.
//!
//! A server may store the text transliterated (`Šimkutė` → `Simkute`),
//! with characters its alphabet lacks replaced by `?`, with other spacing
//! or case, or cut to a segment's length; and the recipient in another
//! format (`0037060000002`, `+37060000002`). Texts are compared after
//! Unicode NFKD with combining marks removed, a few letters without a
//! decomposition spelled out (`ł` → `l`, `ß` → `ss`), whitespace collapsed
//! and case folded; a `?` on the server's side stands for any one
//! character; and one text may be a prefix of the other when the shorter
//! has at least [`MIN_PREFIX`] characters (a cut, or a footer the server
//! adds).

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// The shortest text a prefix match is accepted for.
pub const MIN_PREFIX: usize = 40;

/// Letters NFKD does not decompose, as the GSM and Latin-1 transliterations
/// write them.
fn spelled_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' => "l",
        'Ł' => "l",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' => "d",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ı' => "i",
        'þ' | 'Þ' => "th",
        'ð' | 'Ð' => "d",
        '\u{2018}' | '\u{2019}' | '\u{201B}' => "'",
        '\u{201C}' | '\u{201D}' => "\"",
        '\u{2013}' | '\u{2014}' => "-",
        '\u{2026}' => "...",
        _ => return None,
    })
}

/// The text as compared: NFKD without marks, letters spelled out,
/// whitespace collapsed, case folded.
pub fn normalize_text(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        match spelled_out(c) {
            Some(s) => out.extend(s.chars()),
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn same_char(ours: char, theirs: char) -> bool {
    ours == theirs || theirs == '?'
}

/// Whether the server's `theirs` may be CareDesk's `ours`.
pub fn same_text(ours: &str, theirs: &str) -> bool {
    let (a, b) = (normalize_text(ours), normalize_text(theirs));
    if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| same_char(*x, *y)) {
        return true;
    }
    // A character the server could not write may have become "??" (two
    // UTF-16 units of an emoji): compare with '?' runs standing for one
    // or two characters.
    if b.contains(&'?') && wildcard_match(&a, &b) {
        return true;
    }
    let shorter = a.len().min(b.len());
    shorter >= MIN_PREFIX && a.iter().zip(&b).take(shorter).all(|(x, y)| same_char(*x, *y))
}

/// `b` against `a`, a run of `k` question marks in `b` standing for
/// `ceil(k/2)` to `2k` characters of `a` (a character outside the server's
/// alphabet written as one `?` per UTF-16 unit, or one `?` where CareDesk
/// spells a letter out in two, `ß` as `ss`), the rest exactly.
fn wildcard_match(a: &[char], b: &[char]) -> bool {
    // The positions of `a` reachable after each piece of `b`.
    let mut reach = vec![false; a.len() + 1];
    reach[0] = true;
    let mut j = 0;
    while j < b.len() {
        let mut next = vec![false; a.len() + 1];
        if b[j] == '?' {
            let run = b[j..].iter().take_while(|c| **c == '?').count();
            for i in (0..=a.len()).filter(|i| reach[*i]) {
                for step in run.div_ceil(2)..=2 * run {
                    if i + step <= a.len() {
                        next[i + step] = true;
                    }
                }
            }
            j += run;
        } else {
            for i in (0..a.len()).filter(|i| reach[*i]) {
                if a[i] == b[j] {
                    next[i + 1] = true;
                }
            }
            j += 1;
        }
        reach = next;
        if !reach.iter().any(|r| *r) {
            return false;
        }
    }
    reach[a.len()]
}

/// The digits of a number, without an international `00` prefix.
fn digits(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    d.strip_prefix("00").map(str::to_string).unwrap_or(d)
}

/// Whether two numbers are the same phone: the same digits, or (for a
/// number written nationally) the same last eight digits.
pub fn same_number(a: &str, b: &str) -> bool {
    let (a, b) = (digits(a), digits(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let tail = 8;
    a.len() >= tail && b.len() >= tail && a[a.len() - tail..] == b[b.len() - tail..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_as_servers_store_them() {
        let ours = "Sveiki, Šimkutė! Jūsų vizitas rytoj 09:00, 321 kab.";
        let cases = [
            (ours, true),
            ("Sveiki, Simkute! Jusu vizitas rytoj 09:00, 321 kab.", true),
            ("SVEIKI,  SIMKUTE!\nJusu vizitas rytoj 09:00, 321 kab.", true),
            ("Sveiki, ?imkut?! J?s? vizitas rytoj 09:00, 321 kab.", true),
            ("Sveiki, Simkute! Jusu vizitas rytoj 09:00", true),
            ("Sveiki, Simkute! Jusu vizitas rytoj 10:00, 321 kab.", false),
            ("Sveiki", false),
            ("", false),
        ];
        for (theirs, want) in cases {
            assert_eq!(same_text(ours, theirs), want, "{theirs:?}");
        }
        assert!(same_text("Grüße aus Łódź", "Grusse aus Lodz"));
        assert!(same_text("Grüße aus Łódź", "Gru?e aus ?odz"));
        assert!(same_text("See you \u{1F44D} tomorrow", "See you ?? tomorrow"));
        assert!(same_text("See you \u{1F44D} tomorrow", "See you ? tomorrow"));
        assert!(!same_text("See you \u{1F44D} tomorrow", "See you tomorrow"));
        assert!(same_text("It\u{2019}s 5\u{2013}6 pm", "It's 5-6 PM"));
        // A footer the server adds to a long text.
        let long = "Reminder: your appointment at the clinic is tomorrow at 9:00 in room 321.";
        assert!(same_text(long, &format!("{long} Reply STOP to opt out")));
        // Short texts must match whole.
        assert!(!same_text("Yes", "Yes please"));
    }

    #[test]
    fn numbers_match_in_any_format() {
        for (a, b, want) in [
            ("+37060000002", "37060000002", true),
            ("+37060000002", "0037060000002", true),
            ("+37060000002", "860000002", true),
            ("+18055550100", "(805) 555-0100", true),
            ("+18055550100", "18055550101", false),
            ("+18055550100", "", false),
            ("123", "123", true),
        ] {
            assert_eq!(same_number(a, b), want, "{a} {b}");
        }
    }
}
