//! The resources CareDesk writes to the FHIR server, with no I/O: a
//! `Communication` per text or call (shaped as spec 000 shows), one
//! `Encounter` per patient conversation (spec 001, with the
//! `encounter-other-participants` extension) and the `Device` that stands
//! for a desk when no Practitioner is set. Each carries an identifier of
//! CareDesk's, so a conditional create (`If-None-Exist`) repeated after a
//! lost answer finds the resource instead of making a second one.

use serde_json::{json, Value};

/// `Communication.identifier.system` of a text; the value is the message's
/// stable id (its team gid, else `local-<id>`).
pub const MESSAGE_SYSTEM: &str = "urn:caredesk:message";
/// `Communication.identifier.system` of a call.
pub const CALL_SYSTEM: &str = "urn:caredesk:call";
/// `Encounter.identifier.system`; the value is `Patient/<id>`: one
/// conversation per patient, whichever desk writes first.
pub const CONVERSATION_SYSTEM: &str = "urn:caredesk:conversation";
/// `Device.identifier.system` of a desk; the value is its instance id.
pub const DESK_SYSTEM: &str = "urn:caredesk:desk";
pub const PARTICIPATION_MODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";
pub const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// Spec 001: the extension for participants R4's `Encounter.participant`
/// cannot hold (RelatedPersons as contacts, Devices).
pub const OTHER_PARTICIPANTS: &str = "https://extensions.fhir.zapehr.com/encounter-other-participants";
pub const OTHER_PARTICIPANT: &str = "https://fhir.zapehr.com/encounter-other-participant";

/// A text or a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    /// `SMSWRIT`.
    Sms,
    /// `PHONE`.
    Phone,
}

impl Medium {
    pub fn system(self) -> &'static str {
        match self {
            Medium::Sms => MESSAGE_SYSTEM,
            Medium::Phone => CALL_SYSTEM,
        }
    }
}

/// `Communication.status` and, for `stopped`, the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationStatus {
    pub status: &'static str,
    pub reason: Option<String>,
}

/// What a text's state (or a call's status) means on the server: on its
/// way is `in-progress`, delivered or received `completed`, refused or
/// failed `stopped` with the state (and the server's error code) as the
/// reason, "may have been sent" `unknown`. `None`: not to be written yet
/// (a text still queued may be undone).
pub fn communication_status(medium: Medium, state: &str, error_code: Option<&str>) -> Option<CommunicationStatus> {
    let status = match (medium, state) {
        (Medium::Sms, "queued") => return None,
        (Medium::Sms, "sending" | "sent" | "accepted" | "enroute") => "in-progress",
        (Medium::Sms, "delivered" | "seen" | "received") => "completed",
        (Medium::Sms, "failed" | "undelivered" | "rejected" | "expired" | "deleted" | "unsent") => "stopped",
        (Medium::Phone, "queued" | "ringing" | "in-progress" | "initiated") => "in-progress",
        (Medium::Phone, "completed") => "completed",
        (Medium::Phone, "busy" | "no-answer" | "failed" | "canceled") => "stopped",
        _ => "unknown",
    };
    let reason = (status == "stopped").then(|| match error_code.filter(|c| !c.is_empty()) {
        Some(code) => format!("{state} ({code})"),
        None => state.to_string(),
    });
    Some(CommunicationStatus { status, reason })
}

/// One text or call, as the Communication shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationInput {
    pub medium: Medium,
    /// The stable id: `identifier.value`.
    pub stable_id: String,
    pub outbound: bool,
    pub status: CommunicationStatus,
    /// When it was written or placed (outbound: `sent`) or came in
    /// (inbound: `received`), RFC 3339.
    pub at: String,
    /// The text (a call: none).
    pub text: Option<String>,
    /// `Patient/<id>`: the conversation's patient (`subject`).
    pub patient: String,
    /// The patient or their RelatedPerson who was texted or called, or
    /// who wrote: `Patient/<id>` or `RelatedPerson/<id>`.
    pub counterpart: String,
    /// The coordinator's reference (Practitioner, PractitionerRole or Device).
    pub coordinator: String,
    /// `Encounter/<id>` of the conversation.
    pub encounter: Option<String>,
    /// The number it went to or came from (E.164), for the `note`.
    pub number: String,
}

fn reference(r: &str) -> Value {
    json!({ "reference": r })
}

/// The `identifier=system|value` search of a conditional create.
pub fn identifier_search(system: &str, value: &str) -> String {
    format!("identifier={system}|{value}")
}

/// The Communication of a text or call, as spec 000 shows it (`status`,
/// `medium`, `sent`/`received`, `payload.contentString`, `recipient`,
/// `sender`, `note` with the number), with CareDesk's identifier, the
/// patient as `subject` and the conversation's `encounter`.
pub fn communication(c: &CommunicationInput) -> Value {
    let (code, display) = match c.medium {
        Medium::Sms => ("SMSWRIT", "SMS message"),
        Medium::Phone => ("PHONE", "telephone"),
    };
    let (sender, recipient) =
        if c.outbound { (&c.coordinator, &c.counterpart) } else { (&c.counterpart, &c.coordinator) };
    let note = match (c.medium, c.outbound) {
        (Medium::Sms, true) => format!("Message sent to number: {}", c.number),
        (Medium::Sms, false) => format!("Message received from number: {}", c.number),
        (Medium::Phone, true) => format!("Call placed to number: {}", c.number),
        (Medium::Phone, false) => format!("Call received from number: {}", c.number),
    };
    let mut r = json!({
        "resourceType": "Communication",
        "identifier": [{ "system": c.medium.system(), "value": c.stable_id }],
        "status": c.status.status,
        "medium": [{ "coding": [{ "system": PARTICIPATION_MODE, "code": code, "display": display }] }],
        "subject": reference(&c.patient),
        "recipient": [reference(recipient)],
        "sender": reference(sender),
        "note": [
            { "time": c.at, "text": if c.outbound { "Sent using CareDesk" } else { "Received by CareDesk" } },
            { "time": c.at, "text": note }
        ],
    });
    r[if c.outbound { "sent" } else { "received" }] = json!(c.at);
    if let Some(reason) = &c.status.reason {
        r["statusReason"] = json!({ "text": reason });
    }
    if let Some(text) = c.text.as_deref().filter(|t| !t.is_empty()) {
        r["payload"] = json!([{ "contentString": text }]);
    }
    if let Some(e) = &c.encounter {
        r["encounter"] = reference(e);
    }
    r
}

/// Who takes part in a conversation: coordinators that R4's
/// `Encounter.participant.individual` can hold (Practitioner,
/// PractitionerRole), and the others (RelatedPersons, Devices) for the
/// `encounter-other-participants` extension. Sorted, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participants {
    pub participants: Vec<String>,
    pub others: Vec<String>,
}

impl Participants {
    /// Adds a reference to the list it belongs in; whether it was new.
    pub fn add(&mut self, r: &str) -> bool {
        let list = if r.starts_with("Practitioner/") || r.starts_with("PractitionerRole/") {
            &mut self.participants
        } else {
            &mut self.others
        };
        match list.binary_search_by(|x| x.as_str().cmp(r)) {
            Ok(_) => false,
            Err(at) => {
                list.insert(at, r.to_string());
                true
            }
        }
    }

    /// Every reference of `other` added; whether any was new.
    pub fn merge(&mut self, other: &Participants) -> bool {
        let mut grew = false;
        for r in other.participants.iter().chain(&other.others) {
            grew |= self.add(r);
        }
        grew
    }

    /// Whether every reference of `other` is already here.
    pub fn covers(&self, other: &Participants) -> bool {
        other.participants.iter().all(|r| self.participants.contains(r))
            && other.others.iter().all(|r| self.others.contains(r))
    }

    /// The participants an Encounter on the server names (read tolerantly:
    /// `valueReference` as an object or, as spec 001's first example has
    /// it, a bare string).
    pub fn of_encounter(e: &Value) -> Participants {
        let mut p = Participants::default();
        for part in e.get("participant").and_then(Value::as_array).into_iter().flatten() {
            if let Some(r) = part.pointer("/individual/reference").and_then(Value::as_str) {
                p.add(r);
            }
        }
        for ext in e.get("extension").and_then(Value::as_array).into_iter().flatten() {
            if ext.get("url").and_then(Value::as_str) != Some(OTHER_PARTICIPANTS) {
                continue;
            }
            for other in ext.get("extension").and_then(Value::as_array).into_iter().flatten() {
                for field in other.get("extension").and_then(Value::as_array).into_iter().flatten() {
                    let v = field.get("valueReference");
                    let r = v.and_then(|v| v.get("reference")).and_then(Value::as_str).or(v.and_then(Value::as_str));
                    if let Some(r) = r {
                        p.add(r);
                    }
                }
            }
        }
        p
    }
}

/// The conversation's `identifier.value` for a patient.
pub fn conversation_id(patient_fhir_id: &str) -> String {
    format!("Patient/{patient_fhir_id}")
}

/// The Encounter of a patient conversation (spec 001): in progress,
/// virtual, the Patient as `subject`, the coordinators who wrote in it as
/// `participant`, RelatedPersons and Devices in the
/// `encounter-other-participants` extension. `base` is the Encounter as the
/// server has it (an update keeps what others wrote in it).
pub fn encounter(patient_fhir_id: &str, who: &Participants, base: Option<&Value>) -> Value {
    let mut e = base.cloned().filter(Value::is_object).unwrap_or_else(|| json!({}));
    e["resourceType"] = json!("Encounter");
    let ours = json!({ "system": CONVERSATION_SYSTEM, "value": conversation_id(patient_fhir_id) });
    let mut identifiers: Vec<Value> = e.get("identifier").and_then(Value::as_array).cloned().unwrap_or_default();
    if !identifiers.iter().any(|i| i.get("system") == ours.get("system")) {
        identifiers.push(ours);
    }
    e["identifier"] = json!(identifiers);
    if e.get("status").is_none() {
        e["status"] = json!("in-progress");
    }
    e["class"] = json!({ "system": ACT_CODE, "code": "VR", "display": "virtual" });
    e["subject"] = reference(&format!("Patient/{patient_fhir_id}"));
    e["participant"] =
        who.participants.iter().map(|r| json!({ "individual": reference(r) })).collect::<Vec<_>>().into();
    let mut extensions: Vec<Value> = e
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| x.get("url").and_then(Value::as_str) != Some(OTHER_PARTICIPANTS))
        .cloned()
        .collect();
    if !who.others.is_empty() {
        let others: Vec<Value> = who
            .others
            .iter()
            .map(|r| {
                json!({ "url": OTHER_PARTICIPANT,
                        "extension": [{ "url": "reference", "valueReference": reference(r) }] })
            })
            .collect();
        extensions.push(json!({ "url": OTHER_PARTICIPANTS, "extension": others }));
    }
    match extensions.is_empty() {
        true => {
            if let Some(o) = e.as_object_mut() {
                o.remove("extension");
            }
        }
        false => e["extension"] = json!(extensions),
    }
    if let Some(o) = e.as_object_mut() {
        o.remove("meta");
        o.remove("text");
    }
    e
}

/// The Device that stands for a desk when `fhir.coordinator_reference` is
/// unset.
pub fn desk_device(instance: &str) -> Value {
    json!({
        "resourceType": "Device",
        "identifier": [{ "system": DESK_SYSTEM, "value": instance }],
        "status": "active",
        "manufacturer": "CareDesk",
        "deviceName": [{ "name": "CareDesk desk", "type": "user-friendly-name" }],
    })
}

/// A coordinator reference from `fhir.coordinator_reference`: `Type/id`
/// with a type a Communication's sender can be.
pub fn coordinator_reference(value: &str) -> Option<String> {
    let (kind, id) = value.trim().split_once('/')?;
    let kinds = ["Practitioner", "PractitionerRole", "Device"];
    (kinds.contains(&kind) && super::roster::valid_id(id)).then(|| format!("{kind}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(outbound: bool) -> CommunicationInput {
        CommunicationInput {
            medium: Medium::Sms,
            stable_id: "local-7".into(),
            outbound,
            status: communication_status(Medium::Sms, if outbound { "sent" } else { "received" }, None).unwrap(),
            at: "2023-11-19T18:27:51.387Z".into(),
            text: Some("Your appointment is confirmed".into()),
            patient: "Patient/p1".into(),
            counterpart: "Patient/p1".into(),
            coordinator: "Practitioner/dr1".into(),
            encounter: Some("Encounter/e1".into()),
            number: "+12345678900".into(),
        }
    }

    #[test]
    fn an_outbound_text_is_shaped_as_spec_000_shows() {
        let c = communication(&input(true));
        assert_eq!(c["resourceType"], "Communication");
        assert_eq!(c["status"], "in-progress");
        assert_eq!(c["medium"][0]["coding"][0]["system"], PARTICIPATION_MODE);
        assert_eq!(c["medium"][0]["coding"][0]["code"], "SMSWRIT");
        assert_eq!(c["sent"], "2023-11-19T18:27:51.387Z");
        assert!(c.get("received").is_none());
        assert_eq!(c["payload"][0]["contentString"], "Your appointment is confirmed");
        assert_eq!(c["recipient"][0]["reference"], "Patient/p1");
        assert_eq!(c["sender"]["reference"], "Practitioner/dr1");
        assert_eq!(c["note"][1]["text"], "Message sent to number: +12345678900");
        assert_eq!(c["identifier"][0], json!({"system": MESSAGE_SYSTEM, "value": "local-7"}));
        assert_eq!(c["encounter"]["reference"], "Encounter/e1");
        assert_eq!(c["subject"]["reference"], "Patient/p1");
    }

    #[test]
    fn an_inbound_text_is_received_from_the_patient_or_their_contact() {
        let mut i = input(false);
        i.counterpart = "RelatedPerson/rp1".into();
        let c = communication(&i);
        assert_eq!(c["status"], "completed");
        assert_eq!(c["received"], "2023-11-19T18:27:51.387Z");
        assert!(c.get("sent").is_none());
        assert_eq!(c["sender"]["reference"], "RelatedPerson/rp1");
        assert_eq!(c["recipient"][0]["reference"], "Practitioner/dr1");
        assert_eq!(c["note"][1]["text"], "Message received from number: +12345678900");
    }

    #[test]
    fn states_become_statuses_with_reasons() {
        let s = |m, state, code| communication_status(m, state, code).map(|s| (s.status, s.reason));
        let cases = [
            (Medium::Sms, "queued", None, None),
            (Medium::Sms, "sending", None, Some(("in-progress", None))),
            (Medium::Sms, "enroute", None, Some(("in-progress", None))),
            (Medium::Sms, "delivered", None, Some(("completed", None))),
            (Medium::Sms, "received", None, Some(("completed", None))),
            (Medium::Sms, "undelivered", Some("30003"), Some(("stopped", Some("undelivered (30003)".to_string())))),
            (Medium::Sms, "failed", None, Some(("stopped", Some("failed".to_string())))),
            (Medium::Sms, "uncertain", None, Some(("unknown", None))),
            (Medium::Phone, "ringing", None, Some(("in-progress", None))),
            (Medium::Phone, "completed", None, Some(("completed", None))),
            (Medium::Phone, "no-answer", None, Some(("stopped", Some("no-answer".to_string())))),
        ];
        for (m, state, code, want) in cases {
            assert_eq!(s(m, state, code), want, "{state}");
        }
        let call = CommunicationInput { medium: Medium::Phone, text: None, ..input(true) };
        let c = communication(&call);
        assert_eq!(c["medium"][0]["coding"][0]["code"], "PHONE");
        assert_eq!(c["identifier"][0]["system"], CALL_SYSTEM);
        assert!(c.get("payload").is_none());
    }

    #[test]
    fn the_encounter_names_coordinators_and_other_participants_as_spec_001_shows() {
        let mut who = Participants::default();
        assert!(who.add("Practitioner/dr1"));
        assert!(who.add("RelatedPerson/rp1"));
        assert!(who.add("Device/desk1"));
        assert!(!who.add("RelatedPerson/rp1"));
        let e = encounter("p1", &who, None);
        assert_eq!(e["status"], "in-progress");
        assert_eq!(e["class"]["code"], "VR");
        assert_eq!(e["subject"]["reference"], "Patient/p1");
        assert_eq!(e["identifier"][0], json!({"system": CONVERSATION_SYSTEM, "value": "Patient/p1"}));
        assert_eq!(e["participant"], json!([{"individual": {"reference": "Practitioner/dr1"}}]));
        assert_eq!(e["extension"][0]["url"], OTHER_PARTICIPANTS);
        let others = &e["extension"][0]["extension"];
        assert_eq!(others[0]["url"], OTHER_PARTICIPANT);
        assert_eq!(others[0]["extension"][0]["valueReference"]["reference"], "Device/desk1");
        assert_eq!(others[1]["extension"][0]["valueReference"]["reference"], "RelatedPerson/rp1");
        assert_eq!(Participants::of_encounter(&e), who);

        // An update keeps what others wrote and reads spec 001's bare-string form.
        let mut server = e.clone();
        server["id"] = json!("e1");
        server["meta"] = json!({"versionId": "3"});
        server["extension"][0]["extension"][1]["extension"][0]["valueReference"] = json!("RelatedPerson/rp1");
        server["period"] = json!({"start": "2024-01-01"});
        let read = Participants::of_encounter(&server);
        assert_eq!(read, who);
        let mut more = read.clone();
        assert!(more.add("Practitioner/dr2"));
        assert!(!read.covers(&more) && more.covers(&read));
        let again = encounter("p1", &more, Some(&server));
        assert_eq!((again["id"].as_str(), again.get("meta")), (Some("e1"), None));
        assert_eq!(again["period"]["start"], "2024-01-01");
        assert_eq!(again["participant"].as_array().unwrap().len(), 2);
        assert_eq!(again["identifier"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_coordinator_setting_names_a_sender_type() {
        assert_eq!(coordinator_reference(" Practitioner/dr-1 ").as_deref(), Some("Practitioner/dr-1"));
        assert_eq!(coordinator_reference("Device/d1").as_deref(), Some("Device/d1"));
        for bad in ["Patient/p1", "Practitioner/", "dr-1", "Practitioner/a b"] {
            assert_eq!(coordinator_reference(bad), None, "{bad}");
        }
    }
}
