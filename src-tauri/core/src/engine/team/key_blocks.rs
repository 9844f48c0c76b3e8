//! ExternalKeys in team mode: each desk takes blocks of [`KEY_BLOCK`] keys
//! from the team database (`caredesk.key_blocks`, in the upper half of the
//! 32-bit range) and keeps at least [`KEY_RESERVE`] in hand, so a desk that
//! loses the database keeps sending with keys no other desk holds. Without
//! any (a desk that never reached the database) it counts in the lower half,
//! as a desk alone does. A block taken by a desk that crashes before keeping
//! it is simply never used.

use std::sync::{Arc, Mutex};

use super::{exchange::blocking, Session};
use crate::{desk::Desk, rules::error::Result, store::external_keys::MAX_EXTERNAL_KEY};

/// Keys in a block.
pub const KEY_BLOCK: i64 = 1_000;
/// A desk takes a new block when fewer keys than this are left.
pub const KEY_RESERVE: i64 = 250;

/// Takes a block when the desk holds fewer than [`KEY_RESERVE`] keys.
/// Returns whether it took one.
pub(super) async fn top_up(session: &Session, desk: &Arc<Mutex<Desk>>) -> Result<bool> {
    let left = blocking(desk, |d| Ok(d.db().team_keys_left()?)).await?;
    if left >= KEY_RESERVE {
        return Ok(false);
    }
    let row = session
        .db
        .client()
        .query_opt(
            "UPDATE caredesk.key_blocks SET next = next + $1::bigint WHERE next + $1::bigint <= $2::bigint + 1
              RETURNING next - $1::bigint",
            &[&KEY_BLOCK, &MAX_EXTERNAL_KEY],
        )
        .await
        .map_err(|e| session.db.error(&e, "take a block of ExternalKeys"))?;
    let Some(row) = row else {
        tracing::warn!("the team's ExternalKeys are used up; this desk counts with its own");
        return Ok(false);
    };
    let start: i64 = row.get(0);
    blocking(desk, move |d| Ok(d.db().team_add_key_block(start, start + KEY_BLOCK)?)).await?;
    tracing::info!(start, size = KEY_BLOCK, "took a block of ExternalKeys from the team");
    Ok(true)
}
