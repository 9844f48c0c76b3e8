//! The team schema: created and migrated only by [`init`] (an
//! administrator, with refinery's versioned migrations in `migrations/`),
//! members added by [`add_member`], and the checks a desk makes before it
//! uses the database ([`check_schema`], [`check_member`]).

use serde::Serialize;

use crate::{
    gateways::team_db::{TeamDb, TeamDbError, INIT_LOCK_KEY, MEMBER_ROLE, SCHEMA, SCHEMA_VERSION},
    rules::secret::Secret,
};

mod embedded {
    refinery::embed_migrations!("src/gateways/team_db/migrations");
}

/// Where refinery records the migrations it ran (owned by the
/// administrator; members cannot read it).
const HISTORY_TABLE: &str = "caredesk.refinery_schema_history";

/// What [`init`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The schema version before (`None`: there was no team schema).
    pub from: Option<i32>,
    /// The schema version now.
    pub to: i32,
    /// The migrations run, by name (`V1__team`); empty when it was current.
    pub applied: Vec<String>,
}

/// What [`add_member`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberAdded {
    pub role: String,
    pub display_name: String,
    /// The role was created (with the password given).
    pub created_role: bool,
    /// The role was a member already: its display name was updated.
    pub was_member: bool,
}

/// Creates the team schema, or migrates it to this CareDesk's version; run
/// again it does nothing. Runs as an administrator: a role that may create
/// schemas in the database and create roles (the group role
/// `caredesk_member`). Refuses a schema newer than this CareDesk knows.
/// Two administrators running it at once migrate one after the other.
pub async fn init(admin: &mut TeamDb) -> Result<InitReport, TeamDbError> {
    let lock = "SELECT pg_advisory_lock($1)";
    admin.client().execute(lock, &[&INIT_LOCK_KEY]).await.map_err(|e| admin.error(&e, "lock the team schema"))?;
    let result = migrate(admin).await;
    let unlock = admin.client().execute("SELECT pg_advisory_unlock($1)", &[&INIT_LOCK_KEY]).await;
    if let Err(e) = unlock {
        tracing::warn!(error = %e, "the team schema's init lock was not released (it is when the session ends)");
    }
    result
}

async fn migrate(admin: &mut TeamDb) -> Result<InitReport, TeamDbError> {
    let from = schema_version(admin).await?;
    if let Some(found) = from.filter(|v| *v > SCHEMA_VERSION) {
        return Err(TeamDbError::SchemaNewer { found, known: SCHEMA_VERSION });
    }
    admin
        .client()
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        .await
        .map_err(|e| admin.error(&e, "create the schema caredesk"))?;
    let mut runner = embedded::migrations::runner();
    runner.set_migration_table_name(HISTORY_TABLE);
    let report = runner.run_async(admin.client_mut()).await.map_err(|e| migration_error(admin, &e))?;
    let applied = report.applied_migrations().iter().map(|m| format!("V{}__{}", m.version(), m.name())).collect();
    let to = schema_version(admin).await?.unwrap_or_default();
    Ok(InitReport { from, to, applied })
}

/// A failed migration, classified by the PostgreSQL error under refinery's.
fn migration_error(admin: &TeamDb, e: &refinery::Error) -> TeamDbError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(pg) = s.downcast_ref::<tokio_postgres::Error>() {
            return admin.error(pg, "create or migrate the team schema");
        }
        source = s.source();
    }
    TeamDbError::Database { detail: e.to_string(), sqlstate: None, retryable: false }
}

/// The team schema's version (`None` when the database has none). Needs no
/// membership: an administrator reads it before migrating.
async fn schema_version(db: &TeamDb) -> Result<Option<i32>, TeamDbError> {
    let row = db
        .client()
        .query_one("SELECT to_regclass('caredesk.team_meta') IS NOT NULL", &[])
        .await
        .map_err(|e| db.error(&e, "read the team schema's version"))?;
    if !row.get::<_, bool>(0) {
        return Ok(None);
    }
    let row = db
        .client()
        .query_one("SELECT schema_version FROM caredesk.team_meta", &[])
        .await
        .map_err(|e| db.error(&e, "read the team schema's version"))?;
    Ok(Some(row.get(0)))
}

/// The schema version, when this CareDesk understands it: a newer schema
/// ([`TeamDbError::SchemaNewer`]: "update this desk"), an older one
/// ([`TeamDbError::SchemaOlder`]: the administrator runs `team init`) or
/// none ([`TeamDbError::NotInitialized`]) is refused.
pub async fn check_schema(db: &TeamDb) -> Result<i32, TeamDbError> {
    let not_initialized =
        || TeamDbError::NotInitialized { database: db.database().to_string(), server: db.server().to_string() };
    match schema_version(db).await? {
        None => Err(not_initialized()),
        Some(found) if found > SCHEMA_VERSION => Err(TeamDbError::SchemaNewer { found, known: SCHEMA_VERSION }),
        Some(found) if found < SCHEMA_VERSION => Err(TeamDbError::SchemaOlder { found, known: SCHEMA_VERSION }),
        Some(found) => Ok(found),
    }
}

/// That the session's role is a member of the team (holds `caredesk_member`
/// or is a superuser); else [`TeamDbError::NotMember`], or
/// [`TeamDbError::NotInitialized`] when there is no team schema at all.
pub async fn check_member(db: &TeamDb) -> Result<(), TeamDbError> {
    let row = db
        .client()
        .query_one(
            "SELECT (SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1) > 0, \
                    (SELECT pg_has_role(current_user, oid, 'USAGE') FROM pg_catalog.pg_roles WHERE rolname = $2)",
            &[&SCHEMA, &MEMBER_ROLE],
        )
        .await
        .map_err(|e| db.error(&e, "check the team membership"))?;
    let (schema, member): (bool, Option<bool>) = (row.get(0), row.get(1));
    let ctx = db.context();
    match (schema, member) {
        (false, _) | (_, None) => {
            Err(TeamDbError::NotInitialized { database: ctx.database.clone(), server: ctx.server.clone() })
        }
        (true, Some(false)) => Err(TeamDbError::NotMember {
            role: ctx.role.clone(),
            database: ctx.database.clone(),
            server: ctx.server.clone(),
        }),
        (true, Some(true)) => Ok(()),
    }
}

/// Makes `role` a member of the team with its display name ("Ana Ruiz", as
/// desks show "sent by"); run again it updates the name. Without
/// `new_password` the role must exist (created by the administrator, with
/// a SCRAM password); with one, the role is created (LOGIN, no other right)
/// with that password, hashed to a SCRAM-SHA-256 verifier here so the
/// password itself never reaches the server or its logs.
pub async fn add_member(
    admin: &mut TeamDb,
    role: &str,
    display_name: &str,
    new_password: Option<&Secret>,
) -> Result<MemberAdded, TeamDbError> {
    check_role_name(role)?;
    let display_name = check_display_name(display_name)?;
    check_schema(admin).await?;
    let tx = admin.transaction().await?;
    let err = |e: tokio_postgres::Error| tx.error(&e, "add a member to the team");
    let exists = tx
        .sql()
        .query_opt("SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = $1", &[&role])
        .await
        .map_err(err)?
        .map(|r| r.get::<_, bool>(0));
    match (exists, new_password) {
        (Some(_), Some(_)) => {
            return Err(TeamDbError::Invalid(format!(
                "the role {role} exists already: leave out --create-role to add it as it is (its password stays)"
            )))
        }
        (None, None) => {
            return Err(TeamDbError::Invalid(format!(
                "there is no role {role}: add --create-role to create it with a password read from standard input, \
                 or create it first (CREATE ROLE {role} LOGIN, then \\password {role} in psql)"
            )))
        }
        (Some(false), None) => tracing::warn!(role, "the role added to the team cannot log in (NOLOGIN)"),
        _ => {}
    }
    let ident = quote_ident(role);
    if let Some(password) = new_password {
        if password.expose().trim().is_empty() {
            return Err(TeamDbError::Invalid(format!("the password for the new role {role} is empty")));
        }
        let verifier = postgres_protocol::password::scram_sha_256(password.expose().as_bytes());
        let sql = format!("CREATE ROLE {ident} LOGIN PASSWORD {}", quote_literal(&verifier));
        tx.sql().batch_execute(&sql).await.map_err(|e| tx.error(&e, "create a role"))?;
    }
    let grant = format!("GRANT {MEMBER_ROLE} TO {ident}");
    tx.sql().batch_execute(&grant).await.map_err(|e| tx.error(&e, "grant caredesk_member"))?;
    let was_member = tx
        .sql()
        .query_one(
            "INSERT INTO caredesk.members (role, display_name) VALUES ($1, $2) \
             ON CONFLICT (role) DO UPDATE SET display_name = excluded.display_name \
             RETURNING (xmax <> 0)",
            &[&role, &display_name],
        )
        .await
        .map_err(err)?
        .get(0);
    tx.commit().await?;
    Ok(MemberAdded { role: role.to_string(), display_name, created_role: new_password.is_some(), was_member })
}

/// Role names CareDesk adds: 1 to 63 letters, digits, `_`, `.`, `-`,
/// starting with a letter or `_`, and not PostgreSQL's or the team's own.
fn check_role_name(role: &str) -> Result<(), TeamDbError> {
    let ok_chars = role.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let starts = role.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !(1..=63).contains(&role.len()) || !ok_chars || !starts {
        return Err(TeamDbError::Invalid(format!(
            "{role:?} is not a role name CareDesk adds: 1 to 63 letters, digits, _, . or -, starting with a letter"
        )));
    }
    if role.starts_with("pg_") || role == MEMBER_ROLE || role.eq_ignore_ascii_case("public") {
        return Err(TeamDbError::Invalid(format!("{role} is reserved: choose the member's own role")));
    }
    Ok(())
}

fn check_display_name(name: &str) -> Result<String, TeamDbError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(TeamDbError::Invalid(
            "the display name must be 1 to 200 characters without control characters, like \"Ana Ruiz\"".into(),
        ));
    }
    Ok(name.to_string())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_and_display_names_are_checked() {
        for ok in ["ana", "ana.ruiz", "ben_carter-2", "_svc"] {
            assert!(check_role_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1ana", "ana ruiz", "ana\"; DROP", "pg_monitor", "caredesk_member", "PUBLIC", &"a".repeat(64)] {
            assert!(check_role_name(bad).is_err(), "{bad}");
        }
        assert_eq!(check_display_name("  Ana Ruiz ").unwrap(), "Ana Ruiz");
        for bad in ["", "   ", "Ana\nRuiz", &"x".repeat(201)] {
            assert!(check_display_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("ana"), "\"ana\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn the_newest_migration_is_the_schema_version() {
        let newest = embedded::migrations::runner().get_migrations().iter().map(|m| m.version()).max();
        assert_eq!(newest, Some(SCHEMA_VERSION as _));
    }
}
