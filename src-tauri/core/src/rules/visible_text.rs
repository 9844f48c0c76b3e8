//! Text from patients and rosters, made safe to print on a terminal.
//!
//! A name or an inbound text can carry characters that act instead of
//! showing: ESC starts a terminal escape sequence (recolour, move the cursor,
//! retitle the window), a carriage return overprints the line, and a bidi
//! override reorders what follows ("exe.txt" shown as "txt.exe"). The UI shows
//! such characters as visible escapes (`ui/src/features/conversation/invisibles.ts`);
//! [`visible`] does the same for the CLI's human-readable output, in the same
//! `⟨U+202E⟩` form. JSON output is left exact.

use std::borrow::Cow;

/// `text` with every control, format and bidi character written as
/// `⟨U+XXXX⟩`: C0 controls (tab and newline too), DEL, C1 controls, the
/// zero-width and direction marks (U+200B–U+200F, U+061C), the bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
/// line and paragraph separators (U+2028, U+2029) and U+FEFF. A zero width
/// joiner between two emoji (👩‍👧) is kept, as the UI keeps it.
pub fn visible(text: &str) -> Cow<'_, str> {
    let chars: Vec<char> = text.chars().collect();
    let hidden = |i: usize| -> bool {
        let c = chars[i];
        c == '\u{200D}' && !joins_emoji(&chars, i) || is_hidden(c)
    };
    if !(0..chars.len()).any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        if hidden(i) {
            out.push_str(&format!("⟨U+{:04X}⟩", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters that are always escaped (U+200D is decided by its neighbours).
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}'
        | '\u{061C}'
        | '\u{200B}' | '\u{200C}' | '\u{200E}' | '\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Whether the zero width joiner at `i` sits between two emoji (the one
/// before may carry the emoji presentation selector U+FE0F).
fn joins_emoji(chars: &[char], i: usize) -> bool {
    let mut before = i.checked_sub(1).map(|j| chars[j]);
    if before == Some('\u{FE0F}') {
        before = i.checked_sub(2).map(|j| chars[j]);
    }
    let after = chars.get(i + 1).copied();
    before.is_some_and(is_pictographic) && after.is_some_and(is_pictographic)
}

/// Close to Unicode's Extended_Pictographic, enough for emoji sequences.
fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2194}'..='\u{21AA}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{25AA}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_become_visible_escapes() {
        for (raw, shown) in [
            ("Ana Lopez", "Ana Lopez"),
            ("Grüße, 你好 مرحبا", "Grüße, 你好 مرحبا"),
            ("\u{1b}[2J\u{1b}]0;pwned\u{7}", "⟨U+001B⟩[2J⟨U+001B⟩]0;pwned⟨U+0007⟩"),
            ("ok\rFAKE", "ok⟨U+000D⟩FAKE"),
            ("a\nb\tc", "a⟨U+000A⟩b⟨U+0009⟩c"),
            ("invoice\u{202E}txt.exe", "invoice⟨U+202E⟩txt.exe"),
            ("\u{202A}\u{202B}\u{202C}\u{202D}", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩"),
            ("\u{2066}x\u{2067}\u{2068}\u{2069}", "⟨U+2066⟩x⟨U+2067⟩⟨U+2068⟩⟨U+2069⟩"),
            ("\u{200E}\u{200F}\u{061C}", "⟨U+200E⟩⟨U+200F⟩⟨U+061C⟩"),
            ("del\u{7F} c1\u{9B}31m", "del⟨U+007F⟩ c1⟨U+009B⟩31m"),
            ("zw\u{200B}sp\u{FEFF}", "zw⟨U+200B⟩sp⟨U+FEFF⟩"),
            ("👩\u{200D}👧 ❤\u{FE0F}\u{200D}🔥", "👩\u{200D}👧 ❤\u{FE0F}\u{200D}🔥"),
            ("a\u{200D}b", "a⟨U+200D⟩b"),
        ] {
            assert_eq!(visible(raw), shown, "{raw:?}");
        }
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }
}
