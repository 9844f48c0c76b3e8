//! Conversation threads: which patient a reply belongs to, the thread list
//! with unread counts, and staff linking an unknown number to a patient.
//!
//! A reply joins a thread by the first rule that gives a patient:
//!
//! 1. `ReplyToMessageId`: the outbound message with that HIS id, its patient,
//!    but only when the reply comes from the number that message went to
//!    (E.164 forms compared): a reply from another phone is matched by its
//!    own number below, and may stay unmatched;
//! 2. the sender's number among every patient's and contact's current
//!    numbers (not those a re-import left inactive): one patient has it, that
//!    patient;
//! 3. several patients share it (spec 002): the one most recently messaged at
//!    that number (outbound, not failed);
//! 4. a link staff made earlier for the number (`number_links`): a number
//!    linked from Unmatched is also one of the patient's numbers (rule 2),
//!    so the link decides only for a number several patients share that
//!    none was messaged at, a linked number staff made inactive, or a
//!    sender that is not a phone number;
//! 5. otherwise no patient: the **Unmatched** inbox, one thread per number.
//!
//! Threads are ordered by `created_at` then `id`. An inbound message's
//! `created_at` is the server's `CreatedAt` converted to UTC (see
//! [`crate::engine::inbox_sync`]), so a page's order does not matter.

use serde::Serialize;

pub use crate::store::threads::{ThreadRef, ThreadRow};
use crate::{
    desk::people::contact_fields,
    rules::error::CoreError,
    rules::phone::{self, Region},
    store::{Database, LinkContact, Linked, StoreError},
};

/// How a reply found its patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    ReplyTo,
    Number,
    SharedNumber,
    Link,
    Unmatched,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub patient_id: Option<i64>,
    pub by: MatchedBy,
}

/// The patient a reply from `from` (E.164, or raw `+digits`) answering HIS
/// message `reply_to` belongs to, by the rules of the module. `region` reads
/// numbers written without a country code.
pub fn match_sender(db: &Database, from: &str, reply_to: Option<i64>, region: Region) -> Result<Match, StoreError> {
    if let Some(his_id) = reply_to {
        if let Some(answered) = db.outbound_by_his_id(his_id)? {
            match answered.patient_id {
                Some(patient_id) if phone::same_number(from, &answered.to_number, region) => {
                    return Ok(Match { patient_id: Some(patient_id), by: MatchedBy::ReplyTo });
                }
                Some(_) => tracing::debug!(
                    his_id,
                    "a reply from another number than the message went to: matched by its number"
                ),
                None => {}
            }
        }
    }
    let candidates = db.patients_with_number(from)?;
    match candidates.as_slice() {
        [] => {}
        [only] => return Ok(Match { patient_id: Some(*only), by: MatchedBy::Number }),
        several => {
            if let Some(p) = db.last_messaged_at(from, several)? {
                return Ok(Match { patient_id: Some(p), by: MatchedBy::SharedNumber });
            }
        }
    }
    if let Some(p) = db.linked_patient(from)? {
        return Ok(Match { patient_id: Some(p), by: MatchedBy::Link });
    }
    Ok(Match { patient_id: None, by: MatchedBy::Unmatched })
}

/// Staff link an unmatched `number` (as typed or as listed) to a patient:
/// the number becomes one of the patient's numbers (a contact; `contact`
/// says who, when staff know), the link is remembered for later replies,
/// the number's unmatched texts move to the patient, and the audit log says
/// who did it.
pub fn link_number(
    db: &Database,
    number: &str,
    patient_id: i64,
    contact: &LinkContact,
    actor: &str,
    region: Region,
) -> Result<Linked, CoreError> {
    let trimmed = number.trim();
    if trimmed.is_empty() {
        return Err(CoreError::InvalidMessage("the number to link is empty".into()));
    }
    let number = phone::normalize(trimmed, region).map(|n| n.to_string()).unwrap_or_else(|_| trimmed.to_string());
    if db.patient(patient_id)?.is_none() {
        return Err(CoreError::PatientNotFound(patient_id.to_string()));
    }
    let (name, relationship) = contact_fields(contact.name.as_deref(), contact.relationship.as_deref())?;
    Ok(db.link_number(&number, patient_id, actor, &LinkContact { name, relationship })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        test_db, upsert_patient, Accepted, ContactPointInput, NewOutbound, PatientInput, PhoneKind, Route,
    };

    fn add(db: &mut Database, name: &str, numbers: &[&str]) -> i64 {
        let input = PatientInput {
            ecm_patient_id: None,
            fhir_id: Some(name.to_string()),
            name: name.into(),
            phones: numbers
                .iter()
                .map(|n| ContactPointInput {
                    number: phone::normalize(n, Region::default()).unwrap(),
                    kind: PhoneKind::Patient,
                    name: None,
                    relationship: None,
                })
                .collect(),
            time_zone: None,
        };
        let tx = db.conn_mut().transaction().unwrap();
        let id = upsert_patient(&tx, &input).unwrap().id;
        tx.commit().unwrap();
        id
    }

    fn sent(db: &Database, patient_id: i64, to: &str, his_id: i64) {
        let id = db
            .insert_outbound(&NewOutbound {
                patient_id: Some(patient_id),
                route: Route::His,
                from: "15550100000".into(),
                to: to.into(),
                intended_to: None,
                body: "Reminder".into(),
                external_key: Some(his_id * 10),
                is_test: false,
            })
            .unwrap();
        db.mark_accepted(id, &Accepted { state: "sent".into(), his_id: Some(his_id), ..Default::default() }).unwrap();
        // Distinct, increasing creation times.
        db.conn()
            .execute(
                "UPDATE messages SET created_at = ?2 WHERE id = ?1",
                (id, format!("2024-01-01T00:00:{his_id:02}Z")),
            )
            .unwrap();
    }

    fn us() -> Region {
        Region::default()
    }

    const ANA: &str = "+18055550100";
    const SHARED: &str = "+18055550106";
    const STRANGER: &str = "+18055550199";

    #[test]
    fn matching_order() {
        let (_d, mut db) = test_db();
        let ana = add(&mut db, "Ana", &[ANA]);
        let elena = add(&mut db, "Elena", &[SHARED]);
        let frank = add(&mut db, "Frank", &[SHARED]);
        let hana = add(&mut db, "Hana", &["+18055550108"]);

        // A number with one patient.
        assert_eq!(match_sender(&db, ANA, None, us()).unwrap(), Match { patient_id: Some(ana), by: MatchedBy::Number });
        // Reply-to from the number the message went to: that message's patient.
        sent(&db, hana, "+18055550108", 11);
        assert_eq!(
            match_sender(&db, "+18055550108", Some(11), us()).unwrap(),
            Match { patient_id: Some(hana), by: MatchedBy::ReplyTo }
        );
        // Reply-to from another phone does not win: Ana's phone answering a
        // message sent to Hana is Ana's, and a stranger's stays unmatched.
        assert_eq!(
            match_sender(&db, ANA, Some(11), us()).unwrap(),
            Match { patient_id: Some(ana), by: MatchedBy::Number }
        );
        assert_eq!(
            match_sender(&db, STRANGER, Some(11), us()).unwrap(),
            Match { patient_id: None, by: MatchedBy::Unmatched }
        );
        // An unknown reply-to falls back to the number.
        assert_eq!(match_sender(&db, ANA, Some(999), us()).unwrap().patient_id, Some(ana));

        // A shared number never messaged: nobody can tell, so Unmatched.
        assert_eq!(match_sender(&db, SHARED, None, us()).unwrap().by, MatchedBy::Unmatched);
        // Shared number: the patient most recently messaged there.
        sent(&db, elena, SHARED, 12);
        sent(&db, frank, SHARED, 13);
        assert_eq!(
            match_sender(&db, SHARED, None, us()).unwrap(),
            Match { patient_id: Some(frank), by: MatchedBy::SharedNumber }
        );
        sent(&db, elena, SHARED, 14);
        assert_eq!(match_sender(&db, SHARED, None, us()).unwrap().patient_id, Some(elena));
        // ...unless the reply says which message it answers.
        assert_eq!(match_sender(&db, SHARED, Some(13), us()).unwrap().patient_id, Some(frank));

        // Unknown number: Unmatched, until staff link it; the link is remembered.
        assert_eq!(
            match_sender(&db, STRANGER, None, us()).unwrap(),
            Match { patient_id: None, by: MatchedBy::Unmatched }
        );
        // A link makes it one of her numbers: replies from it are hers by number.
        db.link_number(STRANGER, ana, "dana", &LinkContact::default()).unwrap();
        assert_eq!(
            match_sender(&db, STRANGER, None, us()).unwrap(),
            Match { patient_id: Some(ana), by: MatchedBy::Number }
        );
        // Linking another patient's number shares it (spec 002): the link
        // decides until one of them is messaged there.
        db.link_number(ANA, hana, "dana", &LinkContact::default()).unwrap();
        assert_eq!(match_sender(&db, ANA, None, us()).unwrap(), Match { patient_id: Some(hana), by: MatchedBy::Link });
        sent(&db, ana, ANA, 15);
        assert_eq!(
            match_sender(&db, ANA, None, us()).unwrap(),
            Match { patient_id: Some(ana), by: MatchedBy::SharedNumber }
        );
        // A link to what is not a phone number (a raw sender) is a link only.
        db.link_number("+999", hana, "dana", &LinkContact::default()).unwrap();
        assert_eq!(
            match_sender(&db, "+999", None, us()).unwrap(),
            Match { patient_id: Some(hana), by: MatchedBy::Link }
        );
    }

    #[test]
    fn link_number_checks_the_patient_and_normalizes() {
        let (_d, mut db) = test_db();
        let ana = add(&mut db, "Ana", &[ANA]);
        let none = LinkContact::default();
        let e = link_number(&db, STRANGER, 999, &none, "dana", Region::default()).unwrap_err();
        assert!(matches!(e, CoreError::PatientNotFound(_)), "{e}");
        let long = LinkContact { name: Some("x".repeat(101)), relationship: None };
        let e = link_number(&db, STRANGER, ana, &long, "dana", Region::default()).unwrap_err();
        assert_eq!(e.code(), crate::rules::error::ErrorCode::InvalidContact);
        assert_eq!(db.linked_patient(STRANGER).unwrap(), None, "nothing linked");
        let son = LinkContact { name: Some(" Luis ".into()), relationship: Some("son".into()) };
        let linked = link_number(&db, "(805) 555-0199", ana, &son, "dana", Region::default()).unwrap();
        assert_eq!(linked, Linked { moved: 0, number_added: true });
        assert_eq!(db.linked_patient(STRANGER).unwrap(), Some(ana));
        let phones = db.patient(ana).unwrap().unwrap().phones;
        let linked = phones.iter().find(|p| p.number == STRANGER).expect("the linked number is hers");
        assert_eq!(
            (linked.kind, linked.name.as_deref(), linked.relationship.as_deref()),
            (PhoneKind::Contact, Some("Luis"), Some("son"))
        );
        let audit = db.audit_entries(5).unwrap();
        assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("number.link", "dana"));
        assert!(audit[0].detail.contains("as one of the patient's numbers"), "{}", audit[0].detail);
        assert!(!audit[0].detail.contains("5550199"), "the audit detail shows the number redacted");
    }
}
