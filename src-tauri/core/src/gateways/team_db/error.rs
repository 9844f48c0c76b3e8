//! [`TeamDbError`]: every way the team database can fail, worded for the
//! person who has to act, with a stable [`ErrorCode`] per kind. One function
//! ([`Context::classify`]) turns a `tokio_postgres::Error` into it. The
//! password is never part of a message: PostgreSQL's answers do not carry
//! it, and the messages below name only the role, the server and the
//! database. A server's `DETAIL` (which may quote a row's values) is left out.

use tokio_postgres::error::SqlState;

use crate::rules::{error::ErrorCode, team_url::TeamUrlError};

/// What a failure happened to: the connection's role, server and database,
/// and whether it is an administrator's (`team init`, `team add-member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub role: String,
    /// `host:port`.
    pub server: String,
    pub host: String,
    pub database: String,
    pub admin: bool,
    /// The statement timeout, in seconds, for a statement cut short by it.
    pub statement_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamDbError {
    /// `team.database_url` cannot be used (a plain-text connection to a host
    /// that is not this computer among them, refused before connecting).
    #[error("team.database_url: {0}")]
    Url(#[from] TeamUrlError),
    #[error("PostgreSQL at {server} refused the password for role {role}: {}", if *.admin {
        "check the administrator role's password given on standard input"
    } else {
        "store it again with `caredesk credentials set team-password`"
    })]
    Auth { role: String, server: String, admin: bool },
    #[error("PostgreSQL at {server} does not let role {role} connect to database {database} from this computer: ask the team database's administrator to allow it in pg_hba.conf ({detail})")]
    NotAllowed { role: String, server: String, database: String, detail: String },
    #[error("the database {database} does not exist on {server}: check team.database_url")]
    NoDatabase { database: String, server: String },
    #[error(
        "the TLS connection to the team database at {server} failed: {detail}. CareDesk checks the server's certificate \
         against the certificate authorities this computer trusts and against the host name {host}: install the clinic's CA \
         certificate on this computer, or ask the administrator for a certificate issued for {host}"
    )]
    Tls { server: String, host: String, detail: String },
    #[error("the team database at {server} does not offer TLS: the administrator turns on ssl (with a certificate for its host name) in postgresql.conf. CareDesk never sends the team's data in plain text to another computer")]
    TlsOff { server: String },
    #[error("cannot reach the team database at {server}: {detail}. This desk keeps working on its own and catches up when the database is back")]
    Unreachable { server: String, detail: String },
    #[error("the team database at {server} did not answer within {secs} s. This desk keeps working on its own and tries again")]
    Timeout { server: String, secs: u64 },
    #[error("the connection to the team database at {server} was lost ({detail}). This desk keeps working on its own and reconnects")]
    ConnectionLost { server: String, detail: String },
    #[error("the database {database} on {server} has no CareDesk team schema yet: the administrator sets it up once with `caredesk team init --admin-url postgres://ADMIN@HOST/DATABASE`")]
    NotInitialized { database: String, server: String },
    #[error("the team database was set up by a newer CareDesk (team schema version {found}; this CareDesk knows version {known}): update this desk")]
    SchemaNewer { found: i32, known: i32 },
    #[error("the team database's schema is at version {found}, older than this CareDesk needs ({known}): the administrator runs `caredesk team init` with this version of CareDesk")]
    SchemaOlder { found: i32, known: i32 },
    #[error("role {role} is not a member of the CareDesk team in {database} on {server}: ask the administrator to run `caredesk team add-member {role} --name \"Full Name\"`")]
    NotMember { role: String, database: String, server: String },
    #[error("role {role} may not {what} ({detail}): run it as a role that owns the database and may create roles (CREATEROLE), or as a superuser")]
    Permission { role: String, what: String, detail: String },
    /// An administrator's input that cannot be used (a role name, a display name).
    #[error("{0}")]
    Invalid(String),
    #[error("the team database failed: {detail}")]
    Database { detail: String, sqlstate: Option<String>, retryable: bool },
}

impl TeamDbError {
    /// Worth trying again later, unchanged: the database was unreachable,
    /// slow, restarting, or a transaction lost a race.
    pub fn is_retryable(&self) -> bool {
        match self {
            TeamDbError::Unreachable { .. } | TeamDbError::Timeout { .. } | TeamDbError::ConnectionLost { .. } => true,
            TeamDbError::Database { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// Nothing changes until a person acts (a password, a certificate, a
    /// setting, an update of CareDesk, the administrator).
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }
}

impl crate::rules::error::CodedError for TeamDbError {
    fn code(&self) -> ErrorCode {
        match self {
            TeamDbError::Url(e) if e.is_insecure() => ErrorCode::TeamInsecure,
            TeamDbError::Url(_) | TeamDbError::NoDatabase { .. } | TeamDbError::Invalid(_) => ErrorCode::Config,
            TeamDbError::Auth { .. } | TeamDbError::NotAllowed { .. } => ErrorCode::TeamAuth,
            TeamDbError::Tls { .. } | TeamDbError::TlsOff { .. } => ErrorCode::TeamTls,
            TeamDbError::Unreachable { .. } | TeamDbError::Timeout { .. } | TeamDbError::ConnectionLost { .. } => {
                ErrorCode::TeamUnreachable
            }
            TeamDbError::NotInitialized { .. } => ErrorCode::TeamNotInitialized,
            TeamDbError::SchemaNewer { .. } => ErrorCode::TeamSchemaNewer,
            TeamDbError::SchemaOlder { .. } => ErrorCode::TeamSchemaOlder,
            TeamDbError::NotMember { .. } => ErrorCode::TeamNotMember,
            TeamDbError::Permission { .. } => ErrorCode::TeamPermission,
            TeamDbError::Database { .. } => ErrorCode::TeamDatabase,
        }
    }
}

impl Context {
    /// The one mapping from a PostgreSQL client error to a [`TeamDbError`].
    /// `what` says what was being done, for a permission refusal ("create
    /// the team schema").
    pub fn classify(&self, e: &tokio_postgres::Error, what: &str) -> TeamDbError {
        if let Some(db) = e.as_db_error() {
            return self.classify_db(db.code(), db.message(), what);
        }
        let detail = chain(e);
        if e.is_closed() {
            return TeamDbError::ConnectionLost { server: self.server.clone(), detail };
        }
        if detail.contains("does not support TLS") {
            return TeamDbError::TlsOff { server: self.server.clone() };
        }
        if is_tls(e) {
            return TeamDbError::Tls { server: self.server.clone(), host: self.host.clone(), detail };
        }
        match io_kind(e) {
            Some(std::io::ErrorKind::TimedOut) => {
                TeamDbError::Unreachable { server: self.server.clone(), detail: "the connection timed out".into() }
            }
            Some(_) => TeamDbError::Unreachable { server: self.server.clone(), detail },
            None if detail.contains("timeout") || detail.contains("timed out") => {
                TeamDbError::Unreachable { server: self.server.clone(), detail }
            }
            None => TeamDbError::Database { detail, sqlstate: None, retryable: false },
        }
    }

    fn classify_db(&self, code: &SqlState, message: &str, what: &str) -> TeamDbError {
        let (role, server, database) = (self.role.clone(), self.server.clone(), self.database.clone());
        let detail = message.to_string();
        match code {
            c if *c == SqlState::INVALID_PASSWORD => TeamDbError::Auth { role, server, admin: self.admin },
            c if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                TeamDbError::NotAllowed { role, server, database, detail }
            }
            c if *c == SqlState::INVALID_CATALOG_NAME => TeamDbError::NoDatabase { database, server },
            c if *c == SqlState::INSUFFICIENT_PRIVILEGE && self.admin => {
                TeamDbError::Permission { role, what: what.to_string(), detail }
            }
            c if *c == SqlState::INSUFFICIENT_PRIVILEGE => TeamDbError::NotMember { role, database, server },
            c if *c == SqlState::UNDEFINED_TABLE || *c == SqlState::INVALID_SCHEMA_NAME => {
                TeamDbError::NotInitialized { database, server }
            }
            c if *c == SqlState::QUERY_CANCELED => TeamDbError::Timeout { server, secs: self.statement_secs },
            c if *c == SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT => TeamDbError::ConnectionLost { server, detail },
            c if [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(c) =>
            {
                TeamDbError::Unreachable { server, detail }
            }
            c => TeamDbError::Database {
                detail: format!("{detail} (SQLSTATE {})", c.code()),
                sqlstate: Some(c.code().to_string()),
                retryable: [SqlState::T_R_SERIALIZATION_FAILURE, SqlState::T_R_DEADLOCK_DETECTED].contains(c),
            },
        }
    }
}

/// The error and its causes, as one line; a server's DETAIL is never in it
/// (a database error shows only its message).
fn chain(e: &tokio_postgres::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn io_kind(e: &tokio_postgres::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// A failed TLS handshake: rustls refused the certificate, or the server
/// offers no TLS at all.
fn is_tls(e: &tokio_postgres::Error) -> bool {
    let text = e.to_string();
    if text.contains("TLS") {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) {
                return true;
            }
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error::CodedError;

    fn ctx(admin: bool) -> Context {
        Context {
            role: "ana".into(),
            server: "db.clinic.example:5432".into(),
            host: "db.clinic.example".into(),
            database: "caredesk".into(),
            admin,
            statement_secs: 30,
        }
    }

    #[test]
    fn server_answers_map_to_codes_the_ui_branches_on() {
        let cases = [
            (SqlState::INVALID_PASSWORD, false, ErrorCode::TeamAuth, "credentials set team-password"),
            (SqlState::INVALID_AUTHORIZATION_SPECIFICATION, false, ErrorCode::TeamAuth, "pg_hba.conf"),
            (SqlState::INVALID_CATALOG_NAME, false, ErrorCode::Config, "team.database_url"),
            (SqlState::INSUFFICIENT_PRIVILEGE, false, ErrorCode::TeamNotMember, "team add-member ana"),
            (SqlState::INSUFFICIENT_PRIVILEGE, true, ErrorCode::TeamPermission, "CREATEROLE"),
            (SqlState::UNDEFINED_TABLE, false, ErrorCode::TeamNotInitialized, "team init"),
            (SqlState::ADMIN_SHUTDOWN, false, ErrorCode::TeamUnreachable, "keeps working"),
            (SqlState::QUERY_CANCELED, false, ErrorCode::TeamUnreachable, "within 30 s"),
            (SqlState::T_R_SERIALIZATION_FAILURE, false, ErrorCode::TeamDatabase, "40001"),
        ];
        for (state, admin, code, says) in cases {
            let e = ctx(admin).classify_db(&state, "server words", "create the team schema");
            assert_eq!(e.code(), code, "{state:?}: {e}");
            assert!(e.to_string().contains(says), "{state:?}: {e}");
        }
        assert!(ctx(false).classify_db(&SqlState::ADMIN_SHUTDOWN, "x", "").is_retryable());
        assert!(ctx(false).classify_db(&SqlState::T_R_SERIALIZATION_FAILURE, "x", "").is_retryable());
        assert!(ctx(false).classify_db(&SqlState::INVALID_PASSWORD, "x", "").is_permanent());
        let admin = ctx(true).classify_db(&SqlState::INVALID_PASSWORD, "x", "").to_string();
        assert!(admin.contains("administrator") && !admin.contains("team-password"), "{admin}");
    }

    #[test]
    fn a_refused_address_is_insecure_only_when_it_asked_for_plain_text() {
        let insecure = TeamDbError::from(TeamUrlError::Insecure { host: "203.0.113.7".into() });
        assert_eq!(insecure.code(), ErrorCode::TeamInsecure);
        assert_eq!(TeamDbError::from(TeamUrlError::NoRole).code(), ErrorCode::Config);
        assert!(insecure.is_permanent());
    }
}
