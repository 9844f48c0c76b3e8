//! Campaigns in the app: create one (a draft, previewed merged), start,
//! pause, resume or cancel it, follow its progress, and export its report.
//! The sending is the engine's: each cycle feeds running campaigns to the
//! outbox (`engine::campaign::feed`).

use caredesk_core::{
    engine::campaign::{self, CampaignPreview, CampaignRequest, CampaignStatus, Recipients},
    engine::outbox::send_at,
    records::{activity_log::ExportResult, campaign_report},
    rules::campaign::{Action, Caps},
    rules::error::CoreError,
    store::campaigns::RecipientRow,
    store::Route,
};
use tauri::{AppHandle, Runtime, State};

use crate::{error::UiError, state::AppState};

/// Whom a new campaign texts.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "CampaignRecipients")]
pub enum RecipientsForm {
    /// Every patient on the roster.
    All,
    /// The patients a roster search finds.
    Search { query: String },
    /// A CSV with `ecm_patient_id` and any merge columns (its text).
    Csv { content: String },
}

/// A new campaign as the form sends it.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
pub struct CampaignForm {
    pub name: String,
    pub template: String,
    pub recipients: RecipientsForm,
    /// Not before this local time (`YYYY-MM-DDTHH:MM`, the clinic's zone).
    pub start_at: Option<String>,
    pub cap_day: Option<u32>,
    pub cap_week: Option<u32>,
    /// `1=confirm,2=cancel`; empty: no answers.
    pub answers: String,
    pub answer_hours: Option<u32>,
    pub via: Option<String>,
}

/// What a campaign action asks.
#[derive(Debug, Clone, Copy, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAction {
    Start,
    Pause,
    Resume,
    Cancel,
}

/// How many merged texts a preview shows (the counts cover every recipient).
const PREVIEW_LIMIT: usize = 200;

/// Every campaign with its counts, newest first; in team mode colleagues'
/// after, read-only (`runs_on` names who runs each; actions on them are
/// refused with `campaign_elsewhere`).
#[tauri::command]
pub async fn list_campaigns(state: State<'_, AppState>) -> Result<Vec<CampaignStatus>, UiError> {
    state.with_desk(|desk| campaign::statuses(desk)).await
}

/// Creates a draft (nothing is sent) and answers its preview.
#[tauri::command]
pub async fn create_campaign(state: State<'_, AppState>, form: CampaignForm) -> Result<CampaignPreview, UiError> {
    state
        .with_desk(move |desk| {
            let start_at = form.start_at.as_deref().filter(|s| !s.trim().is_empty()).map(|s| send_at(desk, s));
            let req = CampaignRequest {
                name: form.name,
                template: form.template,
                recipients: match form.recipients {
                    RecipientsForm::All => Recipients::All,
                    RecipientsForm::Search { query } => Recipients::Search(query),
                    RecipientsForm::Csv { content, .. } => Recipients::Csv(content),
                },
                start_at: start_at.transpose()?,
                caps: Caps::or_default(form.cap_day, form.cap_week),
                answers: form.answers,
                answer_window_hours: form.answer_hours,
                via: form.via.as_deref().and_then(Route::parse),
            };
            let created = campaign::create(desk, &req, chrono::Utc::now())?;
            campaign::preview(desk, created.id, Some(PREVIEW_LIMIT))
        })
        .await
}

#[tauri::command]
pub async fn preview_campaign(state: State<'_, AppState>, id: i64) -> Result<CampaignPreview, UiError> {
    state.with_desk(move |desk| campaign::preview(desk, id, Some(PREVIEW_LIMIT))).await
}

/// Start, pause, resume or cancel (audited); the engine does the sending.
#[tauri::command]
pub async fn campaign_action(
    state: State<'_, AppState>,
    id: i64,
    action: CampaignAction,
) -> Result<CampaignStatus, UiError> {
    let action = match action {
        CampaignAction::Start => Action::Start,
        CampaignAction::Pause => Action::Pause,
        CampaignAction::Resume => Action::Resume,
        CampaignAction::Cancel => Action::Cancel,
    };
    let status = state
        .with_desk(move |desk| {
            campaign::act(desk, id, action, chrono::Utc::now())?;
            campaign::status(desk, id)
        })
        .await?;
    state.sync_now();
    Ok(status)
}

#[tauri::command]
pub async fn campaign_status(state: State<'_, AppState>, id: i64) -> Result<CampaignStatus, UiError> {
    state.with_desk(move |desk| campaign::status(desk, id)).await
}

/// One row per recipient: state, reason, sent, delivered, answer, replied.
#[tauri::command]
pub async fn campaign_report(state: State<'_, AppState>, id: i64) -> Result<Vec<RecipientRow>, UiError> {
    state.with_desk(move |desk| campaign_report::rows(desk, id)).await
}

/// Writes the report as CSV into `export.dir`, or, when it is not set,
/// where the coordinator chooses in a Save dialog; audited. `None`: the
/// dialog was cancelled, nothing written.
#[tauri::command]
pub async fn export_campaign_report<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
) -> Result<Option<ExportResult>, UiError> {
    let name = format!("caredesk-campaign-{id}-{}.csv", chrono::Local::now().format("%Y%m%d-%H%M%S"));
    let folder = state.with_desk(|desk| desk.setting("export.dir")).await?;
    let path = match folder {
        Some(dir) => caredesk_core::records::export_file::export_dir(Some(dir), Default::default())?.join(&name),
        None => match super::activity::ask_where_to_save(&app, "Save the campaign report as CSV", name).await {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    state
        .with_desk(move |desk| {
            let rows = campaign_report::rows(desk, id)?;
            let text = campaign_report::to_csv(&rows);
            desk.db().atomically(|c| -> Result<ExportResult, CoreError> {
                caredesk_core::records::export_file::write_export(&path, text.as_bytes())?;
                let detail = format!("campaign {id} report: {} rows to {}", rows.len(), path.display());
                desk.db().audit_on(c, &desk.actor(), "export.campaign_report", None, &detail)?;
                Ok(ExportResult { path: path.display().to_string(), rows: rows.len() })
            })
        })
        .await
        .map(Some)
}
