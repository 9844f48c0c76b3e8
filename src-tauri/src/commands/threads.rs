//! The patient column, paged threads, the Unmatched inbox and links.

use caredesk_core::{
    engine::threads::{self, ThreadRef},
    rules::error::CoreError,
    store::{
        team::listing::ThreadFilter, thread_search::MAX_THREAD_HITS, LinkContact, PageCursor, ThreadItem,
        ThreadListing, ThreadPage, ThreadSearch, UnmatchedThread,
    },
};
use tauri::{AppHandle, Runtime, State};

use crate::{engine_events, error::UiError, state::AppState};

/// The patient column's first page; the column asks for more as it scrolls.
const LIST_PAGE: usize = 100;
/// The most patients one request returns.
const LIST_MAX: usize = 5_000;
/// The most texts one unknown number's thread shows.
const UNMATCHED_LIMIT: usize = 1_000;
/// The most numbers the Unmatched inbox lists.
const UNMATCHED_THREADS: usize = 500;

#[tauri::command]
pub async fn list_threads(
    state: State<'_, AppState>,
    query: Option<String>,
    limit: Option<usize>,
    filter: Option<ThreadFilter>,
) -> Result<ThreadListing, UiError> {
    let limit = limit.unwrap_or(LIST_PAGE).clamp(1, LIST_MAX);
    let filter = filter.unwrap_or_default();
    state.with_desk(move |desk| desk.search_threads_in(query.as_deref().unwrap_or(""), limit, &filter)).await
}

#[tauri::command]
pub async fn thread_page(
    state: State<'_, AppState>,
    patient_id: i64,
    before: Option<String>,
    limit: Option<usize>,
) -> Result<ThreadPage, UiError> {
    let cursor = match before.as_deref() {
        Some(c) => Some(
            PageCursor::decode(c)
                .ok_or_else(|| CoreError::InvalidMessage("that page of the thread is unknown".into()))?,
        ),
        None => None,
    };
    let limit = limit.unwrap_or(200).clamp(1, 1_000);
    state.with_desk(move |desk| desk.view_thread_page(patient_id, cursor.as_ref(), limit)).await
}

/// Texts of a patient's thread containing `query` (case and accents aside),
/// newest first over the whole thread: at most `limit` (default 1,000).
#[tauri::command]
pub async fn search_thread(
    state: State<'_, AppState>,
    patient_id: i64,
    query: String,
    limit: Option<usize>,
) -> Result<ThreadSearch, UiError> {
    let limit = limit.unwrap_or(1_000).clamp(1, MAX_THREAD_HITS);
    state.with_desk(move |desk| desk.search_thread(patient_id, &query, limit)).await
}

#[tauri::command]
pub async fn mark_thread_read<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    patient_id: i64,
) -> Result<(), UiError> {
    state.lock().require_unlocked()?;
    mark_read(&app, &state, ThreadRef::Patient(patient_id)).await
}

#[tauri::command]
pub async fn list_unmatched(state: State<'_, AppState>) -> Result<Vec<UnmatchedThread>, UiError> {
    state.with_desk(|desk| Ok(desk.db().unmatched_threads(UNMATCHED_THREADS)?)).await
}

#[tauri::command]
pub async fn unmatched_thread(state: State<'_, AppState>, number: String) -> Result<Vec<ThreadItem>, UiError> {
    state.with_desk(move |desk| desk.view_unmatched_thread(&number, UNMATCHED_LIMIT)).await
}

#[tauri::command]
pub async fn mark_unmatched_read<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    number: String,
) -> Result<(), UiError> {
    state.lock().require_unlocked()?;
    mark_read(&app, &state, ThreadRef::Unmatched(number)).await
}

/// Links an unknown number to a patient: it becomes one of their numbers
/// (`contact` says who, when staff know). Returns how many texts moved.
#[tauri::command]
pub async fn link_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    number: String,
    patient_id: i64,
    contact: Option<LinkContact>,
) -> Result<usize, UiError> {
    let contact = contact.unwrap_or_default();
    let (linked, unread) = state
        .with_desk(move |desk| {
            let linked = threads::link_number(desk.db(), &number, patient_id, &contact, &desk.actor(), desk.region())?;
            Ok((linked, desk.db().unread_total()?))
        })
        .await?;
    engine_events::refresh_title(&app, unread);
    Ok(linked.moved)
}

async fn mark_read<R: Runtime>(app: &AppHandle<R>, state: &AppState, thread: ThreadRef) -> Result<(), UiError> {
    let unread = state
        .with_desk(move |desk| {
            desk.db().mark_thread_read(&thread)?;
            Ok(desk.db().unread_total()?)
        })
        .await?;
    engine_events::refresh_title(app, unread);
    Ok(())
}
