//! A real FHIR R4 server for a test: SEKMET (`sekmet-fhir` on PyPI, pinned
//! to [`SEKMET_VERSION`]), started on a free port of 127.0.0.1 with its own
//! SQLite file, settings and folder, and stopped when the guard drops
//! (SIGTERM, then SIGKILL after a few seconds).
//!
//! `./tasks.sh test` installs it into a venv under `target/sekmet-venv` and
//! names the program in `CAREDESK_SEKMET`. Without it, this looks in
//! `target/sekmet-venv`, and fails saying how to install it.
//!
//! Its base URL (`SEKMET_BASE_URL`) is the address it listens on, so its
//! paging links point back at it; [`FhirServer::start_with`] can name
//! another host on purpose. Inbound auth: a static bearer token
//! ([`FhirServer::token`]) and a client-credentials client
//! ([`CLIENT_ID`], [`FhirServer::client_secret`]) at `/auth/token`.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::ChildGuard;

/// The version `./tasks.sh test` installs.
pub const SEKMET_VERSION: &str = "0.1.1";

/// The OAuth2 client the server knows.
pub const CLIENT_ID: &str = "caredesk-test";

/// How long the server may take to serve `/fhir/metadata`.
const START_LIMIT: Duration = Duration::from_secs(60);

pub struct FhirServer {
    dir: tempfile::TempDir,
    pub port: u16,
    /// `http://127.0.0.1:PORT/fhir`: what CareDesk's `fhir.base_url` is set to.
    pub base_url: String,
    pub token: String,
    pub client_secret: String,
    child: ChildGuard,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

/// The `sekmet` program: `CAREDESK_SEKMET`, else `target/sekmet-venv/bin/sekmet`.
pub fn sekmet_program() -> PathBuf {
    if let Some(p) = std::env::var_os("CAREDESK_SEKMET") {
        return PathBuf::from(p);
    }
    let venv = crate::target_dir().parent().expect("target/").join("sekmet-venv/bin/sekmet");
    assert!(
        venv.exists(),
        "the FHIR server of the tests is not installed ({} is missing): run ./tasks.sh test, or\n  \
         python3 -m venv target/sekmet-venv && target/sekmet-venv/bin/pip install sekmet-fhir=={SEKMET_VERSION}",
        venv.display()
    );
    venv
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn secret(what: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{what}-{}-{nanos:x}", std::process::id())
}

impl FhirServer {
    /// A new, empty server whose links name the address it listens on.
    pub fn start() -> FhirServer {
        FhirServer::start_with("127.0.0.1")
    }

    /// A new, empty server whose `SEKMET_BASE_URL` (and so its paging links)
    /// names `link_host` instead of 127.0.0.1.
    pub fn start_with(link_host: &str) -> FhirServer {
        // A free port can be taken between the probe and the start: try again.
        let mut last = String::new();
        for _ in 0..4 {
            match FhirServer::try_start(link_host) {
                Ok(server) => return server,
                Err(why) => {
                    eprintln!("SEKMET did not start ({why}); again");
                    last = why;
                }
            }
        }
        panic!("SEKMET did not start: {last}");
    }

    fn try_start(link_host: &str) -> Result<FhirServer, String> {
        let program = sekmet_program();
        let dir = tempfile::Builder::new().prefix("caredesk-fhir-").tempdir().expect("a temporary folder");
        let token = secret("fhir-token");
        let client_secret = secret("fhir-secret");
        let settings = json!({
            "server_auth": {
                "types": ["bearer", "smart"],
                "tokens": [token],
                "smart_clients": [{"client_id": CLIENT_ID, "client_secret": client_secret, "scopes": "system/*.*"}]
            },
            "simulator": {"enabled": false},
            "log_inbound": false
        });
        // JSON is YAML.
        std::fs::write(dir.path().join("settings.yaml"), settings.to_string()).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}/fhir");
        let links = format!("http://{link_host}:{port}/fhir");
        let log = std::fs::File::create(dir.path().join("sekmet.log")).unwrap();
        let mut cmd = Command::new(&program);
        cmd.args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(dir.path())
            .env("SEKMET_CONFIG", dir.path().join("settings.yaml"))
            .env("SEKMET_BASE_URL", &links)
            .env("SEKMET_DB", dir.path().join("fhir.db"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = ChildGuard::spawn(&mut cmd);
        let mut server = FhirServer { dir, port, base_url, token, client_secret, child, rt, http };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let url = format!("{}/metadata", self.base_url);
        while started.elapsed() < START_LIMIT {
            if let Some(status) = self.child.0.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("it exited ({status}):\n{}", self.log()));
            }
            let ok = self.rt.block_on(async { self.http.get(&url).send().await.map(|r| r.status().is_success()) });
            if ok.unwrap_or(false) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("no /fhir/metadata within {START_LIMIT:?}:\n{}", self.log()))
    }

    /// What the server wrote to its stdout and stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sekmet.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The token endpoint of the client-credentials client.
    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/auth/token", self.port)
    }

    /// One request with the server's token; the status and the JSON body.
    pub fn request(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}/{path}", self.base_url) };
        self.rt.block_on(async {
            let mut req =
                self.http.request(method, &url).bearer_auth(&self.token).header("Accept", "application/fhir+json");
            if let Some(b) = body {
                req = req.header("Content-Type", "application/fhir+json").body(b.to_string());
            }
            let r = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        })
    }

    /// Creates or replaces a resource under its own id (`PUT Type/id`).
    #[track_caller]
    pub fn put(&self, resource: &Value) -> Value {
        let path = format!("{}/{}", resource["resourceType"].as_str().unwrap(), resource["id"].as_str().unwrap());
        let (status, body) = self.request(reqwest::Method::PUT, &path, Some(resource));
        assert!((200..300).contains(&status), "PUT {path}: {status} {body}");
        body
    }

    /// Stores many resources under their own ids in one transaction.
    #[track_caller]
    pub fn put_all(&self, resources: &[Value]) {
        let entries: Vec<Value> = resources
            .iter()
            .map(|r| {
                let url = format!("{}/{}", r["resourceType"].as_str().unwrap(), r["id"].as_str().unwrap());
                json!({"resource": r, "request": {"method": "PUT", "url": url}})
            })
            .collect();
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
        let (status, body) = self.request(reqwest::Method::POST, "", Some(&bundle));
        assert_eq!(status, 200, "transaction: {body}");
    }

    #[track_caller]
    pub fn delete(&self, resource_type: &str, id: &str) {
        let (status, body) = self.request(reqwest::Method::DELETE, &format!("{resource_type}/{id}"), None);
        assert!((200..300).contains(&status), "DELETE {resource_type}/{id}: {status} {body}");
    }

    /// Every resource of a type the server has now, following its paging links.
    pub fn all(&self, resource_type: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some(format!("{resource_type}?_count=200"));
        while let Some(path) = next.take() {
            let (status, page) = self.request(reqwest::Method::GET, &path, None);
            assert_eq!(status, 200, "{path}: {page}");
            out.extend(page["entry"].as_array().into_iter().flatten().map(|e| e["resource"].clone()));
            next = page["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str())
                .map(String::from);
        }
        out
    }
}

impl Drop for FhirServer {
    /// The server stops before its folder (database, log) is removed.
    fn drop(&mut self) {
        self.child.stop(Duration::from_secs(5));
    }
}
