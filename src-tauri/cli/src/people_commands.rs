//! `patients add` and `patients edit`: the flags as a form or an edit, one
//! core call, the patient as they are after it.

use caredesk_core::{
    desk::people::{PatientEdit, PatientForm, PhoneForm},
    desk::Desk,
    rules::error::CoreError,
    store::PhoneKind,
};

use crate::output;

fn own(number: String) -> PhoneForm {
    PhoneForm { number, kind: PhoneKind::Patient, name: None, relationship: None, active: true, sms_consent: None }
}

fn contact(number: String, name: Option<String>, relationship: Option<String>) -> PhoneForm {
    PhoneForm { kind: PhoneKind::Contact, name, relationship, ..own(number) }
}

/// The flags of `patients add`.
pub struct Add {
    pub name: String,
    pub ecm_id: Option<i64>,
    pub phone: Option<String>,
    pub contact_name: Option<String>,
    pub contact_relationship: Option<String>,
    pub contact_phone: Option<String>,
    pub time_zone: Option<String>,
}

pub fn add(desk: &Desk, a: Add, json: bool) -> Result<(), CoreError> {
    let mut phones: Vec<PhoneForm> = a.phone.into_iter().map(own).collect();
    phones.extend(a.contact_phone.map(|n| contact(n, a.contact_name, a.contact_relationship)));
    let form = PatientForm { name: a.name, ecm_patient_id: a.ecm_id, phones };
    let mut patient = desk.add_patient(&form)?;
    if let Some(zone) = a.time_zone {
        patient = desk.set_patient_time_zone(&patient.id.to_string(), &zone)?;
    }
    output::patient("added", &patient, json);
    Ok(())
}

/// The flags of `patients edit`.
pub struct Edit {
    pub name: Option<String>,
    pub ecm_id: Option<i64>,
    pub no_ecm_id: bool,
    pub add_phone: Vec<String>,
    pub add_contact_phone: Option<String>,
    pub add_contact_name: Option<String>,
    pub add_contact_relationship: Option<String>,
    pub deactivate_phone: Vec<String>,
    pub opt_out: Vec<String>,
    pub opt_in: Vec<String>,
    pub time_zone: Option<String>,
}

pub fn edit(desk: &Desk, reference: &str, e: Edit, json: bool) -> Result<(), CoreError> {
    let patient = desk.patient(reference)?;
    let mut add: Vec<PhoneForm> = e.add_phone.into_iter().map(own).collect();
    add.extend(e.add_contact_phone.map(|n| contact(n, e.add_contact_name, e.add_contact_relationship)));
    let edit = PatientEdit {
        name: e.name,
        ecm_patient_id: if e.no_ecm_id { Some(None) } else { e.ecm_id.map(Some) },
        add,
        deactivate: e.deactivate_phone,
        opt_out: e.opt_out,
        opt_in: e.opt_in,
    };
    let form = edit.apply_to(&patient, desk.region())?;
    let mut patient = desk.edit_patient(patient.id, &form)?;
    if let Some(zone) = e.time_zone {
        patient = desk.set_patient_time_zone(&patient.id.to_string(), &zone)?;
    }
    output::patient("saved", &patient, json);
    Ok(())
}
