//! Reconciliation: a send that may have reached the hospital SMS server is
//! looked up in the server's Outgoing list (Get SMS `type=Outgoing`) before
//! any new attempt. Found: CareDesk adopts its Id and State, and nothing is
//! resent. Not found: the row is pending again. The check failed: the row
//! stays ambiguous and is checked later.
//!
//! The server's list has no ExternalKey, so a message is recognised by its
//! recipient, its sender and its text, created since the first attempt that
//! may have gone (less a margin for clock differences), and not already
//! claimed by another CareDesk message. Server times are the server's local
//! wall-clock time without a zone: CareDesk reads them at the UTC offset the
//! server gave in its latest Send SMS answer, or else at this machine's local
//! time (the sandbox's).

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Utc};
use rand::Rng;

use super::worker::{after, Done, Worker};
use crate::{
    error::Result,
    his::{
        time::HisTime,
        wire::{sender_for_wire, HisMessage, MessageState, MessageType},
    },
    send::lock,
    store::{now_rfc3339, outbox::OutboxItem, Accepted, Route},
};

/// The server's wall-clock time the list is read from: the first attempt
/// that may have gone, less `margin`, at the server's UTC offset when known,
/// else at this machine's.
pub fn since_local(
    sent_at: DateTime<Utc>,
    margin: std::time::Duration,
    server_offset: Option<FixedOffset>,
) -> NaiveDateTime {
    let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::zero());
    let from = sent_at - margin;
    match server_offset {
        Some(offset) => from.with_timezone(&offset).naive_local(),
        None => from.with_timezone(&Local).naive_local(),
    }
}

/// The server's UTC offset, from the newest of `times` (its Send SMS
/// answers' CreatedAt) that has one.
pub fn server_offset(times: &[String]) -> Option<FixedOffset> {
    times.iter().find_map(|t| HisTime::parse(t)?.offset)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn same_sender(a: &str, b: &str) -> bool {
    let (a, b) = (sender_for_wire(a), sender_for_wire(b));
    a.eq_ignore_ascii_case(&b)
}

/// Outgoing messages of `list` that may be this send: to `to`, from `from`
/// (any sender when empty), with `text`, created at or after `since` (server
/// local time); oldest first, each Id once.
pub fn candidates<'m>(
    list: &'m [HisMessage],
    to: &str,
    from: &str,
    text: &str,
    since: NaiveDateTime,
) -> Vec<&'m HisMessage> {
    let to = digits(to);
    let mut found: Vec<&HisMessage> = list
        .iter()
        .filter(|m| m.kind == MessageType::Outgoing)
        .filter(|m| digits(&m.to) == to && !to.is_empty())
        .filter(|m| from.is_empty() || same_sender(&m.from, from))
        .filter(|m| m.text.trim() == text.trim())
        .filter(|m| m.created_at.local >= since)
        .collect();
    found.sort_by_key(|m| (m.created_at.local, m.id));
    found.dedup_by_key(|m| m.id);
    found
}

/// The message state CareDesk records for a server State.
pub fn state_word(state: MessageState) -> &'static str {
    match state {
        MessageState::None | MessageState::Accepted | MessageState::Unknown | MessageState::Unsent => "sent",
        MessageState::Enroute => "enroute",
        MessageState::Delivered | MessageState::Seen => "delivered",
        MessageState::Undeliverable | MessageState::Deleted => "undelivered",
        MessageState::Expired => "expired",
        MessageState::Rejected => "rejected",
    }
}

/// Checks one ambiguous row against the server.
pub(crate) async fn check(w: &Worker<'_>, item: OutboxItem) -> Result<Done> {
    let now = Utc::now();
    let token = rand::rng().random::<i64>();
    let lease = after(now, w.policy.lease);
    if item.route == Route::Ecm {
        // Not made by CareDesk (ECM rows become uncertain at once); kept safe.
        let d = lock(w.desk)?;
        if d.db().claim_check(item.outbox_id, token, now, lease)? {
            d.db().record_uncertain(item.outbox_id, token, "ecm_uncertain", super::ECM_UNCERTAIN, now)?;
            return Ok(Done::Uncertain);
        }
        return Ok(Done::Busy);
    }
    let retry_at = after(now, w.policy.retry_delay(item.attempts + item.checks + 1));
    let Some(target) = w.targets.for_message(item.is_test) else {
        let reason = "test mode is on and no sandbox is running to check it against; it waits in the outbox";
        lock(w.desk)?.db().defer(item.outbox_id, reason, retry_at, now)?;
        return Ok(Done::Deferred);
    };
    let his = match target.gw.his() {
        Ok(h) => h,
        Err(e) => {
            lock(w.desk)?.db().defer(item.outbox_id, &e.to_string(), retry_at, now)?;
            return Ok(Done::Deferred);
        }
    };
    let offset = {
        let d = lock(w.desk)?;
        // A twin (same number, same text) being sent now could be what the
        // server shows: wait for its answer first.
        if d.db().in_flight_twins(item.outbox_id, &item.to, &item.body)? > 0 {
            d.db().defer(
                item.outbox_id,
                "waiting for a message with the same text to the same number",
                after(now, w.policy.settle),
                now,
            )?;
            return Ok(Done::Deferred);
        }
        if !d.db().claim_check(item.outbox_id, token, now, lease)? {
            return Ok(Done::Busy);
        }
        server_offset(&d.db().recent_his_server_times(20)?)
    };
    let first = [item.ambiguous_since.as_deref(), item.sent_at.as_deref(), Some(item.created_at.as_str())]
        .into_iter()
        .flatten()
        .find_map(crate::store::outbox::parse_ts)
        .unwrap_or(now);
    let since = since_local(first, w.policy.reconcile_margin, offset);
    let listed = his.get_messages(MessageType::Outgoing, &HisTime::from_local(since)).await;
    let now = Utc::now();
    let list = match listed {
        Ok(list) => list,
        Err(e) => {
            let d = lock(w.desk)?;
            if w.expired(&item, now) {
                let why = format!(
                    "{} It may have been sent: check the conversation on the hospital SMS server before sending again",
                    w.gave_up(&item)
                );
                d.db().record_uncertain(item.outbox_id, token, "outbox_gave_up", &why, now)?;
                return Ok(Done::Uncertain);
            }
            let note = format!(
                "it may have been sent, and CareDesk could not check the hospital SMS server's sent messages ({e}); it checks again before any new attempt"
            );
            d.db().record_check_failed(item.outbox_id, token, &note, retry_at, now)?;
            return Ok(Done::CheckFailed);
        }
    };
    let found = {
        let d = lock(w.desk)?;
        let mut found = None;
        for m in candidates(&list, &item.to, &item.from, &item.body, since) {
            if !d.db().his_id_taken(m.id)? {
                found = Some(m.clone());
                break;
            }
        }
        found
    };
    match found {
        Some(m) => {
            tracing::info!(
                message_id = item.message_id,
                his_id = m.id,
                "found an ambiguous send on the hospital SMS server: adopted, not resent"
            );
            let accepted = Accepted {
                state: state_word(m.state).into(),
                server_state: Some(m.state.as_str().into()),
                his_id: Some(m.id),
                server_created_at: Some(m.created_at.to_wire()),
                ..Default::default()
            };
            w.accepted(&item, &accepted, None, &now_rfc3339())?;
            Ok(Done::Reconciled)
        }
        None => {
            tracing::info!(
                message_id = item.message_id,
                "an ambiguous send is not on the hospital SMS server: it goes again"
            );
            let note =
                "the last attempt did not reach the hospital SMS server (checked its sent messages); sending again";
            lock(w.desk)?.db().record_not_found(item.outbox_id, token, note, now)?;
            Ok(Done::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: i64, to: &str, from: &str, text: &str, created: &str) -> HisMessage {
        let t = HisTime::parse(created).unwrap();
        HisMessage {
            id,
            from: from.into(),
            to: to.into(),
            kind: MessageType::Outgoing,
            created_at: t,
            updated_at: t,
            text: text.into(),
            state: MessageState::Accepted,
            reply_to_message_id: None,
        }
    }

    #[test]
    fn matches_recipient_sender_text_and_time_oldest_first_once() {
        let since = HisTime::parse("2024-05-01T10:00:00").unwrap().local;
        let mut incoming = msg(9, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:05");
        incoming.kind = MessageType::Incoming;
        let list = vec![
            msg(5, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:02"),
            msg(4, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:01"),
            msg(4, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:01"),
            msg(3, "18055550100", "15550100000", "Hi", "2024-05-01T09:59:59"),
            msg(6, "18055550101", "15550100000", "Hi", "2024-05-01T10:00:03"),
            msg(7, "18055550100", "CAREDESK", "Hi", "2024-05-01T10:00:03"),
            msg(8, "18055550100", "15550100000", "Hi there", "2024-05-01T10:00:03"),
            incoming,
        ];
        let ids: Vec<i64> =
            candidates(&list, "+18055550100", "+1 555 010 0000", " Hi", since).iter().map(|m| m.id).collect();
        assert_eq!(ids, [4, 5]);
        let any_sender: Vec<i64> = candidates(&list, "+18055550100", "", "Hi", since).iter().map(|m| m.id).collect();
        assert_eq!(any_sender, [4, 5, 7]);
        assert!(candidates(&list, "", "", "Hi", since).is_empty());
    }

    #[test]
    fn since_is_server_time_less_the_margin() {
        let sent = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let margin = std::time::Duration::from_secs(60);
        let want = DateTime::parse_from_rfc3339("2024-05-01T09:59:00Z").unwrap().with_timezone(&Local).naive_local();
        assert_eq!(since_local(sent, margin, None), want, "unknown offset: this machine's local time");
        let times = ["2019-11-12T11:01:51.2143795".to_string(), "2019-11-11T08:08:21.8072824+02:00".to_string()];
        let offset = server_offset(&times);
        assert_eq!(offset, FixedOffset::east_opt(7200));
        let at_server = since_local(sent, margin, offset);
        assert_eq!(at_server, HisTime::parse("2024-05-01T11:59:00").unwrap().local);
        assert_eq!(server_offset(&times[..1]), None);
    }

    #[test]
    fn server_states_map_to_message_states() {
        assert_eq!(state_word(MessageState::Accepted), "sent");
        assert_eq!(state_word(MessageState::Enroute), "enroute");
        assert_eq!(state_word(MessageState::Delivered), "delivered");
        assert_eq!(state_word(MessageState::Rejected), "rejected");
    }
}
