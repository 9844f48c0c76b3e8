//! How carriers count a text: GSM-7 (3GPP TS 23.038's default alphabet,
//! the extension table's characters taking two septets) when every
//! character has a GSM-7 code, else UCS-2 (UTF-16 code units: an emoji
//! takes two). One text holds 160 septets or 70 units; a longer one is
//! split into segments of 153 or 67 (the rest is the concatenation
//! header), and no character's units are split between two segments. The
//! composer counts the same way (`ui/src/features/conversation/segments.ts`,
//! Twilio's calculator); no maintained Rust crate does this.

/// The encoding a carrier uses for a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub enum SmsEncoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

/// How a text is counted and split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SmsSize {
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
    /// 0 for an empty text.
    pub segments: u32,
}

/// GSM-7's basic alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM-7's extension table (an escape and a septet each).
const GSM_EXTENDED: &str = "\u{0C}^{}\\[~]|€";

fn gsm_units(c: char) -> Option<u32> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Counts `text` as a carrier does.
pub fn measure(text: &str) -> SmsSize {
    let gsm: Option<Vec<u32>> = text.chars().map(gsm_units).collect();
    let (encoding, units, single, multi) = match gsm {
        Some(units) => (SmsEncoding::Gsm7, units, 160, 153),
        None => (SmsEncoding::Ucs2, text.chars().map(|c| c.len_utf16() as u32).collect(), 70, 67),
    };
    let total: u32 = units.iter().sum();
    let segments = if total == 0 {
        0
    } else if total <= single {
        1
    } else {
        pack(&units, multi)
    };
    SmsSize { encoding, units: total, segments }
}

/// Segments of at most `capacity` units, each character whole in one.
fn pack(units: &[u32], capacity: u32) -> u32 {
    let (mut segments, mut used) = (1, 0);
    for &u in units {
        if used + u > capacity {
            segments += 1;
            used = 0;
        }
        used += u;
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_and_ucs2_texts_split_as_carriers_split_them() {
        let cases: &[(&str, SmsEncoding, u32, u32)] = &[
            ("", SmsEncoding::Gsm7, 0, 0),
            ("Hello", SmsEncoding::Gsm7, 5, 1),
            (&"a".repeat(160), SmsEncoding::Gsm7, 160, 1),
            (&"a".repeat(161), SmsEncoding::Gsm7, 161, 2),
            (&"a".repeat(306), SmsEncoding::Gsm7, 306, 2),
            (&"a".repeat(307), SmsEncoding::Gsm7, 307, 3),
            // The extension table counts 2: 80 euro signs fill one text.
            (&"€".repeat(80), SmsEncoding::Gsm7, 160, 1),
            (&"€".repeat(81), SmsEncoding::Gsm7, 162, 2),
            // A 2-septet character is not split: 152 + "{" starts segment 2.
            (&format!("{}{{{}", "a".repeat(152), "a".repeat(8)), SmsEncoding::Gsm7, 162, 2),
            (&format!("{}€{}", "a".repeat(152), "a".repeat(152)), SmsEncoding::Gsm7, 306, 3),
            ("Żaneta", SmsEncoding::Ucs2, 6, 1),
            (&"ą".repeat(70), SmsEncoding::Ucs2, 70, 1),
            (&"ą".repeat(71), SmsEncoding::Ucs2, 71, 2),
            (&"ą".repeat(134), SmsEncoding::Ucs2, 134, 2),
            ("Hi 👋", SmsEncoding::Ucs2, 5, 1),
            // A surrogate pair is never split: 66 units + an emoji starts segment 2.
            (&format!("{}👋{}", "ą".repeat(66), "ą".repeat(5)), SmsEncoding::Ucs2, 73, 2),
            (&format!("{}👋{}", "ą".repeat(66), "ą".repeat(66)), SmsEncoding::Ucs2, 134, 3),
        ];
        for (text, encoding, units, segments) in cases {
            let size = measure(text);
            assert_eq!((size.encoding, size.units, size.segments), (*encoding, *units, *segments), "{text:?}");
        }
    }
}
