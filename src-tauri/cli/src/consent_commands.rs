//! `caredesk invite`, `caredesk consent` and `caredesk revocations`:
//! consent invitations (spec 002) and staff's review of flagged replies.

use std::sync::Mutex;

use caredesk_core::{
    desk::Desk,
    engine::consent_invites,
    rules::{clinic_zone, error::CoreError, visible_text::visible},
    store::consent_invites::{ConsentState, NumberConsent, PendingRevocation, RevocationResolution},
};

use crate::{args::RevocationAction, output::line};

fn state_words(c: &NumberConsent) -> String {
    let day = |t: &Option<String>| t.as_deref().map(|s| s[..s.len().min(10)].to_string()).unwrap_or_default();
    let mut s = match c.state {
        ConsentState::NotAsked => "not asked".to_string(),
        ConsentState::Invited => format!("invited {}", day(&c.invited_at)),
        ConsentState::OptedIn => format!("opted in {}", day(&c.since)),
        ConsentState::OptedOut => format!("opted out {}", day(&c.since)),
    };
    if let Some(r) = &c.revocation {
        s.push_str(&format!("; a possible revocation waits for review (message {}, due {})", r.message_id, r.due));
    }
    s
}

/// `invite --patient ID [--to NUMBER] [--json]`.
pub fn invite(desk: Desk, patient: &str, to: Option<&str>, json: bool) -> Result<(), CoreError> {
    let desk = Mutex::new(desk);
    let invited = consent_invites::invite(&desk, patient, to)?;
    if json {
        line(serde_json::to_string_pretty(&invited).expect("an invitation serializes"));
    } else {
        line(format!(
            "invitation queued as message {} to {}: {}; it goes with the next `caredesk sync`",
            invited.sent.message_id,
            invited.sent.to,
            state_words(&invited.consent)
        ));
    }
    Ok(())
}

/// `consent --patient ID [--json]`.
pub fn consent(desk: &Desk, patient: &str, json: bool) -> Result<(), CoreError> {
    let list = consent_invites::patient_consents(desk, patient)?;
    if json {
        line(serde_json::to_string_pretty(&list).expect("consents serialize"));
    } else if list.is_empty() {
        line("no numbers on file");
    } else {
        for c in &list {
            line(format!("{}  {}", c.number, state_words(c)));
        }
    }
    Ok(())
}

fn revocation_line(r: &PendingRevocation) -> String {
    format!(
        "message {}  due {}  from {} ({})  {:?}",
        r.message_id,
        r.due,
        r.number,
        r.patient_name.as_deref().map(visible).unwrap_or_else(|| "unmatched".into()),
        visible(&r.text)
    )
}

/// `revocations [list|resolve MESSAGE_ID --opted-out|--not-revocation] [--json]`.
pub fn revocations(desk: &Desk, action: Option<RevocationAction>, json: bool) -> Result<(), CoreError> {
    match action.unwrap_or(RevocationAction::List) {
        RevocationAction::List => {
            let zone = clinic_zone::zone(desk.setting(clinic_zone::SETTING)?.as_deref());
            let list = desk.db().pending_revocations(zone)?;
            if json {
                line(serde_json::to_string_pretty(&list).expect("revocations serialize"));
            } else if list.is_empty() {
                line("no flagged replies wait for review");
            } else {
                list.iter().for_each(|r| line(revocation_line(r)));
            }
        }
        RevocationAction::Resolve { message_id, opted_out, not_revocation: _ } => {
            let resolution =
                if opted_out { RevocationResolution::OptedOut } else { RevocationResolution::NotRevocation };
            if !desk.db().resolve_revocation(message_id, resolution, &desk.actor())? {
                return Err(CoreError::InvalidMessage(format!(
                    "message {message_id} is not a flagged reply waiting for review (resolved already, or its number opted out)"
                )));
            }
            if json {
                line(serde_json::json!({ "message_id": message_id, "resolution": resolution }));
            } else {
                line(format!("message {message_id}: {}", resolution.as_str().replace('_', " ")));
            }
        }
    }
    Ok(())
}
