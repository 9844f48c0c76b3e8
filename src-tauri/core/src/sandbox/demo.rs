//! The demo roster the sandbox knows, and how each simulated patient replies.
//!
//! Numbers are fictional (`+1 805 555 01xx`). Ana has a son as a contact,
//! David a caregiver; Elena and Frank share one phone (spec 002); Chloe
//! always answers STOP; Gus answers "No", and sends hostile markup only when
//! the control API asks for it (`POST /__sandbox/hostile`).

use rand::{seq::IndexedRandom, Rng};

use crate::{
    phone::{normalize, Region},
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

/// Replies for numbers without a script.
pub const RANDOM_REPLIES: [&str; 5] = ["Yes", "No", "Yes, see you then", "STOP", "Can you call me?"];

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
            PatientInput { ecm_patient_id: Some(d.ecm_id), fhir_id: None, name: d.name.to_string(), phones }
        })
        .collect()
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
}
