//! The gateway clients and the CLI over real HTTP against the sandbox on
//! 127.0.0.1: every endpoint, both auth modes, the error codes of both specs,
//! malformed responses and timeouts.

use std::time::{Duration, Instant};

use caredesk_core::{
    desk::secrets::Secret,
    gateways::his::{
        auth::{AzureConfig, HisAuth},
        client::{HisClient, HisConfig},
        wire::MessageType,
    },
    gateways::http::{self, HttpSettings},
    sandbox::{self, magic, Faults, SandboxOptions},
};
use caredesk_tests::{configured_cli, write_file, ChildGuard, Run, Sim};

fn err_text(run: Run) -> String {
    let r = run.expect_err();
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    r.stderr
}

#[test]
fn numbers_send_and_call_through_both_routes_with_bearer_auth() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());

    let numbers = cli.json(&["numbers", "--json"]);
    let names: Vec<&str> = numbers.as_array().unwrap().iter().map(|n| n["Number"].as_str().unwrap()).collect();
    assert!(names.contains(&magic::HOSPITAL_NUMBER) && names.contains(&magic::HOSPITAL_SENDER_NAME), "{numbers}");

    let his = cli.json(&["send", "--patient", "ecm:1001", "--text", "Reminder: visit at 9", "--via", "his", "--json"]);
    assert_eq!((his["state"].as_str(), his["route"].as_str()), (Some("sent"), Some("his")));
    let state = sim.h().state();
    let sent: Vec<_> = state.his_sends.iter().filter(|s| s.text == "Reminder: visit at 9").collect();
    assert_eq!(sent.len(), 1, "exactly one SMS reached the server");
    assert_eq!((sent[0].from.as_str(), sent[0].to.as_str()), (magic::HOSPITAL_NUMBER, "18055550100"));
    assert_eq!(his["server_id"].as_str().unwrap(), sent[0].id.to_string());

    let ecm = cli.json(&["send", "--patient", "2", "--text", "ECM hello", "--via", "ecm", "--json"]);
    assert_eq!(
        (ecm["state"].as_str(), ecm["route"].as_str(), ecm["status"].as_str()),
        (Some("sent"), Some("ecm"), Some("accepted"))
    );
    let state = sim.h().state();
    assert!(state.ecm_sms.iter().any(|r| r.to == "+18055550102"), "{:?}", state.ecm_sms);

    let out = cli.ok(&["call", "--patient", "ecm:1002"]).stdout;
    assert!(out.contains("placed (queued)"), "{out}");
    assert_eq!(sim.h().state().ecm_calls.len(), 1);

    // Bad input never reaches a server.
    let before = sim.h().state().his_sends.len();
    assert!(err_text(cli.run(&["send", "--patient", "ecm:1001", "--text", "  "])).contains("empty"));
    assert!(err_text(cli.run(&["send", "--patient", "ecm:1001", "--to", "12345", "--text", "x"])).contains("\"12345\""));
    assert!(err_text(cli.run(&["send", "--patient", "ecm:4040", "--text", "x"])).contains("ecm:4040"));
    assert_eq!(sim.h().state().his_sends.len(), before);
}

#[test]
fn hospital_server_errors_are_readable() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());

    cli.ok(&["config", "set", "his.from", "NOT_OURS"]);
    let e = err_text(cli.run(&["send", "--patient", "ecm:1001", "--text", "hi", "--via", "his"]));
    assert!(e.contains("caredesk numbers"), "InvalidMessageOwner names the fix: {e}");
    cli.ok(&["config", "set", "his.from", magic::HOSPITAL_SENDER_NAME]);
    cli.ok(&["send", "--patient", "ecm:1001", "--text", "from the sender name", "--via", "his"]);

    cli.run_stdin(&["credentials", "set", "his-token"], "wrong-token").expect_ok();
    let e = err_text(cli.run(&["numbers"]));
    assert!(e.contains("his-token") && !e.contains("wrong-token"), "{e}");
}

#[test]
fn ecm_twilio_errors_say_what_to_do_and_21610_opts_the_number_out() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    for (number, code) in [
        (magic::INVALID_NUMBER, "21211"),
        (magic::UNREACHABLE, "21214"),
        (magic::SMS_NOT_PERMITTED, "21408"),
        (magic::OPTED_OUT, "21610"),
    ] {
        let e = err_text(cli.run(&[
            "send",
            "--patient",
            "ecm:1001",
            "--to",
            number,
            "--other-number",
            "--text",
            "hi",
            "--via",
            "ecm",
        ]));
        assert!(e.contains(code), "{number}: {e}");
    }
    // 21610 marked the number opted out: nothing more is sent to it, by any route.
    let before = (sim.h().state().his_sends.len(), sim.h().state().ecm_sms.len());
    let e = err_text(cli.run(&[
        "send",
        "--patient",
        "ecm:1001",
        "--to",
        magic::OPTED_OUT,
        "--other-number",
        "--text",
        "again",
        "--via",
        "his",
    ]));
    assert!(e.contains("opted out"), "{e}");
    assert_eq!((sim.h().state().his_sends.len(), sim.h().state().ecm_sms.len()), before);

    let e = err_text(cli.run(&["call", "--patient", "ecm:1001", "--to", magic::INVALID_NUMBER, "--other-number"]));
    assert!(e.contains("21211"), "{e}");
    cli.ok(&[
        "patients",
        "import",
        write_file(dir.path(), "x.csv", "ecm_patient_id,name,phone\n777,Not In Ecm,+18055550190\n").to_str().unwrap(),
    ]);
    let e = err_text(cli.run(&["send", "--patient", "ecm:777", "--text", "hi", "--via", "ecm"]));
    assert!(e.contains("777"), "Patient not found names the id: {e}");

    cli.run_stdin(&["credentials", "set", "ecm-token"], "nope").expect_ok();
    assert!(err_text(cli.run(&["call", "--patient", "ecm:1001"])).contains("ecm-token"));
}

#[test]
fn azure_ad_client_credentials_and_a_wrong_secret() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    cli.ok(&["config", "set", "his.auth", "azure"]);
    cli.ok(&["config", "set", "his.azure.authority", &sim.h().azure_authority()]);
    cli.ok(&["config", "set", "his.azure.tenant", sandbox::SANDBOX_AZURE_TENANT]);
    cli.ok(&["config", "set", "his.azure.client_id", sandbox::SANDBOX_AZURE_CLIENT_ID]);
    cli.ok(&["config", "set", "his.azure.scope", sandbox::SANDBOX_AZURE_SCOPE]);
    let e = err_text(cli.run(&["numbers"]));
    assert!(e.contains("his-client-secret"), "a missing secret is named: {e}");
    cli.run_stdin(&["credentials", "set", "his-client-secret"], sandbox::SANDBOX_AZURE_CLIENT_SECRET).expect_ok();
    cli.ok(&["send", "--patient", "ecm:1001", "--text", "via azure", "--via", "his"]);
    assert_eq!(sim.h().state().token_requests, 1);

    cli.run_stdin(&["credentials", "set", "his-client-secret"], "wrong-secret").expect_ok();
    let e = err_text(cli.run(&["numbers"]));
    assert!(e.contains("Azure AD") && !e.contains("wrong-secret"), "{e}");
}

#[test]
fn azure_token_is_fetched_once_and_reused() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let h = sim.h();
    let client = HisClient::new(
        HisConfig {
            base_url: h.his_base_url(),
            auth: HisAuth::Azure(AzureConfig {
                authority_template: h.azure_authority(),
                tenant: sandbox::SANDBOX_AZURE_TENANT.into(),
                client_id: sandbox::SANDBOX_AZURE_CLIENT_ID.into(),
                scope: sandbox::SANDBOX_AZURE_SCOPE.into(),
                client_secret: Secret::new(sandbox::SANDBOX_AZURE_CLIENT_SECRET),
            }),
        },
        http::client(&HttpSettings::from_timeout_secs(5)).unwrap(),
    )
    .unwrap();
    sim.rt.block_on(async {
        for _ in 0..3 {
            client.numbers().await.unwrap();
        }
        let since = caredesk_core::gateways::his::time::HisTime::parse("2000-01-01T00:00:00").unwrap();
        client.get_messages(MessageType::Incoming, &since).await.unwrap();
    });
    assert_eq!(sim.h().state().token_requests, 1, "one token for four requests");
}

#[test]
fn malformed_responses_5xx_and_timeouts_are_clear_errors_not_hangs() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    cli.ok(&["config", "set", "http.timeout_secs", "1"]);

    sim.h().set_faults(Faults { malformed_rate: 1.0, ..Faults::default() });
    let e = err_text(cli.run(&["numbers"]));
    assert!(e.contains("response CareDesk cannot read"), "{e}");

    // A 5xx may hide an accepted send: the message stays in the outbox, to be
    // checked against the server's sent list before any retry.
    sim.h().set_faults(Faults { error_5xx_rate: 1.0, ..Faults::default() });
    let run = cli.run(&["send", "--patient", "ecm:1001", "--text", "five hundred", "--via", "his"]);
    // 5: being checked; 4: retrying.
    assert!(matches!(run.code, Some(4 | 5)), "{run:?}");
    let out = run.stdout;
    assert!(out.contains("unknown yet whether") || out.contains("not sent yet"), "{out}");
    let outbox = cli.json(&["outbox", "--json"]);
    assert_eq!(outbox.as_array().map(Vec::len), Some(1), "{outbox}");

    sim.h().set_faults(Faults { timeout_rate: 1.0, ..Faults::default() });
    let started = Instant::now();
    let run = cli.run(&["send", "--patient", "ecm:1001", "--text", "slow", "--via", "his"]);
    assert!(started.elapsed() < Duration::from_secs(30), "a timeout is bounded: {:?}", started.elapsed());
    assert!(matches!(run.code, Some(4 | 5)), "{run:?}");
    let out = run.stdout;
    assert!(
        out.contains("unknown yet whether") || out.contains("not sent yet"),
        "a timed-out send may have gone: {out}"
    );

    // Once the server answers again, a sync cycle settles both, each sent once.
    sim.h().set_faults(Faults::default());
    cli.ok(&["config", "set", "http.timeout_secs", "5"]);
    // The check of an ambiguous send waits out its backoff: bounded by time.
    let deadline = Instant::now() + Duration::from_secs(150);
    while Instant::now() < deadline {
        cli.ok(&["sync", "--once"]);
        if cli.json(&["outbox", "--json"]).as_array().is_some_and(Vec::is_empty) {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(cli.json(&["outbox", "--json"]), serde_json::json!([]), "the outbox drained");
    let state = sim.h().state();
    assert_eq!(state.sends_to("18055550100", "five hundred"), 1, "sent exactly once");
    assert_eq!(state.sends_to("18055550100", "slow"), 1, "sent exactly once");
    sim.h().set_faults(Faults::default());
}

/// The control token the standalone sandboxes are started with.
const STANDALONE_TOKEN: &str = "standalone-sandbox-token-0f3e";

#[test]
fn standalone_sandbox_control_api_needs_its_token_and_a_loopback_host() {
    let (mut guard, port) = standalone_sandbox(&[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let statuses = rt.block_on(async {
        let c = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/__sandbox/state");
        let none = c.get(&url).send().await.unwrap().status();
        let good = c.get(&url).header("X-Sandbox-Token", STANDALONE_TOKEN).send().await.unwrap().status();
        let rebound = c
            .get(&url)
            .header("X-Sandbox-Token", STANDALONE_TOKEN)
            .header("Host", format!("attacker.example:{port}"))
            .send()
            .await
            .unwrap()
            .status();
        (none.as_u16(), good.as_u16(), rebound.as_u16())
    });
    assert_eq!(statuses, (401, 200, 403));
    guard.stop(Duration::from_secs(10));
}

/// `caredesk sandbox --fast ARGS` on a free port, once it listens.
fn standalone_sandbox(args: &[&str]) -> (ChildGuard, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(caredesk_tests::binary("caredesk"));
    cmd.args(["sandbox", "--fast", "--port", &port.to_string()])
        .args(args)
        .env("CAREDESK_SANDBOX_TOKEN", STANDALONE_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let guard = ChildGuard::spawn(&mut cmd);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the sandbox did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

#[test]
fn standalone_sandbox_serves_until_sigterm() {
    let (mut guard, port) = standalone_sandbox(&[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let body: serde_json::Value = rt.block_on(async {
        let c = reqwest::Client::new();
        // The spec 004 cURL example, unchanged but the host.
        let r = c
            .post(format!("http://127.0.0.1:{port}/v1/clinic/ecm/communications/patients/1001/sms"))
            .header("Content-Type", "application/json")
            .header("X-User-Token", sandbox::SANDBOX_ECM_TOKEN)
            .body(r#"{ "sms": { "phone_number": "+18051234567", "body": "Hello! This is a reminder about your appointment." } }"#)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.json().await.unwrap()
    });
    assert_eq!(body["message"], "SMS sent successfully");
    assert_eq!(body["sms"]["to"], "+18051234567");
    assert_eq!(body["activity"]["activity_type"], "sms");
    guard.stop(Duration::from_secs(10));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "stopped on SIGTERM");
}

/// `caredesk sandbox --profile dotnet`: the hospital SMS server answers as
/// an ASP.NET Core service does (camelCase, numeric enums, `null` lists).
#[test]
fn standalone_sandbox_serves_a_server_profile() {
    let (mut guard, port) = standalone_sandbox(&["--profile", "dotnet", "--server-zone", "+03:00"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (numbers, inbox): (serde_json::Value, serde_json::Value) = rt.block_on(async {
        let c = reqwest::Client::new();
        let get =
            |q: &str| c.get(format!("http://127.0.0.1:{port}/his/?{q}")).bearer_auth(sandbox::SANDBOX_HIS_TOKEN).send();
        let numbers = get("type=Numbers").await.unwrap().json().await.unwrap();
        let inbox = get("type=Incoming&dateFrom=2019-11-12%2000:00:00").await.unwrap().json().await.unwrap();
        (numbers, inbox)
    });
    assert_eq!(numbers["status"]["errorCode"], 1, "{numbers}");
    assert_eq!(numbers["data"]["clientOperatorNumbers"][0]["number"], magic::HOSPITAL_NUMBER, "{numbers}");
    assert_eq!(inbox["data"]["messages"], serde_json::Value::Null, "an empty list is null: {inbox}");
    let stdout = guard.0.as_mut().and_then(|c| c.stdout.take()).unwrap();
    let mut banner = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut banner).unwrap();
    assert!(banner.contains("server profile dotnet"), "{banner}");
    guard.stop(Duration::from_secs(10));
}
