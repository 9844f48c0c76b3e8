//! Creating a campaign: its recipients resolved (an ECM id to a patient,
//! the patient to their current number), each text merged from the
//! template with the file's extra columns, and those that cannot be texted
//! at all marked skipped with the reason; then the preview of every merged
//! message with its segment count.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use super::CampaignError;
use crate::{
    desk::Desk,
    engine::recipient,
    rules::campaign::{Answers, Caps, SkipReason, DEFAULT_ANSWER_HOURS},
    rules::error::{CoreError, Result},
    rules::merge::{self, MergeError},
    rules::segments::SmsSize,
    rules::sms_text::check_text,
    store::campaigns::{Campaign, CampaignCounts, NewCampaign, NewRecipient},
    store::{PatientView, Route},
};

/// Whom a campaign texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// A CSV with an `ecm_patient_id` column; every other column is a
    /// merge field of that name (`appointment_time` → `{appointment_time}`).
    Csv(String),
    /// The patients a roster search finds (a name, a number, an ECM id).
    Search(String),
    /// Every patient on the roster.
    All,
}

/// A campaign to create.
#[derive(Debug, Clone)]
pub struct CampaignRequest {
    pub name: String,
    pub template: String,
    pub recipients: Recipients,
    /// Not before this instant.
    pub start_at: Option<DateTime<Utc>>,
    pub caps: Caps,
    /// `1=confirm,2=cancel`; empty: no answers.
    pub answers: String,
    pub answer_window_hours: Option<u32>,
    /// Default: `sms.via`.
    pub via: Option<Route>,
}

/// One recipient as it would be texted (or why not).
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct PreviewMessage {
    pub patient_id: Option<i64>,
    pub ecm_patient_id: Option<i64>,
    pub number: Option<String>,
    pub text: Option<String>,
    pub size: Option<SmsSize>,
    /// Why it gets no text (skipped when the campaign was created).
    pub skipped: Option<String>,
    pub detail: Option<String>,
}

/// Every merged message of a campaign, and the totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct CampaignPreview {
    pub campaign: Campaign,
    pub counts: CampaignCounts,
    /// Segments of every text to send (what the carrier bills).
    pub segments: u64,
    pub messages: Vec<PreviewMessage>,
}

/// A recipient's extra merge values (the file's other columns).
type Extra = BTreeMap<String, String>;

/// A row of the recipients file: the ECM id, the extra merge values, and
/// the id as written when it does not read.
type FileRow = (Option<i64>, Extra, Option<String>);

/// A recipient asked for: ECM id, patient, extra values, and what the file
/// said when the id does not read.
type Wanted = (Option<i64>, Option<i64>, Extra, Option<String>);

fn read_file(csv_text: &str) -> Result<Vec<FileRow>> {
    let bad = |e: String| CoreError::from(CampaignError::RecipientsFile(e));
    let text = csv_text.strip_prefix('\u{feff}').unwrap_or(csv_text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> =
        reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(|h| h.trim().to_lowercase()).collect();
    let id_col = headers
        .iter()
        .position(|h| h == "ecm_patient_id")
        .ok_or_else(|| bad("it has no ecm_patient_id column".into()))?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| bad(format!("unreadable row: {e}")))?;
        let raw = r.get(id_col).unwrap_or_default();
        if r.iter().all(|v| v.is_empty()) {
            continue;
        }
        let extra: BTreeMap<String, String> = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != id_col && !h.is_empty())
            .filter_map(|(i, h)| r.get(i).filter(|v| !v.is_empty()).map(|v| (h.clone(), v.to_string())))
            .collect();
        let id = raw.parse::<i64>().ok().filter(|n| *n > 0);
        rows.push((id, extra, id.is_none().then(|| raw.to_string())));
    }
    Ok(rows)
}

/// Creates a draft campaign (nothing is sent until it is started). Every
/// recipient gets a row: merged and ready, or skipped with the reason.
pub fn create(desk: &Desk, req: &CampaignRequest, now: DateTime<Utc>) -> Result<Campaign> {
    let name = req.name.trim();
    if name.is_empty() {
        return Err(CampaignError::NoName.into());
    }
    let answers = Answers::parse(&req.answers)?;
    let template = desk.db().template(&req.template)?;
    merge::fields(&template.text)?;
    let route = match req.via {
        Some(r) => r,
        None => desk.setting("sms.via")?.as_deref().and_then(Route::parse).unwrap_or(Route::His),
    };
    let mut wanted: Vec<Wanted> = Vec::new();
    match &req.recipients {
        Recipients::Csv(text) => {
            for (ecm, extra, raw) in read_file(text)? {
                let patient = match ecm {
                    Some(e) => desk.db().resolve_patient(&format!("ecm:{e}"))?,
                    None => None,
                };
                wanted.push((ecm, patient, extra, raw));
            }
        }
        Recipients::Search(q) => {
            for p in desk.db().search_patients(q, usize::MAX >> 1)? {
                wanted.push((p.ecm_patient_id, Some(p.id), BTreeMap::new(), None));
            }
        }
        Recipients::All => {
            for p in desk.db().search_patients("", usize::MAX >> 1)? {
                wanted.push((p.ecm_patient_id, Some(p.id), BTreeMap::new(), None));
            }
        }
    }
    if wanted.is_empty() {
        return Err(CampaignError::NoRecipients.into());
    }
    let ids: Vec<i64> = wanted.iter().filter_map(|w| w.1).collect();
    let patients: BTreeMap<i64, PatientView> =
        desk.db().patients_by_ids(&ids)?.into_iter().map(|p| (p.id, p)).collect();
    let mut standard = BTreeMap::new();
    if let Some(clinic) = desk.setting("clinic.name")? {
        standard.insert("clinic_name".to_string(), clinic);
    }
    standard.insert("coordinator_name".to_string(), desk.person_name());
    let region = desk.region();
    let mut seen = HashSet::new();
    let recipients: Vec<NewRecipient> = wanted
        .into_iter()
        .map(|(ecm, patient_id, extra, raw)| {
            let merge_values = serde_json::to_string(&extra).unwrap_or_else(|_| "{}".into());
            let mut r = NewRecipient {
                patient_id,
                ecm_patient_id: ecm,
                number: None,
                time_zone: None,
                merge_values,
                body: None,
                skip: None,
            };
            let patient = patient_id.and_then(|id| patients.get(&id));
            let Some(p) = patient else {
                let said = raw.map_or_else(|| format!("ECM id {}", ecm.unwrap_or_default()), |r| format!("{r:?}"));
                r.skip = Some((SkipReason::UnknownPatient, format!("{said} is no patient on the roster")));
                return r;
            };
            r.time_zone = p.time_zone.clone();
            r.skip = recipient_skip(p, &extra, &standard, &template.text, region, &mut seen, &mut r);
            r
        })
        .collect();
    let c = NewCampaign {
        name,
        template: &template.name,
        body: &template.text,
        route,
        start_at: req.start_at,
        caps: req.caps,
        answers: &answers,
        answer_window_hours: req.answer_window_hours.unwrap_or(DEFAULT_ANSWER_HOURS),
    };
    let id = desk.db().create_campaign(&c, &recipients, &desk.actor(), now)?;
    super::get(desk, id)
}

/// Why a patient gets no text at all (fills `r`'s number and text if they do).
fn recipient_skip(
    p: &PatientView,
    extra: &BTreeMap<String, String>,
    standard: &BTreeMap<String, String>,
    template: &str,
    region: crate::rules::phone::Region,
    seen: &mut HashSet<i64>,
    r: &mut NewRecipient,
) -> Option<(SkipReason, String)> {
    if !seen.insert(p.id) {
        return Some((SkipReason::Duplicate, "listed before: texted once".into()));
    }
    let chosen = match recipient::choose(p, None, false, region) {
        Ok(c) => c,
        Err(e @ CoreError::PatientInactive { .. }) => return Some((SkipReason::PatientInactive, e.to_string())),
        Err(CoreError::Module(m)) => return Some((SkipReason::InvalidNumber, m.to_string())),
        Err(e) => return Some((SkipReason::NoNumber, e.to_string())),
    };
    r.number = Some(chosen.number.to_string());
    let mut values = standard.clone();
    let (first, last) = merge::split_name(&p.name);
    values.extend(
        [("first_name".to_string(), first), ("last_name".to_string(), last)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v))),
    );
    values.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    match merge::merge(template, &values) {
        Ok(m) => {
            if let Err(e) = check_text(&m.text) {
                return Some((SkipReason::InvalidText, e.to_string()));
            }
            r.body = Some(m.text);
            None
        }
        Err(e @ MergeError::MissingFields(_)) => Some((SkipReason::MissingField, e.to_string())),
        Err(e) => Some((SkipReason::InvalidText, e.to_string())),
    }
}

/// Every merged message of a campaign (or the first `limit`), the counts
/// and the segments in all.
pub fn preview(desk: &Desk, id: i64, limit: Option<usize>) -> Result<CampaignPreview> {
    let campaign = super::get(desk, id)?;
    let counts = desk.db().campaign_counts(id)?;
    let rows = desk.db().campaign_preview_rows(id)?;
    let segments = rows.iter().filter_map(|r| r.text.as_deref()).map(|t| u64::from(merge_size(t).segments)).sum();
    let messages = rows
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|r| PreviewMessage {
            size: r.text.as_deref().map(merge_size),
            patient_id: r.patient_id,
            ecm_patient_id: r.ecm_patient_id,
            number: r.number,
            text: r.text,
            skipped: r.reason,
            detail: r.detail,
        })
        .collect();
    Ok(CampaignPreview { campaign, counts, segments, messages })
}

fn merge_size(text: &str) -> SmsSize {
    crate::rules::segments::measure(text)
}
