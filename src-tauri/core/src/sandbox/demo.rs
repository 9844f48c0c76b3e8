//! The demo roster the sandbox knows, and how each simulated patient replies.
//!
//! Numbers are fictional (`+1 805 555 01xx`). Ana has a son as a contact,
//! David a caregiver; Elena and Frank share one phone (spec 002); Chloe
//! always answers STOP; Gus answers "No", and sends hostile markup only when
//! the control API asks for it (`POST /__sandbox/hostile`).

use rand::{seq::IndexedRandom, Rng};

use crate::{
    rules::phone::{normalize, Region},
    store::{ContactPointInput, PatientInput, PhoneKind},
};

/// The text of the hostile reply: it must show as text and run nothing.
pub const HOSTILE_TEXT: &str = "<img src=x onerror=alert(1)>";
/// The demo patient who sends [`HOSTILE_TEXT`] on request (Gus Hernandez).
pub const HOSTILE_NUMBER: &str = "+18055550107";
/// The demo patient who always replies STOP (Chloe Nguyen).
pub const STOP_NUMBER: &str = "+18055550103";
/// The phone Elena Petrova and Frank Petrov share.
pub const SHARED_NUMBER: &str = "+18055550106";

/// Replies for numbers without a script (a patient you imported). Never an
/// opt-out: only Chloe Nguyen answers STOP, so a new patient is never
/// unsubscribed by the simulator behind the coordinator's back.
pub const RANDOM_REPLIES: [&str; 4] = ["Yes", "No", "Yes, see you then", "Can you call me?"];

struct Demo {
    ecm_id: i64,
    name: &'static str,
    phone: &'static str,
    contact: Option<(&'static str, &'static str, &'static str)>,
}

const ROSTER: [Demo; 8] = [
    Demo {
        ecm_id: 1001,
        name: "Ana Lopez",
        phone: "+18055550100",
        contact: Some(("Luis Lopez", "son", "+18055550101")),
    },
    Demo { ecm_id: 1002, name: "Ben Carter", phone: "+18055550102", contact: None },
    Demo { ecm_id: 1003, name: "Chloe Nguyen", phone: STOP_NUMBER, contact: None },
    Demo {
        ecm_id: 1004,
        name: "David Okafor",
        phone: "+18055550104",
        contact: Some(("Grace Okafor", "caregiver", "+18055550105")),
    },
    Demo { ecm_id: 1005, name: "Elena Petrova", phone: SHARED_NUMBER, contact: None },
    Demo { ecm_id: 1006, name: "Frank Petrov", phone: SHARED_NUMBER, contact: None },
    Demo { ecm_id: 1007, name: "Gus Hernandez", phone: HOSTILE_NUMBER, contact: None },
    Demo { ecm_id: 1008, name: "Hana Kim", phone: "+18055550108", contact: None },
];

/// Scripted replies by number; numbers not listed reply at random.
const SCRIPTS: [(&str, &str); 7] = [
    ("+18055550100", "Yes"),
    ("+18055550101", "Yes, I will bring her"),
    ("+18055550102", "Yes, see you then"),
    (STOP_NUMBER, "STOP"),
    ("+18055550104", "Can you call me?"),
    (SHARED_NUMBER, "Yes"),
    (HOSTILE_NUMBER, "No"),
];

/// The demo roster, ready for the store's import.
pub fn roster() -> Vec<PatientInput> {
    let e164 = |n: &str| normalize(n, Region::default()).expect("demo numbers are valid");
    ROSTER
        .iter()
        .map(|d| {
            let mut phones = vec![ContactPointInput {
                number: e164(d.phone),
                kind: PhoneKind::Patient,
                name: None,
                relationship: None,
            }];
            if let Some((name, relationship, phone)) = d.contact {
                phones.push(ContactPointInput {
                    number: e164(phone),
                    kind: PhoneKind::Contact,
                    name: Some(name.to_string()),
                    relationship: Some(relationship.to_string()),
                });
            }
            PatientInput {
                ecm_patient_id: Some(d.ecm_id),
                fhir_id: None,
                name: d.name.to_string(),
                phones,
                time_zone: None,
            }
        })
        .collect()
}

/// One thing the sandbox does, for the banner's "What the sandbox does"
/// and the README. The names and numbers are the fictional demo roster's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "SandboxBehaviour")]
pub struct Behaviour {
    /// Who or which number: "Chloe Nguyen, +1 (805) 555-0103".
    pub who: String,
    /// What happens: "always replies STOP (she is then opted out)".
    pub what: String,
}

/// What the sandbox does, in the coordinator's words: the scripted
/// replies of the demo roster, what any other number does, the magic
/// numbers that fail on purpose, and the timing.
pub fn behaviours() -> Vec<Behaviour> {
    let readable =
        |e164: &str| crate::rules::phone::display(&crate::rules::phone::E164::from_trusted(e164.to_string()));
    let mut out = Vec::new();
    for d in ROSTER.iter() {
        let script = |n: &str| SCRIPTS.iter().find(|(s, _)| *s == n).map(|(_, t)| *t);
        let mut what = match script(d.phone) {
            Some("STOP") => "always replies STOP, so the number is opted out until the patient sends START".to_string(),
            Some(t) => format!("replies \"{t}\""),
            None => "replies at random (Yes, No, Yes, see you then, Can you call me?)".to_string(),
        };
        if d.phone == SHARED_NUMBER {
            what.push_str("; Elena Petrova and Frank Petrov share this phone, so its replies need a choice of patient");
        }
        if d.phone == HOSTILE_NUMBER {
            what.push_str("; on request (the sandbox control API) sends markup that must show as plain text");
        }
        out.push(Behaviour { who: format!("{}, {}", d.name, readable(d.phone)), what });
        if let Some((name, relationship, phone)) = d.contact {
            let what = match script(phone) {
                Some(t) => format!("{}'s {relationship}: replies \"{t}\"", d.name),
                None => format!("{}'s {relationship}: replies at random", d.name),
            };
            out.push(Behaviour { who: format!("{name}, {}", readable(phone)), what });
        }
    }
    out.push(Behaviour {
        who: "Any other number (patients you import or add)".into(),
        what: "delivered after about 2 s, then replies within a few seconds with Yes, No, Yes, see you then or \
               Can you call me? (never STOP)"
            .into(),
    });
    out.push(Behaviour {
        who: "+1 (500) 555-0001 to 0013".into(),
        what: "magic numbers that fail on purpose: invalid number, unreachable, SMS not permitted, opted out, \
               undeliverable, rejected, expired, no delivery report; calls busy, no answer, failed. They never reply"
            .into(),
    });
    out.push(Behaviour {
        who: "Calls".into(),
        what: "ring, are answered and complete after a few seconds (ECM's queued, ringing, in-progress, completed)"
            .into(),
    });
    out
}

/// The ECM patient ids of the demo roster.
pub fn ecm_patient_ids() -> Vec<i64> {
    ROSTER.iter().map(|d| d.ecm_id).collect()
}

/// What the patient at `number` (E.164 or digits) replies: the script, or a
/// random reply; `None` for magic numbers, which never reply.
pub fn reply_for(number: &str, rng: &mut impl Rng) -> Option<String> {
    if super::magic::is_magic(number) {
        return None;
    }
    let digits = number.trim_start_matches('+');
    if let Some((_, text)) = SCRIPTS.iter().find(|(n, _)| &n[1..] == digits) {
        return Some((*text).to_string());
    }
    RANDOM_REPLIES.choose(rng).map(|s| (*s).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn roster_has_contacts_a_shared_number_and_valid_ids() {
        let r = roster();
        assert_eq!(r.len(), 8);
        assert_eq!(ecm_patient_ids(), (1001..=1008).collect::<Vec<_>>());
        let ana = &r[0];
        assert_eq!(ana.phones.len(), 2);
        assert_eq!(ana.phones[1].kind, PhoneKind::Contact);
        assert_eq!(ana.phones[1].relationship.as_deref(), Some("son"));
        let sharing = r.iter().filter(|p| p.phones[0].number.as_str() == SHARED_NUMBER).count();
        assert_eq!(sharing, 2);
        for p in &r {
            for ph in &p.phones {
                assert!(ph.number.as_str().starts_with("+1805555"), "{}", ph.number);
            }
        }
    }

    #[test]
    fn replies_follow_the_script_then_chance() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(reply_for(STOP_NUMBER, &mut rng).as_deref(), Some("STOP"));
        assert_eq!(reply_for("18055550103", &mut rng).as_deref(), Some("STOP"));
        assert_eq!(reply_for(HOSTILE_NUMBER, &mut rng).as_deref(), Some("No"));
        assert_eq!(reply_for("+15005550006", &mut rng), None);
        let r = reply_for("+447700900123", &mut rng).unwrap();
        assert!(RANDOM_REPLIES.contains(&r.as_str()));
    }

    #[test]
    fn a_number_without_a_script_never_answers_stop() {
        let mut rng = StdRng::seed_from_u64(7);
        for i in 0..500 {
            let r = reply_for(&format!("+1415555{:04}", 1000 + i), &mut rng).unwrap();
            assert_ne!(
                crate::rules::consent::classify(&r),
                crate::rules::consent::Keyword::OptOut,
                "an unscripted number answered {r:?}"
            );
        }
    }

    #[test]
    fn behaviours_name_every_demo_patient_and_the_stop_rule() {
        let b = behaviours();
        for d in ROSTER.iter() {
            assert!(b.iter().any(|x| x.who.starts_with(d.name)), "{} is not described", d.name);
        }
        let chloe = b.iter().find(|x| x.who.starts_with("Chloe Nguyen")).unwrap();
        assert!(chloe.what.contains("STOP") && chloe.who.contains("+1 (805) 555-0103"), "{chloe:?}");
        assert!(b.iter().any(|x| x.what.contains("never STOP")));
        assert!(b.iter().any(|x| x.who.contains("Luis Lopez") && x.what.contains("son")));
    }
}
