//! Consent keywords in patients' replies (spec 002, and the carriers' rules
//! for STOP / START / HELP).
//!
//! [`classify`] is pure: it reads one reply and says what it is, from a rule
//! table. The store carries the consequence out
//! ([`crate::store::Database::apply_keyword`]) inside the transaction that
//! stores the message, and only for a message stored for the first time, so
//! a reply read again by an overlapping poll never logs a second change.
//!
//! - An opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
//!   REVOKE, OPTOUT; also "opt out" and "stop all" written in two words) as
//!   the whole message, in any case, with spaces and punctuation around it
//!   ignored, opts the number out.
//! - START, YES and UNSTOP opt a number that had opted out back in. A number
//!   that never opted out is left alone, so every "Yes" to a reminder does
//!   not write a consent record.
//! - HELP (or INFO) is flagged `help` for staff.
//! - Free text that reads like a revocation ("please stop texting me",
//!   "take me off your list", "STOP please") is flagged `revocation`: staff
//!   decide; CareDesk does not opt out on free text.

use serde::Serialize;

/// What a reply is, for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
    RevocationLike,
    None,
}

impl Keyword {
    /// The `messages.flagged` value: why staff should look at the message.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Keyword::Help => Some("help"),
            Keyword::RevocationLike => Some("revocation"),
            Keyword::OptOut | Keyword::OptIn | Keyword::None => None,
        }
    }
}

/// A rule over the reply's words (lower case, apostrophes dropped, any other
/// non-alphanumeric character a separator). In a pattern, `a|b` matches
/// either word.
enum Rule {
    /// The whole reply is this word sequence.
    Whole(&'static [&'static str]),
    /// The sequence occurs anywhere, word for word.
    Phrase(&'static [&'static str]),
    /// Every pattern occurs somewhere, in any order.
    AllOf(&'static [&'static str]),
    /// A short reply (at most 4 words) starts or ends with the word, and the
    /// word after it (if any) is not one of the exceptions.
    ShortEdge { word: &'static str, unless_next: &'static [&'static str] },
}

/// The rule table, read top to bottom: the first rule that matches decides.
const RULES: &[(Keyword, Rule)] = &[
    (Keyword::OptOut, Rule::Whole(&["stop|stopall|unsubscribe|cancel|end|quit|revoke|optout"])),
    (Keyword::OptOut, Rule::Whole(&["opt", "out"])),
    (Keyword::OptOut, Rule::Whole(&["stop", "all"])),
    (Keyword::OptIn, Rule::Whole(&["start|yes|unstop"])),
    (Keyword::Help, Rule::Whole(&["help|info"])),
    (Keyword::RevocationLike, Rule::Phrase(&["unsubscribe|optout|stopall"])),
    (Keyword::RevocationLike, Rule::Phrase(&["opt", "out"])),
    (
        Keyword::RevocationLike,
        Rule::Phrase(&[
            "stop|quit|cease",
            "texting|text|texts|txt|txting|messaging|message|messages|msg|sms|sending|contacting|calling|bothering|emailing",
        ]),
    ),
    (
        Keyword::RevocationLike,
        Rule::Phrase(&["stop|quit", "these|this|the|all|your", "texts|text|messages|message|reminders|notifications|sms"]),
    ),
    (Keyword::RevocationLike, Rule::Phrase(&["dont|never", "text|txt|message|msg|sms|contact|send"])),
    (Keyword::RevocationLike, Rule::Phrase(&["do", "not", "text|txt|message|msg|sms|contact|send"])),
    (Keyword::RevocationLike, Rule::Phrase(&["no", "more", "texts|text|txts|messages|message|texting|messaging|sms|reminders"])),
    (Keyword::RevocationLike, Rule::Phrase(&["take|get", "me", "off"])),
    (Keyword::RevocationLike, Rule::Phrase(&["remove|delete", "me|my"])),
    (Keyword::RevocationLike, Rule::Phrase(&["off", "your|the|this|ur", "list"])),
    (Keyword::RevocationLike, Rule::Phrase(&["leave", "me", "alone"])),
    (Keyword::RevocationLike, Rule::Phrase(&["wrong", "number|person"])),
    (Keyword::RevocationLike, Rule::AllOf(&["revoke|withdraw", "consent"])),
    (Keyword::RevocationLike, Rule::ShortEdge { word: "stop", unless_next: &["by", "in", "over", "at"] }),
];

/// The reply's words: lower case, apostrophes dropped ("don't" → "dont"),
/// every other non-alphanumeric character a separator.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2019}' | '`') {
            continue;
        }
        if c.is_alphanumeric() {
            cleaned.extend(c.to_lowercase());
        } else {
            cleaned.push(' ');
        }
    }
    cleaned.split_whitespace().map(str::to_string).collect()
}

fn is(pattern: &str, word: &str) -> bool {
    pattern.split('|').any(|p| p == word)
}

fn sequence_at(words: &[String], at: usize, seq: &[&str]) -> bool {
    words.len() >= at + seq.len() && seq.iter().zip(&words[at..]).all(|(p, w)| is(p, w))
}

impl Rule {
    fn matches(&self, words: &[String]) -> bool {
        match self {
            Rule::Whole(seq) => words.len() == seq.len() && sequence_at(words, 0, seq),
            Rule::Phrase(seq) => (0..words.len()).any(|i| sequence_at(words, i, seq)),
            Rule::AllOf(patterns) => patterns.iter().all(|p| words.iter().any(|w| is(p, w))),
            Rule::ShortEdge { word, unless_next } => {
                if words.len() > 4 || words.is_empty() {
                    return false;
                }
                let first = words[0] == *word && words.get(1).is_none_or(|next| !unless_next.contains(&next.as_str()));
                first || words[words.len() - 1] == *word
            }
        }
    }
}

/// What a reply is, by the first rule of the table that matches.
pub fn classify(text: &str) -> Keyword {
    let w = words(text);
    RULES.iter().find(|(_, rule)| rule.matches(&w)).map(|(k, _)| *k).unwrap_or(Keyword::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Keyword as K;

    #[test]
    fn keyword_table() {
        let cases: &[(&str, Keyword)] = &[
            // Opt-out keywords, whole message, any case, punctuation and spaces around.
            ("STOP", K::OptOut),
            ("stop", K::OptOut),
            ("Stop!", K::OptOut),
            (" stop. ", K::OptOut),
            ("\"STOP\"", K::OptOut),
            ("StopAll", K::OptOut),
            ("STOP ALL", K::OptOut),
            ("unsubscribe", K::OptOut),
            ("Cancel", K::OptOut),
            ("END", K::OptOut),
            ("quit.", K::OptOut),
            ("REVOKE", K::OptOut),
            ("optout", K::OptOut),
            ("Opt-out", K::OptOut),
            ("opt out!", K::OptOut),
            ("STOP \u{1F6D1}", K::OptOut),
            // Opt back in.
            ("START", K::OptIn),
            ("Yes", K::OptIn),
            ("yes!", K::OptIn),
            ("UNSTOP", K::OptIn),
            // Help.
            ("HELP", K::Help),
            ("help?", K::Help),
            ("Info", K::Help),
            // Free text that reads like a revocation: flagged, never acted on.
            ("please stop texting me", K::RevocationLike),
            ("Stop texting", K::RevocationLike),
            ("stop texting", K::RevocationLike),
            ("STOP please", K::RevocationLike),
            ("please stop", K::RevocationLike),
            ("Stop it!!", K::RevocationLike),
            ("stop stop", K::RevocationLike),
            ("Don't text me anymore", K::RevocationLike),
            ("do not message me", K::RevocationLike),
            ("Take me off your list", K::RevocationLike),
            ("remove me from your list please", K::RevocationLike),
            ("no more messages", K::RevocationLike),
            ("No more texts please", K::RevocationLike),
            ("unsubscribe me", K::RevocationLike),
            ("I want to opt out", K::RevocationLike),
            ("Leave me alone", K::RevocationLike),
            ("wrong number", K::RevocationLike),
            ("I withdraw my consent", K::RevocationLike),
            ("Please stop sending these reminders", K::RevocationLike),
            // Near misses.
            ("stopped", K::None),
            ("I stopped taking the pills", K::None),
            ("Can I stop by tomorrow?", K::None),
            ("Stop by at 5?", K::None),
            ("Yes, see you then", K::None),
            ("yes please", K::None),
            ("Yesterday was fine", K::None),
            ("starting tomorrow", K::None),
            ("I need to cancel my appointment", K::None),
            ("helpful, thanks", K::None),
            ("s t o p", K::None),
            ("Don't forget my refill", K::None),
            ("", K::None),
            ("   ", K::None),
            ("No", K::None),
            ("Can you call me?", K::None),
            ("I could not contact the pharmacy", K::None),
            ("I did not text you", K::None),
            ("Please do not text after 8pm", K::RevocationLike),
        ];
        for &(text, expected) in cases {
            assert_eq!(classify(text), expected, "{text:?}");
        }
    }

    #[test]
    fn flags() {
        assert_eq!(K::Help.flag(), Some("help"));
        assert_eq!(K::RevocationLike.flag(), Some("revocation"));
        assert_eq!(K::OptOut.flag(), None);
        assert_eq!(K::None.flag(), None);
    }
}
