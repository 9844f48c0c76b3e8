//! The commands that talk to the servers: numbers, send, call, sandbox.

use std::sync::Mutex;

use caredesk_core::{
    desk::Desk,
    engine::call,
    engine::routes::{GatewayPlan, Gateways, Mode},
    engine::send::{self, SmsRequest},
    rules::error::CoreError,
    sandbox::{self, Sandbox, SandboxOptions},
};

use crate::{exit::Exit, output::line};

pub fn runtime() -> Result<tokio::runtime::Runtime, CoreError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CoreError::Io(format!("cannot start the async runtime: {e}")))
}

/// Connects to the configured servers, or, when none is configured, to the
/// sandbox the app (or `caredesk sync`) runs for this data directory, else
/// to an in-process sandbox (seeding its demo roster into an empty roster).
pub async fn connect(desk: &Mutex<Desk>) -> Result<Gateways, CoreError> {
    let (plan, data_dir) = {
        let d = desk.lock().expect("desk lock");
        (GatewayPlan::from_desk(&d)?, d.data_dir().to_path_buf())
    };
    let gateways = plan.connect_in(&data_dir, SandboxOptions::default()).await?;
    if gateways.mode == Mode::Sandbox {
        let added = desk.lock().expect("desk lock").seed_demo_roster()?;
        if gateways.shared_sandbox().is_some() {
            eprintln!("note: no server is configured, so this uses the built-in sandbox of the process that sends for this data directory (the app or `caredesk sync`); nothing reaches real patients");
        } else {
            eprintln!(
                "note: no server is configured, so this uses the built-in sandbox (nothing reaches real patients)"
            );
        }
        if added > 0 {
            eprintln!("note: added the sandbox's {added} demo patients (see `caredesk patients list`)");
        }
    }
    Ok(gateways)
}

pub fn numbers(desk: Desk, json: bool) -> Result<(), CoreError> {
    let desk = Mutex::new(desk);
    runtime()?.block_on(async {
        let gw = connect(&desk).await?;
        let list = gw.his()?.numbers().await?;
        if json {
            line(serde_json::to_string_pretty(&list).expect("numbers serialize"));
        } else {
            for n in &list {
                let kind = if n.number.chars().all(|c| c.is_ascii_digit()) { "number" } else { "sender name" };
                line(format!(
                    "{:>6}  {:<16} {kind}",
                    n.operator_number_id,
                    caredesk_core::rules::visible_text::visible(&n.number)
                ));
            }
        }
        gw.shutdown().await;
        Ok(())
    })
}

/// Sends and waits for the gateway; the outcome is printed (the sentence,
/// or JSON with `--json`) whatever it is, and its [`Exit`] returned.
pub fn send(
    desk: Desk,
    req: SmsRequest,
    at: Option<chrono::DateTime<chrono::Utc>>,
    urgent: Option<String>,
    json: bool,
) -> Result<Exit, CoreError> {
    let desk = Mutex::new(desk);
    runtime()?.block_on(async {
        let gw = connect(&desk).await?;
        // Wait for the gateway about as long as one attempt and its check take.
        let timeout = desk
            .lock()
            .expect("desk lock")
            .setting("http.timeout_secs")?
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(30);
        let wait = std::time::Duration::from_secs(timeout + 10);
        let options = send::SendOptions { wait, at, urgent, ..Default::default() };
        let outcome = send::send_sms_with(&desk, &gw, req, options).await;
        gw.shutdown().await;
        let outcome = outcome?;
        if json {
            line(serde_json::to_string_pretty(&outcome).expect("outcome serializes"));
        } else {
            line(caredesk_core::rules::visible_text::visible(&outcome.describe()));
        }
        let exit = Exit::of_send(outcome.status);
        if exit.is_failure() {
            let error = outcome.error.clone().unwrap_or_else(|| outcome.describe());
            eprintln!("error: {}", caredesk_core::rules::visible_text::visible(&error));
        }
        Ok(exit)
    })
}

pub fn call(desk: Desk, patient: String, to: Option<String>, other_number: bool, json: bool) -> Result<(), CoreError> {
    let desk = Mutex::new(desk);
    runtime()?.block_on(async {
        let gw = connect(&desk).await?;
        let outcome = call::place_call(&desk, &gw, &patient, to.as_deref(), other_number).await;
        gw.shutdown().await;
        let outcome = outcome?;
        if json {
            line(serde_json::to_string_pretty(&outcome).expect("outcome serializes"));
        }
        if outcome.status == "failed" {
            return Err(CoreError::InvalidMessage(format!("call not placed: {}", outcome.error.unwrap_or_default())));
        }
        if !json {
            line(format!(
                "call {} to {} placed ({}), ECM call id {}",
                outcome.call_id,
                caredesk_core::rules::visible_text::visible(&outcome.to),
                outcome.status,
                outcome.server_id.unwrap_or_default()
            ));
        }
        Ok(())
    })
}

/// Runs the sandbox in the foreground until Ctrl+C or SIGTERM.
pub fn sandbox(
    port: Option<u16>,
    no_replies: bool,
    fast: bool,
    seed: Option<u64>,
    profile: caredesk_core::sandbox::Profile,
    server_zone: Option<chrono::FixedOffset>,
) -> Result<(), CoreError> {
    runtime()?.block_on(async {
        let mut options = if fast { SandboxOptions::for_tests() } else { SandboxOptions::default() };
        options.port = port;
        options.replies = !no_replies;
        options.profile = profile;
        options.server_zone = server_zone;
        if seed.is_some() {
            options.seed = seed;
        }
        options.control_token = Some(sandbox::control::new_token());
        let handle =
            Sandbox::start(options).await.map_err(|e| CoreError::Io(format!("cannot start the sandbox: {e}")))?;
        line(format!(
            "CareDesk sandbox listening on {} (server profile {}: {})",
            handle.base_url(),
            profile.name(),
            profile.describe()
        ));
        line(format!(
            "  hospital SMS server  his.base_url = {}   (bearer token: {})",
            handle.his_base_url(),
            sandbox::SANDBOX_HIS_TOKEN
        ));
        line(format!(
            "  Azure AD             his.azure.authority = {}  tenant {}  client_id {}  secret {}  scope {}",
            handle.azure_authority(),
            sandbox::SANDBOX_AZURE_TENANT,
            sandbox::SANDBOX_AZURE_CLIENT_ID,
            sandbox::SANDBOX_AZURE_CLIENT_SECRET,
            sandbox::SANDBOX_AZURE_SCOPE
        ));
        line(format!(
            "  ECM API              ecm.base_url = {}   (X-User-Token: {})",
            handle.ecm_base_url(),
            sandbox::SANDBOX_ECM_TOKEN
        ));
        line(format!(
            "  control              {}__sandbox/state, /__sandbox/faults, /__sandbox/inbound, /__sandbox/reset",
            handle.base_url()
        ));
        line(format!(
            "                       with header {}: {}",
            sandbox::control::TOKEN_HEADER,
            handle.control_token().unwrap_or_default()
        ));
        line("Press Ctrl+C to stop.");
        wait_for_stop().await;
        handle.shutdown().await;
        line("sandbox stopped");
        Ok(())
    })
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
