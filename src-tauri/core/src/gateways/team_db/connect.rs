//! Reaching the team database: [`ConnectOptions`] (address, password,
//! `application_name`, timeouts), the transport rule applied before any
//! socket is opened, TLS through rustls with the OS trust store, and
//! [`TeamDb`], one session with its background task.

use std::{sync::Arc, time::Duration};

use tokio::sync::{broadcast, watch};
use tokio_postgres::{AsyncMessage, Client, Transaction};

use crate::{
    gateways::team_db::{
        error::Context,
        presence::{PresenceNotice, NOTICE_BUFFER, PRESENCE_CHANNEL},
        TeamDbError, CHANGES_CHANNEL,
    },
    rules::{
        secret::Secret,
        team_url::{TeamUrl, Transport},
    },
};

/// How long the team database may take. Nothing waits forever: a desk that
/// cannot reach the database in time works on its own and tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a session: TCP, TLS and the password exchange together.
    pub connect: Duration,
    /// The server cancels one statement that runs longer (`statement_timeout`).
    pub statement: Duration,
    /// The server ends a session that sits idle inside a transaction
    /// (`idle_in_transaction_session_timeout`), releasing its locks.
    pub idle_in_transaction: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            statement: Duration::from_secs(30),
            idle_in_transaction: Duration::from_secs(60),
        }
    }
}

/// Everything needed to open a session. A desk gets its own from
/// `Desk::team_connection` (the setting, the keyring, the desk id).
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: TeamUrl,
    pub password: Secret,
    /// Shown in `pg_stat_activity`: `caredesk <version> <desk id>`.
    pub application_name: String,
    pub timeouts: Timeouts,
    /// An administrator's session (`team init`, `team add-member`): a
    /// permission refusal then says which right is missing, rather than
    /// "not a member".
    pub admin: bool,
}

/// `caredesk <version> <desk id>`: how a desk's sessions are named on the
/// server, so `team status` (and the administrator) can tell desks apart.
pub fn application_name(desk_id: &uuid::Uuid) -> String {
    format!("caredesk {} {desk_id}", env!("CARGO_PKG_VERSION"))
}

impl ConnectOptions {
    /// A desk's session, as its member's role.
    pub fn desk(url: TeamUrl, password: Secret, desk_id: uuid::Uuid) -> ConnectOptions {
        let application_name = application_name(&desk_id);
        ConnectOptions { url, password, application_name, timeouts: Timeouts::default(), admin: false }
    }

    /// The administrator's session for `team init` and `team add-member`.
    pub fn admin(url: TeamUrl, password: Secret) -> ConnectOptions {
        let application_name = format!("caredesk {} admin", env!("CARGO_PKG_VERSION"));
        ConnectOptions { url, password, application_name, timeouts: Timeouts::default(), admin: true }
    }

    pub(crate) fn context(&self) -> Context {
        Context {
            role: self.url.role.clone(),
            server: self.url.server(),
            host: self.url.host.clone(),
            database: self.url.database.clone(),
            admin: self.admin,
            statement_secs: self.timeouts.statement.as_secs(),
        }
    }
}

/// One session with the team database. Its connection runs on a task of
/// its own (which also receives the `NOTIFY`s a [`crate::gateways::team_db::ChangeListener`]
/// waits for); dropping the `TeamDb` closes the session.
pub struct TeamDb {
    client: Client,
    ctx: Context,
    notified: watch::Receiver<Option<i64>>,
    /// `NOTIFY caredesk_presence`, for [`TeamDb::listen_presence`].
    presence: broadcast::Sender<PresenceNotice>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for TeamDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamDb").field("role", &self.ctx.role).field("server", &self.ctx.server).finish()
    }
}

impl Drop for TeamDb {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TeamDb {
    /// Opens a session, checking nothing about the schema (the
    /// administrator's way in; a desk uses [`TeamDb::open`]). A plain-text
    /// connection to a host that is not this computer is refused here,
    /// before any connection is tried.
    pub async fn connect(opts: &ConnectOptions) -> Result<TeamDb, TeamDbError> {
        let transport = opts.url.transport()?;
        let ctx = opts.context();
        let config = pg_config(opts, transport);
        let connecting = async {
            match transport {
                Transport::Plain => {
                    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                    Ok((client, spawn_connection(connection)))
                }
                Transport::VerifiedTls => {
                    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config());
                    let (client, connection) = config.connect(tls).await?;
                    Ok((client, spawn_connection(connection)))
                }
            }
        };
        let (client, (notified, presence, task)) = match tokio::time::timeout(opts.timeouts.connect, connecting).await {
            Ok(Ok(connected)) => connected,
            Ok(Err(e)) => return Err(ctx.classify(&e, "connect")),
            Err(_) => {
                return Err(TeamDbError::Timeout { server: ctx.server.clone(), secs: opts.timeouts.connect.as_secs() })
            }
        };
        tracing::debug!(server = %ctx.server, role = %ctx.role, tls = (transport == Transport::VerifiedTls), "team database connected");
        Ok(TeamDb { client, ctx, notified, presence, task })
    }

    /// A desk's way in: opens a session, then checks that the schema is one
    /// this CareDesk understands ([`crate::gateways::team_db::check_schema`])
    /// and that the role is a member of the team
    /// ([`crate::gateways::team_db::check_member`]).
    pub async fn open(opts: &ConnectOptions) -> Result<TeamDb, TeamDbError> {
        let db = TeamDb::connect(opts).await?;
        crate::gateways::team_db::check_member(&db).await?;
        crate::gateways::team_db::check_schema(&db).await?;
        Ok(db)
    }

    /// The session, for the SQL of the later parts (the state tables). Map
    /// its errors with [`TeamDb::error`].
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session, for what needs it mutably (refinery's migrations).
    pub(crate) fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The role this session is (the member acting).
    pub fn role(&self) -> &str {
        &self.ctx.role
    }

    /// `host:port`.
    pub fn server(&self) -> &str {
        &self.ctx.server
    }

    pub fn database(&self) -> &str {
        &self.ctx.database
    }

    pub(crate) fn context(&self) -> &Context {
        &self.ctx
    }

    /// Maps an error of this session; `what` says what was being done.
    pub fn error(&self, e: &tokio_postgres::Error, what: &str) -> TeamDbError {
        self.ctx.classify(e, what)
    }

    /// Whether the session has ended (the server went away, a timeout).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Starts a transaction (READ COMMITTED, the default: the change log's
    /// ordering rests on it). Write the state rows with [`TeamTx::sql`], then
    /// end it with [`crate::gateways::team_db::append`] (which takes the
    /// positions last and commits) or [`TeamTx::commit`].
    pub async fn transaction(&mut self) -> Result<TeamTx<'_>, TeamDbError> {
        let TeamDb { client, ctx, .. } = self;
        let tx = client.transaction().await.map_err(|e| ctx.classify(&e, "start a transaction"))?;
        Ok(TeamTx { tx, ctx })
    }

    pub(crate) fn notifications(&self) -> watch::Receiver<Option<i64>> {
        self.notified.clone()
    }

    pub(crate) fn presence_notices(&self) -> broadcast::Receiver<PresenceNotice> {
        self.presence.subscribe()
    }
}

/// A transaction on the team database.
pub struct TeamTx<'a> {
    pub(crate) tx: Transaction<'a>,
    pub(crate) ctx: &'a Context,
}

impl<'a> TeamTx<'a> {
    /// The transaction, for the state rows written before the change is appended.
    pub fn sql(&self) -> &Transaction<'a> {
        &self.tx
    }

    /// Maps an error of this transaction; `what` says what was being done.
    pub fn error(&self, e: &tokio_postgres::Error, what: &str) -> TeamDbError {
        self.ctx.classify(e, what)
    }

    /// Commits without appending to the change log.
    pub async fn commit(self) -> Result<(), TeamDbError> {
        let ctx = self.ctx;
        self.tx.commit().await.map_err(|e| ctx.classify(&e, "commit"))
    }
}

fn pg_config(opts: &ConnectOptions, transport: Transport) -> tokio_postgres::Config {
    let t = &opts.timeouts;
    let mut config = tokio_postgres::Config::new();
    config
        .user(&opts.url.role)
        .password(opts.password.expose())
        .host(&opts.url.host)
        .port(opts.url.port)
        .dbname(&opts.url.database)
        .application_name(&opts.application_name)
        .options(format!(
            "-c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            t.statement.as_millis(),
            t.idle_in_transaction.as_millis()
        ))
        .connect_timeout(t.connect)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .keepalives_interval(Duration::from_secs(10))
        .keepalives_retries(3)
        .ssl_mode(match transport {
            Transport::Plain => tokio_postgres::config::SslMode::Disable,
            Transport::VerifiedTls => tokio_postgres::config::SslMode::Require,
        });
    #[cfg(target_os = "linux")]
    config.tcp_user_timeout(Duration::from_secs(30));
    config
}

/// rustls with the certificate authorities this computer trusts (the OS
/// store, through rustls-native-certs; `SSL_CERT_FILE`/`SSL_CERT_DIR`
/// override it as for OpenSSL). rustls's verifier checks the chain and the
/// host name: libpq's `verify-full`.
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "a trusted certificate of this computer could not be read");
    }
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    tracing::debug!(added, ignored, "trusted certificate authorities for the team database");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

type Notified = (watch::Receiver<Option<i64>>, broadcast::Sender<PresenceNotice>, tokio::task::JoinHandle<()>);

/// Drives the connection on a task of its own and keeps the highest log
/// position a `NOTIFY caredesk_changes` announced. The task ends (and the
/// receivers see the sender gone) when the session ends.
fn spawn_connection<S, T>(mut connection: tokio_postgres::Connection<S, T>) -> Notified
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = watch::channel(None::<i64>);
    let (presence, _) = broadcast::channel(NOTICE_BUFFER);
    let heard = presence.clone();
    let task = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) if n.channel() == CHANGES_CHANNEL => {
                    if let Ok(pos) = n.payload().trim().parse::<i64>() {
                        tx.send_if_modified(|seen| match *seen {
                            Some(s) if s >= pos => false,
                            _ => {
                                *seen = Some(pos);
                                true
                            }
                        });
                    }
                }
                Some(Ok(AsyncMessage::Notification(n))) if n.channel() == PRESENCE_CHANNEL => {
                    let _ = heard.send(PresenceNotice { sender_pid: n.process_id(), payload: n.payload().to_string() });
                }
                Some(Ok(AsyncMessage::Notice(notice))) => {
                    tracing::debug!(notice = notice.message(), "team database notice");
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::info!(error = %e, "the team database session ended");
                    break;
                }
                None => break,
            }
        }
    });
    (rx, presence, task)
}
