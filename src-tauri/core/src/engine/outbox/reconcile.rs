//! Reconciliation: a send that may have reached the hospital SMS server is
//! looked up in the server's Outgoing list (Get SMS `type=Outgoing`) before
//! any new attempt. Found: CareDesk adopts its Id and State, and nothing is
//! resent. Not found: the row is pending again. The check failed: the row
//! stays ambiguous and is checked later.
//!
//! The check does not trust the two clocks to agree:
//!
//! - It waits until `settle` (setting `his.outgoing_lag_secs`) has passed on
//!   the desk's clock since the attempt, for a server that lists a message
//!   only some seconds after taking it.
//! - It reads the list from a `dateFrom` no server can place after the
//!   attempt: the attempt's UTC time, less the margin, less twelve hours
//!   (the westernmost zone), written without a zone. Whatever zone the
//!   server reads it in, and however far (within the margin) its clock is
//!   off, that is before the message.
//! - It recognises the message by its ExternalKey when the server lists
//!   keys; else by recipient and text as the server may have stored them
//!   ([`matching`](super::matching)), among Ids no other CareDesk message
//!   holds. A listed message with another key is never this one. When the
//!   server's zone is known, copies from well before the attempt (an
//!   earlier message with the same words) are left out; else the closest in
//!   time wins.
//!
//! One list serves every check of a drain that it covers.

use crate::store::outbox::{Claim, Final, Reschedule};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use rand::Rng;

use super::{
    matching::{same_number, same_text},
    worker::{after, Done, Worker},
};
use crate::{
    desk::lock,
    engine::inbox_sync::clock::{self, ServerClock},
    gateways::his::{
        time::HisTime,
        wire::{sender_for_wire, HisMessage, MessageState, MessageType},
    },
    rules::error::Result,
    store::{now_rfc3339, outbox::OutboxItem, Accepted, Route},
};

/// How far west of UTC a zone can lie: the `dateFrom` of a check reaches
/// this far before the attempt's UTC time.
const WESTMOST: TimeDelta = TimeDelta::hours(12);

/// The `dateFrom` of a check of a send first tried at `first` (the desk's
/// clock): no zone and no clock difference within `margin` can place the
/// message before it.
pub fn check_date_from(first: DateTime<Utc>, margin: std::time::Duration) -> NaiveDateTime {
    let margin = TimeDelta::from_std(margin).unwrap_or(TimeDelta::hours(1));
    (first - margin).naive_utc() - WESTMOST
}

/// The Outgoing list read by a check, kept for the other checks of the
/// same drain.
#[derive(Debug, Default)]
pub(crate) struct ListCache(Mutex<Option<Listed>>);

#[derive(Debug, Clone)]
struct Listed {
    /// When it was read, on the desk's clock.
    read_at: DateTime<Utc>,
    date_from: NaiveDateTime,
    /// Whether it came from a test-mode sandbox standing in.
    stand_in: bool,
    messages: Arc<Vec<HisMessage>>,
}

impl ListCache {
    /// The list, if one covers `date_from` and was read after `not_before`.
    fn get(&self, date_from: NaiveDateTime, not_before: DateTime<Utc>, stand_in: bool) -> Option<Arc<Vec<HisMessage>>> {
        let guard = self.0.lock().ok()?;
        let l = guard.as_ref()?;
        (l.date_from <= date_from && l.read_at >= not_before && l.stand_in == stand_in).then(|| Arc::clone(&l.messages))
    }

    fn put(&self, listed: Listed) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(listed);
        }
    }
}

fn same_sender(a: &str, b: &str) -> bool {
    if a.trim().is_empty() || b.trim().is_empty() {
        return true;
    }
    let (a, b) = (sender_for_wire(a), sender_for_wire(b));
    a.eq_ignore_ascii_case(&b) || same_number(&a, &b) && a.chars().all(|c| c.is_ascii_digit())
}

/// What the check knows of the send it looks for.
#[derive(Debug, Clone)]
pub struct Sought<'a> {
    pub to: &'a str,
    pub from: &'a str,
    pub text: &'a str,
    pub external_key: i64,
    /// The first attempt that may have gone, on the desk's clock.
    pub first_attempt: DateTime<Utc>,
}

/// The messages of `list` that may be the send, best first; `taken` says
/// whether another CareDesk message holds an Id. A listed ExternalKey
/// decides alone.
pub fn candidates<'m>(
    list: &'m [HisMessage],
    sought: &Sought<'_>,
    clock: &ServerClock,
    taken: &mut dyn FnMut(i64) -> Result<bool>,
) -> Result<Vec<&'m HisMessage>> {
    let outgoing = || list.iter().filter(|m| m.kind == MessageType::Outgoing);
    if let Some(m) = outgoing().find(|m| m.external_key == Some(sought.external_key)) {
        return Ok(vec![m]);
    }
    let earliest = clock.zone_is_known().then(|| sought.first_attempt - TimeDelta::hours(1));
    let mut found = Vec::new();
    for m in outgoing() {
        if m.external_key.is_some()
            || !same_number(&m.to, sought.to)
            || !same_sender(&m.from, sought.from)
            || !same_text(sought.text, &m.text)
            || earliest.is_some_and(|e| clock.to_desk(&m.created_at) < e)
            || found.iter().any(|f: &&HisMessage| f.id == m.id)
        {
            continue;
        }
        if !taken(m.id)? {
            found.push(m);
        }
    }
    let distance = |m: &HisMessage| (clock.to_desk(&m.created_at) - sought.first_attempt).abs();
    found.sort_by_key(|m| (distance(m), m.id));
    Ok(found)
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
            d.db().record_final(
                item.outbox_id,
                Claim::Held(token),
                Final::Uncertain,
                "ecm_uncertain",
                super::ECM_UNCERTAIN,
                now,
            )?;
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
    let parse = crate::store::outbox::parse_ts;
    let last_attempt = item.sent_at.as_deref().and_then(parse);
    // A server may list a message only some time after taking it.
    if let Some(listed_by) = last_attempt.map(|t| after(t, w.policy.settle)).filter(|t| *t > now) {
        let note = "it may have been sent: CareDesk waits for the hospital SMS server to list it, then checks before any new attempt";
        lock(w.desk)?.db().defer(item.outbox_id, note, listed_by, now)?;
        return Ok(Done::Deferred);
    }
    {
        let mut d = lock(w.desk)?;
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
        d.hold_claim(item.outbox_id, token);
    }
    let first = [item.ambiguous_since.as_deref(), item.sent_at.as_deref(), Some(item.created_at.as_str())]
        .into_iter()
        .flatten()
        .find_map(parse)
        .unwrap_or(now);
    let date_from = check_date_from(first, w.policy.reconcile_margin);
    let not_before = last_attempt.map(|t| after(t, w.policy.settle)).unwrap_or(now);
    let list = match w.lists.get(date_from, not_before, target.stand_in) {
        Some(list) => Ok(list),
        None => his.get_messages(MessageType::Outgoing, &HisTime::from_local(date_from)).await.map(|f| {
            if !target.stand_in {
                if let Ok(d) = lock(w.desk) {
                    let _ = clock::learn(d.db(), |row| clock::learn_skew(row, &f.stamp));
                }
            }
            let messages = Arc::new(f.messages);
            w.lists.put(Listed {
                read_at: f.stamp.received_at,
                date_from,
                stand_in: target.stand_in,
                messages: Arc::clone(&messages),
            });
            messages
        }),
    };
    let now = Utc::now();
    let list = match list {
        Ok(list) => list,
        Err(e) => {
            let d = lock(w.desk)?;
            if w.expired(&item, now) {
                let why = format!(
                    "{} It may have been sent: check the conversation on the hospital SMS server before sending again",
                    w.gave_up(&item)
                );
                d.db().record_final(
                    item.outbox_id,
                    Claim::Held(token),
                    Final::Uncertain,
                    "outbox_gave_up",
                    &why,
                    now,
                )?;
                return Ok(Done::Uncertain);
            }
            let note = format!(
                "it may have been sent, and CareDesk could not check the hospital SMS server's sent messages ({e}); it checks again before any new attempt"
            );
            d.db().record_check_failed(item.outbox_id, token, &note, retry_at, now)?;
            return Ok(Done::CheckFailed);
        }
    };
    // In team mode a colleague's identical text may be on the server: match
    // by words only while this desk follows the team's log (it knows the
    // colleagues' texts and their server Ids); else by ExternalKey alone,
    // and wait for the log before concluding the send is not there.
    let by_text = lock(w.desk)?.team_log_current()?;
    let found = {
        let d = lock(w.desk)?;
        let clock = ServerClock::observe(d.db(), now)?;
        let sought = Sought {
            to: &item.to,
            from: &item.from,
            text: &item.body,
            external_key: item.external_key,
            first_attempt: first,
        };
        let mut taken = |id: i64| -> Result<bool> { Ok(!by_text || d.db().his_id_taken(id)?) };
        candidates(&list, &sought, &clock, &mut taken)?.first().map(|m| (*m).clone())
    };
    if found.is_none() && !by_text {
        let note = "it may have been sent; CareDesk checks the hospital SMS server's sent messages by their words only while it follows the team's log, and waits for the team database";
        lock(w.desk)?.db().record_check_failed(item.outbox_id, token, note, retry_at, now)?;
        return Ok(Done::CheckFailed);
    }
    match found {
        Some(m) => {
            tracing::info!(
                message_id = item.message_id,
                his_id = m.id,
                by_key = m.external_key.is_some(),
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
                listed = list.len(),
                "an ambiguous send is not on the hospital SMS server: it goes again"
            );
            let note =
                "the last attempt did not reach the hospital SMS server (checked its sent messages); sending again";
            lock(w.desk)?.db().reschedule(item.outbox_id, token, Reschedule::NotFound, note, now, now)?;
            Ok(Done::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;

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
            external_key: None,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sought<'a>(text: &'a str, key: i64) -> Sought<'a> {
        Sought {
            to: "+18055550100",
            from: "+1 555 010 0000",
            text,
            external_key: key,
            first_attempt: utc("2024-05-01T10:00:00Z"),
        }
    }

    fn ids(list: &[HisMessage], s: &Sought<'_>, clock: &ServerClock, taken: &[i64]) -> Vec<i64> {
        let mut taken = |id: i64| Ok(taken.contains(&id));
        candidates(list, s, clock, &mut taken).unwrap().iter().map(|m| m.id).collect()
    }

    fn known_utc() -> ServerClock {
        ServerClock::fixed(utc("2024-05-01T10:05:00Z"), FixedOffset::east_opt(0).unwrap(), TimeDelta::zero())
    }

    #[test]
    fn matches_recipient_sender_and_text_closest_first_once() {
        let mut incoming = msg(9, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:05");
        incoming.kind = MessageType::Incoming;
        let list = vec![
            msg(5, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:09"),
            msg(4, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:01"),
            msg(4, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:01"),
            msg(6, "18055550101", "15550100000", "Hi", "2024-05-01T10:00:03"),
            msg(7, "18055550100", "CAREDESK", "Hi", "2024-05-01T10:00:03"),
            msg(8, "18055550100", "15550100000", "Hi there", "2024-05-01T10:00:03"),
            incoming,
        ];
        assert_eq!(ids(&list, &sought("Hi", 1), &known_utc(), &[]), [4, 5]);
        assert_eq!(ids(&list, &sought("Hi", 1), &known_utc(), &[4]), [5], "an Id another message holds is not it");
        let any_sender = Sought { from: "", ..sought("Hi", 1) };
        assert_eq!(ids(&list, &any_sender, &known_utc(), &[]), [4, 7, 5]);
        let nobody = Sought { to: "", ..sought("Hi", 1) };
        assert!(ids(&list, &nobody, &known_utc(), &[]).is_empty());
    }

    #[test]
    fn a_listed_external_key_decides_alone() {
        let mut ours = msg(5, "18055550100", "15550100000", "Totally different text", "2024-05-01T10:00:02");
        ours.external_key = Some(27342);
        let mut other = msg(6, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:01");
        other.external_key = Some(27341);
        let plain = msg(7, "18055550100", "15550100000", "Hi", "2024-05-01T10:00:01");
        let list = vec![other.clone(), ours, plain.clone()];
        assert_eq!(ids(&list, &sought("Hi", 27342), &known_utc(), &[]), [5]);
        // A message listed with another key is never this one.
        assert_eq!(ids(&[other, plain], &sought("Hi", 27343), &known_utc(), &[]), [7]);
    }

    #[test]
    fn transliterated_texts_are_found() {
        let list =
            vec![msg(5, "37060000002", "37060000001", "Sveiki, Simkute! Jusu vizitas rytoj.", "2024-05-01T13:00:02")];
        let s =
            Sought { to: "+37060000002", from: "37060000001", ..sought("Sveiki, Šimkutė! Jūsų vizitas rytoj.", 1) };
        let vilnius = ServerClock::fixed(
            utc("2024-05-01T10:05:00Z"),
            FixedOffset::east_opt(3 * 3600).unwrap(),
            TimeDelta::zero(),
        );
        assert_eq!(ids(&list, &s, &vilnius, &[]), [5]);
    }

    #[test]
    fn zones_and_clocks_cannot_hide_the_message() {
        // The desk sent at 10:00Z. Whatever zone the server keeps (UTC-12
        // to UTC+14) and wherever its clock is within the margin, its
        // CreatedAt lies at or after the check's dateFrom.
        let first = utc("2024-05-01T10:00:00Z");
        let margin = std::time::Duration::from_secs(3600);
        let from = check_date_from(first, margin);
        for offset_h in -12..=14 {
            for skew_min in [-59, -5, 0, 5, 59] {
                let created = first + TimeDelta::minutes(skew_min);
                let wall = created.naive_utc() + TimeDelta::hours(offset_h);
                assert!(wall >= from, "UTC{offset_h:+} skew {skew_min} min: {wall} before {from}");
                // And a server reading dateFrom in its own zone places it
                // before the message too.
                let read_as = from - TimeDelta::hours(offset_h);
                assert!(read_as <= created.naive_utc(), "UTC{offset_h:+}");
            }
        }
        // Found whatever the guessed zone says about the server.
        let list = vec![msg(5, "18055550100", "15550100000", "Hi", "2024-05-02T00:00:01")];
        let guess = ServerClock::new(
            utc("2024-05-01T10:05:00Z"),
            TimeDelta::zero(),
            crate::engine::inbox_sync::clock::Zone::Fixed(FixedOffset::west_opt(5 * 3600).unwrap()),
            crate::engine::inbox_sync::clock::ZoneSource::Answer,
            &[],
        );
        assert_eq!(ids(&list, &sought("Hi", 1), &guess, &[]), [5]);
    }

    #[test]
    fn with_a_known_zone_an_older_copy_is_not_taken() {
        // Yesterday's "Hi" to the same number, which CareDesk no longer
        // holds an Id for, is not today's.
        let list = vec![msg(3, "18055550100", "15550100000", "Hi", "2024-04-30T10:00:00")];
        assert!(ids(&list, &sought("Hi", 1), &known_utc(), &[]).is_empty());
    }

    #[test]
    fn server_states_map_to_message_states() {
        assert_eq!(state_word(MessageState::Accepted), "sent");
        assert_eq!(state_word(MessageState::Enroute), "enroute");
        assert_eq!(state_word(MessageState::Delivered), "delivered");
        assert_eq!(state_word(MessageState::Rejected), "rejected");
    }
}
