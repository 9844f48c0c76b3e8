//! The team's inbox cursor in PostgreSQL (`caredesk.his_cursor`): a pushed
//! `cursor.set` moves it only forward, compared as the hospital SMS
//! server's times (a cursor may carry the server's offset, so text order is
//! not time order). A desk that polled before another took over, pushing
//! late, never moves the team's cursor back: its change is dropped.

use serde_json::Value;

use super::state_rows::Decision;
use crate::{
    gateways::{
        his::time::HisTime,
        team_db::{TeamDbError, TeamTx},
    },
    store::team::kinds::CursorBody,
};

/// Moves the team's cursor `b.name` to `b.cursor` if that is later, in the
/// push's transaction (beside the page's messages).
pub(super) async fn cursor(tx: &TeamTx<'_>, b: &CursorBody, body: &Value) -> Result<Decision, TeamDbError> {
    let Some(new) = HisTime::parse(&b.cursor) else {
        tracing::warn!(name = %b.name, "a pushed inbox cursor is not a server time; left out");
        return Ok(Decision::Drop);
    };
    let what = "move the team's inbox cursor";
    let sql = tx.sql();
    // The row exists before it is locked, so two pushers take turns.
    sql.execute(
        "INSERT INTO caredesk.his_cursor (name, cursor) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[&b.name, &b.cursor],
    )
    .await
    .map_err(|e| tx.error(&e, what))?;
    let current: String = sql
        .query_one("SELECT cursor FROM caredesk.his_cursor WHERE name = $1 FOR UPDATE", &[&b.name])
        .await
        .map_err(|e| tx.error(&e, what))?
        .get(0);
    if current != b.cursor && HisTime::parse(&current).is_some_and(|c| c >= new) {
        return Ok(Decision::Drop);
    }
    sql.execute(
        "UPDATE caredesk.his_cursor SET cursor = $2, updated_at = now(), updated_by = current_user WHERE name = $1",
        &[&b.name, &b.cursor],
    )
    .await
    .map_err(|e| tx.error(&e, what))?;
    Ok(Decision::Append(body.clone()))
}
