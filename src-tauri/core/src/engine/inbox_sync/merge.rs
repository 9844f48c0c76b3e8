//! Applying one Get SMS page to the database: a pure plan (one message per
//! server `Id`, in server order, and what to do with each), then its
//! execution in one SQLite transaction with the consent effects and the
//! cursor. Nothing here touches HTTP, so tests drive it directly.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Transaction, TransactionBehavior};

use super::{
    cursor::{advance_cursor, ServerClock},
    PollReport, RefreshReport, INCOMING,
};
use crate::{
    engine::delivery::{self, merge_state},
    engine::threads,
    gateways::his::{
        time::HisTime,
        wire::{HisMessage, MessageType},
    },
    rules::consent,
    rules::phone::{self, Region},
    rules::redact,
    store::consent::ConsentChange,
    store::{inbox::NewInbound, Database, StoreError},
};

/// What the page is applied with.
#[derive(Debug, Clone)]
pub struct ApplyContext {
    /// Region for sender numbers the server wrote without a country code.
    pub region: Region,
    pub clock: ServerClock,
}

/// The messages of `kind` in a page, one per `Id`: the copy with the newest
/// `UpdatedAt` (the first of equals), ordered by `CreatedAt` then `Id`. The
/// second value counts the copies dropped.
pub fn dedupe(page: &[HisMessage], kind: MessageType) -> (Vec<&HisMessage>, usize) {
    let mut newest: HashMap<i64, &HisMessage> = HashMap::new();
    let mut dropped = 0;
    for m in page.iter().filter(|m| m.kind == kind) {
        match newest.get(&m.id) {
            Some(seen) if seen.updated_at >= m.updated_at => dropped += 1,
            Some(_) => {
                dropped += 1;
                newest.insert(m.id, m);
            }
            None => {
                newest.insert(m.id, m);
            }
        }
    }
    let mut out: Vec<&HisMessage> = newest.into_values().collect();
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    (out, dropped)
}

/// What to do with one incoming message, given what is stored under its `Id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Not stored yet.
    Insert,
    /// Stored, and the server's copy is newer.
    Update,
    /// Stored with this very `UpdatedAt`.
    Duplicate,
    /// Stored with a newer `UpdatedAt`: an old copy, ignored.
    Stale,
    /// The `Id` belongs to an outbound message: not an inbound one to store.
    Conflict,
}

/// `known`: the stored message's direction and `server_updated_at`.
pub fn decide(known: Option<(&str, Option<&str>)>, incoming: &HisMessage) -> Action {
    let Some((direction, stored)) = known else {
        return Action::Insert;
    };
    if direction != "inbound" {
        return Action::Conflict;
    }
    match stored.and_then(HisTime::parse) {
        None => Action::Update,
        Some(s) if incoming.updated_at > s => Action::Update,
        Some(s) if incoming.updated_at == s => Action::Duplicate,
        Some(_) => Action::Stale,
    }
}

/// The sender as stored: E.164 when the wire digits normalize, else
/// `+digits`, else the text as sent (a sender name).
pub fn sender_number(wire: &str, region: Region) -> String {
    let t = wire.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() || t.chars().any(char::is_alphabetic) {
        return t.to_string();
    }
    phone::normalize(&format!("+{digits}"), region)
        .or_else(|_| phone::normalize(t, region))
        .map(|n| n.to_string())
        .unwrap_or_else(|_| format!("+{digits}"))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `created_at` of an inbound message: the server's `CreatedAt` on the
/// desk's clock (read in the server's zone, its skew taken out), not after
/// now (a clock still ahead, a bad row) and not before the message it
/// answers, so threads read in order.
fn inbound_created_at(m: &HisMessage, clock: &ServerClock, replied_at: Option<&str>) -> String {
    let mut at = clock.to_desk(&m.created_at).min(clock.now);
    if let Some(before) = replied_at.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
        let floor = before.with_timezone(&Utc) + chrono::TimeDelta::microseconds(1);
        at = at.max(floor);
    }
    rfc3339(at)
}

/// [`sender_number`] for a page: a sender already seen in the page is not
/// read again, and NANP wire digits (`1` then ten digits, the eleventh
/// 2-9) whose `+` form is a number on the roster are that number. (A
/// roster number is the output of [`phone::normalize`], which gives such a
/// `+1` number back unchanged: this is what [`sender_number`] returns,
/// without parsing the number again.)
#[derive(Debug, Default)]
struct Senders {
    seen: HashMap<String, String>,
}

impl Senders {
    fn number(&mut self, db: &Database, wire: &str, region: Region) -> Result<String, StoreError> {
        if let Some(known) = self.seen.get(wire) {
            return Ok(known.clone());
        }
        let t = wire.trim();
        let plus = format!("+{t}");
        let b = t.as_bytes();
        let nanp = b.len() == 11 && b[0] == b'1' && (b'2'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit);
        let from = if nanp && db.is_roster_number(&plus)? { plus } else { sender_number(wire, region) };
        self.seen.insert(wire.to_string(), from.clone());
        Ok(from)
    }
}

/// Stores one new inbound message, applies its consent keyword and counts it.
fn insert_new(
    db: &Database,
    m: &HisMessage,
    ctx: &ApplyContext,
    senders: &mut Senders,
    report: &mut PollReport,
) -> Result<(), StoreError> {
    let from = senders.number(db, &m.from, ctx.region)?;
    let target = threads::match_sender(db, &from, m.reply_to_message_id, ctx.region)?;
    // Not before the message it answers, when it joins that message's thread.
    let replied_at = match m.reply_to_message_id {
        Some(r) => db.outbound_by_his_id(r)?.filter(|o| o.patient_id.is_some() && o.patient_id == target.patient_id),
        None => None,
    }
    .map(|o| o.created_at);
    let keyword = consent::classify(&m.text);
    let created_at = inbound_created_at(m, &ctx.clock, replied_at.as_deref());
    let id = db.insert_inbound(&NewInbound {
        patient_id: target.patient_id,
        from: &from,
        to: m.to.trim(),
        body: &m.text,
        his_id: m.id,
        reply_to_his_id: m.reply_to_message_id,
        server_state: m.state.as_str(),
        flagged: keyword.flag(),
        created_at: &created_at,
        server_created_at: &m.created_at.to_wire(),
        server_updated_at: &m.updated_at.to_wire(),
    })?;
    report.new += 1;
    // A reply within a campaign's answer window that names one of its
    // answers ("1", "2") is that recipient's answer.
    if let Some(at) = crate::store::outbox::parse_ts(&created_at) {
        if db.record_campaign_answer(id, &from, &m.text, at)?.is_some() {
            tracing::info!(message_id = id, "reply recorded as a campaign answer");
        }
    }
    if target.patient_id.is_none() {
        report.unmatched += 1;
    }
    if keyword.flag().is_some() {
        report.flagged += 1;
    }
    match db.apply_keyword(id, &from, keyword, &m.text)? {
        ConsentChange::OptedOut => {
            report.opt_outs += 1;
            tracing::info!(message_id = id, from = %redact::phone(&from), "opted out by keyword");
        }
        ConsentChange::OptedIn => {
            report.opt_ins += 1;
            tracing::info!(message_id = id, from = %redact::phone(&from), "opted back in by keyword");
        }
        ConsentChange::Unchanged => {}
    }
    Ok(())
}

/// SQLite's page cache while a large page is applied, in KiB. Each new
/// message adds entries at random places of several indexes of `messages`
/// (thread, sender, unread, HIS id) and of the activity summary; in a
/// database of a million messages those leaf pages are spread over tens of
/// megabytes. With the connection's default cache (2 MB) nearly every insert
/// evicts dirty pages (encrypted and written to the WAL) and reads others
/// back (decrypted), hundreds of microseconds each; with room for them, a
/// page is written once, at commit.
const WIDE_CACHE_KIB: i64 = 131_072;
/// Pages smaller than this keep the connection's cache.
const WIDE_CACHE_FROM: usize = 200;

/// Widens the connection's page cache for one page of messages and gives
/// the memory back (the previous `cache_size`, which frees the pages above
/// it) when dropped.
struct PageCache<'c> {
    conn: &'c rusqlite::Connection,
    before: Option<i64>,
}

impl<'c> PageCache<'c> {
    fn widen(conn: &'c rusqlite::Connection, messages: usize) -> Result<PageCache<'c>, StoreError> {
        if messages < WIDE_CACHE_FROM {
            return Ok(PageCache { conn, before: None });
        }
        let before: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        conn.execute_batch(&format!("PRAGMA cache_size = -{WIDE_CACHE_KIB}"))?;
        Ok(PageCache { conn, before: Some(before) })
    }
}

impl Drop for PageCache<'_> {
    fn drop(&mut self) {
        if let Some(before) = self.before {
            if let Err(e) = self.conn.execute_batch(&format!("PRAGMA cache_size = {before}")) {
                tracing::warn!(error = %e, "could not restore the page cache size");
            }
        }
    }
}

/// Applies a page of incoming messages in one transaction: new messages
/// inserted (with their consent effects), newer copies updated, the rest
/// counted as duplicates; the `his.incoming` cursor moved to the page's
/// newest `UpdatedAt` if that is later. Applying a page twice changes
/// nothing the second time.
pub fn apply_incoming_page(db: &Database, page: &[HisMessage], ctx: &ApplyContext) -> Result<PollReport, StoreError> {
    let _cache = PageCache::widen(db.conn(), page.len())?;
    let tx = Transaction::new_unchecked(db.conn(), TransactionBehavior::Immediate)?;
    // Team mode: the page's messages and its cursor reach the team database
    // in one transaction too.
    db.team_group_begin()?;
    let mut report = PollReport { fetched: page.len(), ..PollReport::default() };
    let (messages, dropped) = dedupe(page, MessageType::Incoming);
    report.duplicates += dropped;
    let other = page.iter().filter(|m| m.kind != MessageType::Incoming).count();
    if other > 0 {
        tracing::warn!(count = other, "an Incoming page held outgoing messages; they were skipped");
    }
    let mut senders = Senders::default();
    for m in messages {
        let known = db.message_by_his_id(m.id)?;
        match decide(known.as_ref().map(|k| (k.direction.as_str(), k.server_updated_at.as_deref())), m) {
            Action::Insert => insert_new(db, m, ctx, &mut senders, &mut report)?,
            Action::Update => {
                let id = known.map(|k| k.id).unwrap_or_default();
                db.update_server_state(id, None, m.state.as_str(), &m.updated_at.to_wire())?;
                report.updated += 1;
            }
            Action::Duplicate | Action::Stale => report.duplicates += 1,
            Action::Conflict => {
                tracing::warn!(his_id = m.id, "an incoming message has the id of an outbound message; skipped");
                report.duplicates += 1;
            }
        }
    }
    if let Some(newest) = page.iter().filter(|m| m.kind == MessageType::Incoming).map(|m| m.updated_at).max() {
        advance_cursor(db, INCOMING, newest, &ctx.clock.present_limit(Some(&newest)))?;
    }
    db.team_group_end()?;
    tx.commit()?;
    Ok(report)
}

/// Applies a page of outgoing messages: each one CareDesk sent (by HIS id)
/// moves forward by [`merge_state`], never back. One transaction.
pub fn apply_outgoing_page(db: &Database, page: &[HisMessage]) -> Result<RefreshReport, StoreError> {
    let tx = Transaction::new_unchecked(db.conn(), TransactionBehavior::Immediate)?;
    let mut report = RefreshReport { fetched: page.len(), ..RefreshReport::default() };
    let (messages, _) = dedupe(page, MessageType::Outgoing);
    for m in messages {
        let Some(known) = db.message_by_his_id(m.id)?.filter(|k| k.direction == "outbound") else {
            report.unknown += 1;
            continue;
        };
        let Some(next) = merge_state(&known.state, m.state) else { continue };
        let stored = known.server_updated_at.as_deref().and_then(HisTime::parse);
        let updated_at = match stored {
            Some(s) if s > m.updated_at => s,
            _ => m.updated_at,
        };
        db.update_server_state(known.id, Some(&next), m.state.as_str(), &updated_at.to_wire())?;
        report.updated += 1;
        if delivery::is_final(&next) {
            report.finalized += 1;
        }
    }
    tx.commit()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateways::his::wire::MessageState;

    fn msg(id: i64, created: &str, updated: &str, state: MessageState) -> HisMessage {
        HisMessage {
            id,
            from: "18055550100".into(),
            to: "15550100000".into(),
            kind: MessageType::Incoming,
            created_at: HisTime::parse(created).unwrap(),
            updated_at: HisTime::parse(updated).unwrap(),
            text: "Yes".into(),
            state,
            reply_to_message_id: None,
            external_key: None,
        }
    }

    #[test]
    fn dedupe_keeps_the_newest_copy_in_server_order() {
        let a1 = msg(2, "2024-01-01T10:00:00", "2024-01-01T10:00:00", MessageState::Delivered);
        let a2 = msg(2, "2024-01-01T10:00:00", "2024-01-01T10:05:00", MessageState::Seen);
        let b = msg(1, "2024-01-01T10:00:00", "2024-01-01T10:00:00", MessageState::Delivered);
        let c = msg(3, "2024-01-01T09:00:00", "2024-01-01T09:00:00", MessageState::Delivered);
        let page = vec![a1.clone(), b.clone(), a2.clone(), c.clone(), b.clone()];
        let (out, dropped) = dedupe(&page, MessageType::Incoming);
        assert_eq!(
            out.iter().map(|m| (m.id, m.state)).collect::<Vec<_>>(),
            [(3, MessageState::Delivered), (1, MessageState::Delivered), (2, MessageState::Seen)]
        );
        assert_eq!(dropped, 2);
        assert_eq!(dedupe(&page, MessageType::Outgoing).0.len(), 0);
    }

    #[test]
    fn decide_table() {
        let m = msg(1, "2024-01-01T10:00:00", "2024-01-01T10:00:00.5", MessageState::Delivered);
        let cases = [
            (None, Action::Insert),
            (Some(("inbound", None)), Action::Update),
            (Some(("inbound", Some("2024-01-01T10:00:00.0000000"))), Action::Update),
            (Some(("inbound", Some("2024-01-01T10:00:00.5000000"))), Action::Duplicate),
            (Some(("inbound", Some("2024-01-01T10:00:01.0000000"))), Action::Stale),
            (Some(("outbound", Some("2024-01-01T10:00:00.0000000"))), Action::Conflict),
        ];
        for (known, want) in cases {
            assert_eq!(decide(known, &m), want, "{known:?}");
        }
    }

    #[test]
    fn a_roster_sender_is_read_as_the_general_reading_reads_it() {
        let (_d, db) = crate::store::test_db();
        let us = Region::default();
        db.conn()
            .execute_batch(
                "INSERT INTO patients (id, name, name_key, created_at, updated_at) VALUES (1, 'A', 'a', 'x', 'x');
                 INSERT INTO contact_points (patient_id, kind, number, digits, national, created_at, updated_at)
                 VALUES (1, 'patient', '+18055550100', '18055550100', '8055550100', 'x', 'x'),
                        (1, 'contact', '+37060000002', '37060000002', '60000002', 'x', 'x');",
            )
            .unwrap();
        let mut senders = Senders::default();
        for wire in ["18055550100", "37060000002", " 18055550100 ", "18055550199", "999", "RSL_HOSP", "+18055550100"] {
            assert_eq!(senders.number(&db, wire, us).unwrap(), sender_number(wire, us), "{wire:?}");
            assert_eq!(senders.number(&db, wire, us).unwrap(), sender_number(wire, us), "{wire:?} again");
        }
    }

    #[test]
    fn a_normalized_nanp_number_normalizes_to_itself() {
        let us = Region::default();
        for input in
            ["(805) 123-4567", "805-555-0100", "1 212 555 0100", "+1 415 555 0199", "18051234567", "3035550000"]
        {
            let n = phone::normalize(input, us).unwrap();
            for region in ["US", "GB", "LT", "CN", "IN"] {
                assert_eq!(
                    phone::normalize(n.as_str(), region.parse().unwrap()).as_ref(),
                    Ok(&n),
                    "{input} in {region}"
                );
            }
        }
    }

    proptest::proptest! {
        /// `+1` and ten digits (the first 2-9) normalize to themselves or
        /// are refused: never to another number.
        #[test]
        fn nanp_plus_digits_normalize_to_themselves_or_not_at_all(d in "[2-9][0-9]{9}") {
            let plus = format!("+1{d}");
            if let Ok(n) = phone::normalize(&plus, Region::default()) {
                proptest::prop_assert_eq!(n.as_str(), plus.as_str());
            }
        }
    }

    #[test]
    fn a_large_page_widens_the_page_cache_and_gives_it_back() {
        let (_d, db) = crate::store::test_db();
        let size = |db: &Database| -> i64 { db.conn().query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap() };
        let before = size(&db);
        let page: Vec<HisMessage> = (0..WIDE_CACHE_FROM as i64 + 10)
            .map(|i| msg(1_000 + i, "2024-01-01T10:00:00", "2024-01-01T10:00:01", MessageState::Delivered))
            .collect();
        let now = chrono::DateTime::parse_from_rfc3339("2024-01-02T00:00:00Z").unwrap().with_timezone(&Utc);
        let zero = chrono::FixedOffset::east_opt(0).unwrap();
        let ctx =
            ApplyContext { region: Region::default(), clock: ServerClock::fixed(now, zero, chrono::TimeDelta::zero()) };
        let report = apply_incoming_page(&db, &page, &ctx).unwrap();
        assert_eq!(report.new, page.len());
        assert_eq!(size(&db), before);
    }

    #[test]
    fn sender_numbers() {
        let us = Region::default();
        assert_eq!(sender_number("18055550100", us), "+18055550100");
        assert_eq!(sender_number("37060000002", us), "+37060000002");
        assert_eq!(sender_number("+18055550100", us), "+18055550100");
        assert_eq!(sender_number("999", us), "+999");
        assert_eq!(sender_number("RSL_HOSP", us), "RSL_HOSP");
    }
}
