//! The FHIR write-back, executed: due rows of the queue (`store::fhir_writes`)
//! are claimed one at a time, read under the desk's lock, written over HTTP
//! without it, and their result stored under it again.
//!
//! For each text or call: the coordinator's reference (the setting
//! `fhir.coordinator_reference`, else the desk's own Device, created
//! conditionally once), the conversation's Encounter (created conditionally
//! by its identifier before the first Communication, its participants
//! updated with `If-Match` when a new coordinator or contact takes part),
//! then the Communication: a conditional create by its identifier the first
//! time (a create repeated after a lost answer finds the one made before),
//! an update with `If-Match` after a state change. Retryable failures (5xx,
//! 429, timeouts, a refused connection) wait a capped, jittered backoff and
//! end the drain (the server is in trouble); permanent ones (the server's
//! 4xx refusals) mark the row failed, with the reason shown on the message.

use std::{sync::Mutex, time::Duration};

use serde_json::Value;

use crate::{
    desk::{lock, Desk},
    gateways::fhir::{FhirClient, FhirError, FhirRefusal, Read, Written},
    rules::{
        backoff::Backoff,
        error::Result,
        fhir::writeback::{self, CommunicationInput, Medium, Participants},
    },
    store::{
        fhir_roster::set_fhir_sync_value,
        fhir_writes::{EncounterRow, WriteClaim, WriteItem, WriteKind, NOT_ON_SERVER, NO_PATIENT},
        now_rfc3339,
    },
};

/// The `fhir_sync` key of the desk's Device: `<base url> <Device id>`.
const DESK_DEVICE: &str = "desk_device";
/// How many times a versioned update reads the resource again after a 412.
const VERSION_TRIES: usize = 3;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What a drain of the write queue did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(rename = "FhirWriteReport")]
pub struct WriteReport {
    /// Communications written (created or updated).
    pub written: usize,
    /// Of those, created now (not found by their identifier).
    pub created: usize,
    /// Creates that found the Communication a lost answer had already made.
    pub found_existing: usize,
    pub updated: usize,
    pub encounters_created: usize,
    pub encounters_updated: usize,
    /// Nothing to write (the patient is not on the FHIR server, ...).
    pub skipped: usize,
    /// Refused for good this drain.
    pub failed: usize,
    /// Failed this drain, tried again later.
    pub retrying: usize,
    /// The drain stopped early: why (the server's trouble, redacted).
    #[ts(optional = nullable)]
    pub stopped: Option<String>,
    pub elapsed_ms: u64,
}

impl WriteReport {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "FHIR write-back: {} Communication(s) written ({} created, {} found already made, {} updated), Encounters {} created, {} updated; {} skipped, {} failed, {} to retry",
            self.written,
            self.created,
            self.found_existing,
            self.updated,
            self.encounters_created,
            self.encounters_updated,
            self.skipped,
            self.failed,
            self.retrying
        );
        if let Some(why) = &self.stopped {
            s.push_str(&format!("; stopped: {why}"));
        }
        s
    }

    pub fn moved(&self) -> bool {
        self.written + self.skipped + self.failed + self.retrying > 0
    }
}

/// What a row needs, read under the lock.
struct Job {
    claim: WriteClaim,
    item: WriteItem,
    patient_id: i64,
    patient_fhir_id: String,
    encounter: Option<EncounterRow>,
}

/// How one row ended.
enum Outcome {
    Written { created: bool, found: bool, encounter: EncounterChange },
    Failed,
    Retry(String),
}

#[derive(Default, Clone, Copy)]
struct EncounterChange {
    created: bool,
    updated: bool,
}

/// The drain's settings.
struct Setup {
    token: i64,
    lease: chrono::Duration,
    backoff: Backoff,
    coordinator: Option<String>,
    instance: String,
}

/// Writes due rows until none is due, `limit` rows were handled, or the
/// server is in trouble. Claims left by a process that is gone are voided
/// first (only the process that sends for the data directory drains).
pub async fn drain(desk: &Mutex<Desk>, client: &FhirClient, limit: usize) -> Result<WriteReport> {
    let started = std::time::Instant::now();
    let mut report = WriteReport::default();
    let mut setup = {
        let d = lock(desk)?;
        d.db().release_fhir_claims()?;
        if d.db().fhir_write_target(client.base_url().as_str())? {
            tracing::info!("the FHIR write-back writes to a new server: conversations get their Encounter there");
        }
        let timeout = d.setting("http.timeout_secs")?.and_then(|v| v.parse().ok()).unwrap_or(30u64);
        let interval = d.setting("sync.interval_secs")?.and_then(|v| v.parse().ok()).unwrap_or(10u64);
        let coordinator = match d.setting("fhir.coordinator_reference")? {
            Some(v) => Some(writeback::coordinator_reference(&v).ok_or_else(|| {
                crate::rules::error::CoreError::from(crate::desk::setup_error::GatewayConfigError::Invalid(format!(
                    "fhir.coordinator_reference {v:?} is not a reference like Practitioner/ID, PractitionerRole/ID or Device/ID"
                )))
            })?),
            None => None,
        };
        Setup {
            token: rand::random::<i64>().abs().max(1),
            lease: chrono::Duration::seconds((timeout * 4 + 30) as i64),
            backoff: Backoff::from_interval(Duration::from_secs(interval)),
            coordinator,
            instance: d.credentials().instance().to_string(),
        }
    };
    for _ in 0..limit {
        let Some(job) = next_job(desk, &setup, &mut report)? else { break };
        let claim = job.claim.clone();
        let outcome = match write_one(desk, client, &mut setup, &job).await {
            Ok((written, enc_row, change, created, found)) => {
                let d = lock(desk)?;
                let now = now_rfc3339();
                if let Some(row) = &enc_row {
                    d.db().put_fhir_encounter(job.patient_id, row, &now)?;
                }
                let encounter_id = enc_row.as_ref().map(|r| r.fhir_id.as_str());
                d.db().fhir_write_done(&claim, &written.id, written.version_id.as_deref(), encounter_id, &now)?;
                Outcome::Written { created, found, encounter: change }
            }
            Err(e) => failed(desk, &setup, &claim, &e)?,
        };
        match outcome {
            Outcome::Written { created, found, encounter } => {
                report.written += 1;
                report.created += usize::from(created);
                report.found_existing += usize::from(found);
                report.updated += usize::from(!created && !found);
                report.encounters_created += usize::from(encounter.created);
                report.encounters_updated += usize::from(encounter.updated);
            }
            Outcome::Failed => report.failed += 1,
            Outcome::Retry(why) => {
                report.retrying += 1;
                report.stopped = Some(why);
                break;
            }
        }
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Claims the next due row and reads it; rows with nothing to write are
/// marked skipped on the way.
fn next_job(desk: &Mutex<Desk>, setup: &Setup, report: &mut WriteReport) -> Result<Option<Job>> {
    let d = lock(desk)?;
    let db = d.db();
    loop {
        let now = chrono::Utc::now();
        let until = rfc3339(now + setup.lease);
        let now = rfc3339(now);
        let Some(claim) = db.claim_fhir_write(&now, &until, setup.token)? else { return Ok(None) };
        let skip = |reason: &str| db.fhir_write_stop(&claim, "skipped", None, reason, &now);
        let Some(item) = db.fhir_write_item(&claim)? else {
            skip("the text or call is no longer on this desk")?;
            report.skipped += 1;
            continue;
        };
        let (Some(patient_id), Some(patient_fhir_id)) = (item.patient_id, item.patient_fhir_id.clone()) else {
            skip(if item.patient_id.is_none() { NO_PATIENT } else { NOT_ON_SERVER })?;
            report.skipped += 1;
            continue;
        };
        let encounter = db.fhir_encounter(patient_id)?;
        return Ok(Some(Job { claim, item, patient_id, patient_fhir_id, encounter }));
    }
}

/// Records a failure: retryable ones (and refused credentials, which every
/// row would meet) wait their backoff and stop the drain; others fail the row.
fn failed(desk: &Mutex<Desk>, setup: &Setup, claim: &WriteClaim, e: &FhirError) -> Result<Outcome> {
    let d = lock(desk)?;
    let now = chrono::Utc::now();
    let why = e.to_string();
    if e.is_retryable() || e.is_credential_failure() {
        let wait = setup.backoff.random_delay((claim.attempts + 1).clamp(1, 30) as u32);
        let next = rfc3339(now + chrono::Duration::from_std(wait).unwrap_or_default());
        d.db().fhir_write_retry(claim, e.code(), &why, &next, &rfc3339(now))?;
        tracing::warn!(code = e.code(), attempts = claim.attempts + 1, "FHIR write failed; tried again later");
        Ok(Outcome::Retry(why))
    } else {
        d.db().fhir_write_stop(claim, "failed", Some(e.code()), &why, &rfc3339(now))?;
        tracing::warn!(code = e.code(), "the FHIR server refused a write; shown on the message");
        Ok(Outcome::Failed)
    }
}

type WriteResult = (Written, Option<EncounterRow>, EncounterChange, bool, bool);

/// The HTTP part of one row: coordinator, Encounter, Communication.
async fn write_one(
    desk: &Mutex<Desk>,
    client: &FhirClient,
    setup: &mut Setup,
    job: &Job,
) -> std::result::Result<WriteResult, FhirError> {
    let item = &job.item;
    let medium = if item.kind == WriteKind::Call { Medium::Phone } else { Medium::Sms };
    let Some(status) = writeback::communication_status(medium, &item.state, item.error_code.as_deref()) else {
        return Err(FhirError::Config("a text still queued is not written yet".into()));
    };
    let coordinator = coordinator(desk, client, setup).await?;
    let counterpart = match &item.related_person {
        Some(rp) => format!("RelatedPerson/{rp}"),
        None => format!("Patient/{}", job.patient_fhir_id),
    };
    let mut wanted = Participants::default();
    if item.outbound {
        wanted.add(&coordinator);
    }
    if item.related_person.is_some() {
        wanted.add(&counterpart);
    }
    let (encounter, change) = ensure_encounter(client, job.encounter.as_ref(), &job.patient_fhir_id, &wanted).await?;
    let resource = writeback::communication(&CommunicationInput {
        medium,
        stable_id: item.stable_id.clone(),
        outbound: item.outbound,
        status,
        at: item.created_at.clone(),
        text: item.text.clone(),
        patient: format!("Patient/{}", job.patient_fhir_id),
        counterpart,
        coordinator,
        encounter: Some(format!("Encounter/{}", encounter.fhir_id)),
        number: item.number.clone(),
    });
    let (written, created, found) = match &job.claim.fhir_id {
        Some(id) => (put_versioned(client, resource, id, job.claim.version_id.clone()).await?, false, false),
        None => {
            let search = writeback::identifier_search(medium.system(), &item.stable_id);
            let w = client.create(&resource, Some(&search)).await?;
            if w.created {
                (w, true, false)
            } else {
                // Made by an attempt whose answer was lost: bring it up to date.
                let same = w.resource.as_ref().is_some_and(|r| {
                    r.get("status") == resource.get("status") && r.get("encounter") == resource.get("encounter")
                });
                if same {
                    (w, false, true)
                } else {
                    let id = w.id.clone();
                    (put_versioned(client, resource, &id, w.version_id).await?, false, true)
                }
            }
        }
    };
    let changed = change.created || change.updated || job.encounter.is_none();
    Ok((written, changed.then_some(encounter), change, created, found))
}

/// `PUT` with `If-Match`; after a 412 (changed meanwhile) the current
/// version is read and the write made again: CareDesk is the only writer of
/// its Communications' status.
async fn put_versioned(
    client: &FhirClient,
    mut resource: Value,
    id: &str,
    mut version: Option<String>,
) -> std::result::Result<Written, FhirError> {
    resource["id"] = Value::from(id);
    let resource_type = resource["resourceType"].as_str().unwrap_or_default().to_string();
    for _ in 0..VERSION_TRIES {
        match client.update(&resource, version.as_deref()).await {
            Err(FhirError::Refused(FhirRefusal::PreconditionFailed { .. })) => {
                version = current_version(client, &resource_type, id).await?;
            }
            other => return other,
        }
    }
    client.update(&resource, version.as_deref()).await
}

async fn current_version(
    client: &FhirClient,
    resource_type: &str,
    id: &str,
) -> std::result::Result<Option<String>, FhirError> {
    match client.read(resource_type, id).await? {
        Read::Found(r) => Ok(r.pointer("/meta/versionId").and_then(Value::as_str).map(String::from)),
        Read::Gone | Read::NotFound => Err(FhirError::Refused(FhirRefusal::Outcome {
            status: 410,
            issues: format!("{resource_type}/{id} was deleted on the FHIR server"),
        })),
    }
}

/// The conversation's Encounter, with every participant of `wanted`:
/// created conditionally by its identifier the first time; when a new
/// participant comes, read again, merged and updated with `If-Match`.
async fn ensure_encounter(
    client: &FhirClient,
    known: Option<&EncounterRow>,
    patient: &str,
    wanted: &Participants,
) -> std::result::Result<(EncounterRow, EncounterChange), FhirError> {
    let mut change = EncounterChange::default();
    let (id, mut server) = match known {
        Some(row) if row.participants.covers(wanted) => return Ok((row.clone(), change)),
        Some(row) => (row.fhir_id.clone(), None),
        None => {
            let search =
                writeback::identifier_search(writeback::CONVERSATION_SYSTEM, &writeback::conversation_id(patient));
            let w = client.create(&writeback::encounter(patient, wanted, None), Some(&search)).await?;
            change.created = w.created;
            let row = EncounterRow {
                fhir_id: w.id.clone(),
                version_id: w.version_id.clone(),
                participants: w.resource.as_ref().map(Participants::of_encounter).unwrap_or_else(|| wanted.clone()),
            };
            if row.participants.covers(wanted) {
                return Ok((row, change));
            }
            (w.id, w.resource)
        }
    };
    for _ in 0..VERSION_TRIES {
        let current = match server.take() {
            Some(r) => r,
            None => match client.read("Encounter", &id).await? {
                Read::Found(r) => r,
                Read::Gone | Read::NotFound => {
                    return Err(FhirError::Refused(FhirRefusal::Outcome {
                        status: 410,
                        issues: format!("the conversation's Encounter/{id} was deleted on the FHIR server"),
                    }))
                }
            },
        };
        let version = current.pointer("/meta/versionId").and_then(Value::as_str).map(String::from);
        let mut who = Participants::of_encounter(&current);
        who.merge(wanted);
        let mut resource = writeback::encounter(patient, &who, Some(&current));
        resource["id"] = Value::from(id.as_str());
        match client.update(&resource, version.as_deref()).await {
            Ok(w) => {
                change.updated = true;
                return Ok((EncounterRow { fhir_id: w.id, version_id: w.version_id, participants: who }, change));
            }
            Err(FhirError::Refused(FhirRefusal::PreconditionFailed { .. })) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(FhirError::Refused(FhirRefusal::PreconditionFailed {
        issues: "the conversation's Encounter kept changing while CareDesk added a participant".into(),
    }))
}

/// The coordinator's reference: `fhir.coordinator_reference`, else the
/// desk's Device (created conditionally by the desk's identifier once per
/// server, then remembered).
async fn coordinator(
    desk: &Mutex<Desk>,
    client: &FhirClient,
    setup: &mut Setup,
) -> std::result::Result<String, FhirError> {
    if let Some(c) = &setup.coordinator {
        return Ok(c.clone());
    }
    let base = client.base_url().as_str().to_string();
    let stored = lock(desk)
        .ok()
        .and_then(|d| d.db().fhir_sync_value(DESK_DEVICE).ok().flatten())
        .and_then(|v| v.split_once(' ').filter(|(b, _)| *b == base).map(|(_, id)| id.to_string()));
    let id = match stored {
        Some(id) => id,
        None => {
            let search = writeback::identifier_search(writeback::DESK_SYSTEM, &setup.instance);
            let w = client.create(&writeback::desk_device(&setup.instance), Some(&search)).await?;
            if let Ok(mut d) = lock(desk) {
                let value = format!("{base} {}", w.id);
                if let Ok(tx) = d.db_mut().conn_mut().transaction() {
                    if set_fhir_sync_value(&tx, DESK_DEVICE, &value).is_ok() {
                        let _ = tx.commit();
                    }
                }
            }
            w.id
        }
    };
    let r = format!("Device/{id}");
    setup.coordinator = Some(r.clone());
    Ok(r)
}
