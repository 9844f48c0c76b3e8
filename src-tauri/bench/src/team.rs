//! `caredesk-bench team`: team mode (issue 15) on a PostgreSQL of the
//! bench's own ([`crate::pg`]), stopped at the end whatever happens.
//!
//! - **fanout** ([`crate::team_fanout`]): 50 desks, each a real `Desk` with
//!   its own data directory and the real `engine::team` sync task, on one
//!   team database: commit-to-every-desk latency, the log's rate under a
//!   burst, statements and round trips per change, queries while idle.
//! - **join** ([`crate::team_join`]): a team database of 100,000 patients
//!   and 1,000,000 texts ([`crate::team_data`]) and a new desk joining it,
//!   timed until its store is complete and the thread list answers; and
//!   today's path (the log applied change by change) on a slice, for
//!   comparison.
//!
//! `--only fanout` or `--only join` runs one part; `--skip-log-path` leaves
//! out the change-by-change comparison, `--full-log-path` times it on the
//! whole log instead of a slice.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::{secrets::SecretName, Desk, DeskOptions, KeyringChoice},
    gateways::team_db::{self, ConnectOptions, TeamDb, Timeouts},
    rules::{secret::Secret, team_url::TeamUrl},
};
use serde_json::{Map, Value};

use crate::{datagen, keyring::Keyring, pg::Cluster, stats::round};

/// Where the bench's server is.
#[derive(Debug, Clone)]
pub struct Server {
    pub port: u16,
    admin_password: String,
}

impl Server {
    pub fn url(&self, role: &str, database: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}", self.port)
    }

    /// A superuser session on `database`, with room for long statements
    /// (generating a million texts, counting them).
    pub async fn admin(&self, database: &str) -> Result<TeamDb, String> {
        let url = TeamUrl::parse(&self.url(crate::pg::ADMIN, database)).map_err(|e| e.to_string())?;
        let mut opts = ConnectOptions::admin(url, Secret::new(self.admin_password.clone()));
        opts.timeouts = Timeouts { statement: Duration::from_secs(3600), ..Timeouts::default() };
        TeamDb::connect(&opts).await.map_err(|e| e.to_string())
    }

    /// A team database: created, the team schema (`caredesk team init`),
    /// `pg_stat_statements`, and `members` (role, display name; each role's
    /// password is `<role>-pw`). Returns the administrator's session on it.
    pub async fn team(&self, database: &str, members: &[(String, String)]) -> Result<TeamDb, String> {
        let postgres = self.admin("postgres").await?;
        sql(&postgres, &format!("CREATE DATABASE {database}")).await?;
        let mut admin = self.admin(database).await?;
        sql(&admin, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await?;
        team_db::init(&mut admin).await.map_err(|e| e.to_string())?;
        for (role, name) in members {
            let pw = Secret::new(format!("{role}-pw"));
            team_db::add_member(&mut admin, role, name, Some(&pw)).await.map_err(|e| e.to_string())?;
        }
        Ok(admin)
    }
}

pub async fn sql(db: &TeamDb, statements: &str) -> Result<(), String> {
    db.client().batch_execute(statements).await.map_err(|e| format!("{statements}: {e}"))
}

/// A new desk in `dir` switched to team mode as `role` on `database`
/// (it joins), holding the data directory's sender lock as the app does.
pub fn team_desk(dir: &Path, k: &Keyring, server: &Server, database: &str, role: &str) -> Arc<Mutex<Desk>> {
    let options = DeskOptions { data_dir: Some(dir.to_path_buf()), keyring: KeyringChoice::Given(k.store.clone()) };
    let mut desk = Desk::open(options).expect("open a desk");
    desk.set_setting("team.database_url", &server.url(role, database)).expect("team.database_url");
    desk.set_credential(SecretName::TeamPassword, &Secret::new(format!("{role}-pw"))).expect("team-password");
    desk.claim_sending().expect("the sender lock");
    Arc::new(Mutex::new(desk))
}

/// The PostgreSQL settings of the run: `pg_stat_statements` to count each
/// role's statements, room for 50 desks' sessions; otherwise Debian's
/// defaults (fsync and synchronous commit on).
const SETTINGS: [(&str, &str); 4] = [
    ("shared_preload_libraries", "pg_stat_statements"),
    ("max_connections", "200"),
    ("shared_buffers", "256MB"),
    ("pg_stat_statements.track_utility", "on"),
];

pub fn run(args: &[String]) -> Result<Map<String, Value>, String> {
    let started = Instant::now();
    // The core's account of a snapshot join (`CAREDESK_LOG` overrides).
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAREDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("caredesk_core::engine::team::snapshot=info")),
        )
        .try_init();
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let wants = |part: &str| only.as_deref().is_none_or(|o| o.split(',').any(|p| p == part));
    let log_path = match (args.iter().any(|a| a == "--skip-log-path"), args.iter().any(|a| a == "--full-log-path")) {
        (true, _) => crate::team_join::LogPath::Skip,
        (false, false) => crate::team_join::LogPath::Slice,
        (false, true) => crate::team_join::LogPath::Whole,
    };
    let mut f = Map::new();

    eprintln!("caredesk-bench team: starting PostgreSQL");
    let cluster = Arc::new(Mutex::new(Cluster::start(&SETTINGS)?));
    crate::pg::stop_on_signal(Arc::downgrade(&cluster));
    let server = {
        let c = cluster.lock().map_err(|_| "the cluster's lock")?;
        Server { port: c.port, admin_password: c.admin_password.clone() }
    };
    let k = crate::keyring::open(false)?;
    f.insert("keyring".into(), Value::from(if k.platform { "os" } else { "mock" }));
    let root = datagen::data_root().join("team");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(128)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    let outcome = rt.block_on(async {
        if wants("fanout") {
            crate::team_fanout::measure(&server, &k, &root.join("fanout"), &mut f).await?;
        }
        if wants("join") {
            crate::team_join::measure(&server, &k, &root.join("join"), log_path, &mut f).await?;
            if let Ok(c) = cluster.lock() {
                f.insert("team_db_mb".into(), round(c.disk_bytes() as f64 / 1e6));
            }
        }
        Ok::<(), String>(())
    });
    rt.shutdown_timeout(Duration::from_secs(10));
    if let Ok(mut c) = cluster.lock() {
        c.stop();
    }
    let _ = std::fs::remove_dir_all(&root);
    outcome?;
    f.insert("team_bench_seconds".into(), round(started.elapsed().as_secs_f64()));
    Ok(f)
}
