//! What `caredesk team status` shows: the schema version, the members, the
//! change log's head and which desk holds the poller lock (from `pg_locks`
//! and the holder's `application_name` in `pg_stat_activity`, which every
//! role may read).

use serde::Serialize;

use crate::gateways::team_db::{check_member, check_schema, log_head, TeamDb, TeamDbError, POLLER_LOCK_KEY};

/// The team as a member's session sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamStatus {
    /// The role this desk connects as.
    pub role: String,
    /// `host:port`.
    pub server: String,
    pub database: String,
    pub schema_version: i32,
    pub members: Vec<Member>,
    /// The newest change's position (0: none yet).
    pub log_head: i64,
    /// The session that holds the poller lock, if any desk polls.
    pub poller: Option<PollerHolder>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub role: String,
    pub display_name: String,
    pub added_at: chrono::DateTime<chrono::Utc>,
}

/// Who holds the poller lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollerHolder {
    /// The holding session's role.
    pub role: Option<String>,
    /// Its `application_name`: `caredesk <version> <desk id>`.
    pub application_name: String,
    /// The desk id read from it, when it is a CareDesk's.
    pub desk_id: Option<uuid::Uuid>,
}

/// The team's status, as this session's member: checks the membership and
/// the schema version first (see [`TeamDb::open`]).
pub async fn status(db: &TeamDb) -> Result<TeamStatus, TeamDbError> {
    check_member(db).await?;
    let schema_version = check_schema(db).await?;
    let members = db
        .client()
        .query("SELECT role::text, display_name, added_at FROM caredesk.members ORDER BY display_name, role", &[])
        .await
        .map_err(|e| db.error(&e, "read the team's members"))?
        .iter()
        .map(|r| Member { role: r.get(0), display_name: r.get(1), added_at: r.get(2) })
        .collect();
    Ok(TeamStatus {
        role: db.role().to_string(),
        server: db.server().to_string(),
        database: db.database().to_string(),
        schema_version,
        members,
        log_head: log_head(db).await?,
        poller: poller_holder(db).await?,
    })
}

/// The session holding the poller lock ([`POLLER_LOCK_KEY`]) in this
/// database, if any. A bigint advisory lock shows in `pg_locks` as its high
/// and low 32 bits (`classid`, `objid`) with `objsubid` 1.
pub async fn poller_holder(db: &TeamDb) -> Result<Option<PollerHolder>, TeamDbError> {
    let (high, low) = ((POLLER_LOCK_KEY >> 32) & 0xffff_ffff, POLLER_LOCK_KEY & 0xffff_ffff);
    let row = db
        .client()
        .query_opt(
            "SELECT a.usename::text, coalesce(a.application_name, '') \
             FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
               AND l.classid = $1::int8::oid AND l.objid = $2::int8::oid \
             LIMIT 1",
            &[&high, &low],
        )
        .await
        .map_err(|e| db.error(&e, "find the poller"))?;
    Ok(row.map(|r| {
        let application_name: String = r.get(1);
        let desk_id = desk_id_of(&application_name);
        PollerHolder { role: r.get(0), application_name, desk_id }
    }))
}

/// The desk id in `caredesk <version> <desk id>`.
fn desk_id_of(application_name: &str) -> Option<uuid::Uuid> {
    let mut words = application_name.split_whitespace();
    if words.next() != Some("caredesk") {
        return None;
    }
    words.nth(1).and_then(|id| id.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desk_id_is_read_from_the_application_name() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(desk_id_of(&crate::gateways::team_db::application_name(&id)), Some(id));
        assert_eq!(desk_id_of("caredesk 0.1.0 admin"), None);
        assert_eq!(desk_id_of(&format!("psql {id}")), None);
        assert_eq!(desk_id_of(""), None);
    }
}
