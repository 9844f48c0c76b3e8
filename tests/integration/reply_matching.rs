//! Which thread a reply joins, over real HTTP against the sandbox: a reply
//! whose `ReplyToMessageId` names a message sent to another number is filed
//! by the number it came from, never in the answered patient's thread.

use caredesk_core::sandbox::{Inbound, SandboxOptions};
use caredesk_tests::{configured_cli, Cli, Sim};
use serde_json::Value;

/// The texts of a patient's thread that came in.
fn inbound_texts(cli: &Cli, patient: &str) -> Vec<String> {
    let items = cli.json(&["thread", "--patient", patient, "--json"]);
    items
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_reply_from_another_phone_is_not_filed_in_the_answered_patients_thread() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());

    let sent = cli.json(&["send", "--patient", "ecm:1001", "--text", "Your visit is at 9", "--via", "his", "--json"]);
    assert_eq!(sent["state"], "sent", "{sent}");
    let his_id: i64 = sent["server_id"].as_str().unwrap().parse().unwrap();

    let reply = |from: &str, text: &str| {
        sim.h()
            .inject_inbound(Inbound {
                from: from.into(),
                text: Some(text.into()),
                reply_to: Some(his_id),
                ..Inbound::default()
            })
            .unwrap();
    };
    reply("18055550100", "Ana here: see you at 9");
    reply("18055550102", "Ben here, on Ana's message");
    reply("+18055550199", "A stranger, on Ana's message");
    cli.ok(&["sync", "--once"]);

    assert_eq!(inbound_texts(&cli, "ecm:1001"), ["Ana here: see you at 9"], "only Ana's own phone joins her thread");
    assert_eq!(inbound_texts(&cli, "ecm:1002"), ["Ben here, on Ana's message"], "Ben's phone: Ben's thread");
    let threads = cli.json(&["threads", "--json"]);
    let unmatched: Vec<&Value> = threads.as_array().unwrap().iter().filter(|t| t["patient_id"].is_null()).collect();
    assert_eq!(unmatched.len(), 1, "{threads}");
    assert_eq!(unmatched[0]["number"], "+18055550199", "the stranger waits in Unmatched");
}
