//! What the sandbox remembers: HIS messages and the log of sends, ECM records,
//! issued tokens, faults; and the snapshot tests and the control API read.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    sync::{Mutex, MutexGuard},
};

use chrono::{DateTime, TimeDelta, Utc};
use rand::{rngs::StdRng, Rng};
use serde::{Deserialize, Serialize};
use tokio::{sync::watch, time::Instant};

use super::{
    faults::{Answer, Faults},
    profile::{transliterate, Clocking, Profile},
    SandboxOptions,
};
use crate::gateways::his::{
    time::HisTime,
    wire::{HisMessage, MessageState, MessageType},
};

/// Everything the server, the simulator and the handle share.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub options: SandboxOptions,
    /// Becomes `true` (or closes) when the sandbox stops.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn new(state: State, options: SandboxOptions, shutdown: watch::Receiver<bool>) -> Self {
        Shared { state: Mutex::new(state), options, shutdown }
    }

    /// The state; never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) struct State {
    pub rng: StdRng,
    pub profile: Profile,
    /// The server's clock and zones (the profile's).
    pub clocking: Clocking,
    pub faults: Faults,
    pub replies: bool,
    burst_left: u32,
    burst_stamp: Option<DateTime<Utc>>,
    next_his_id: i64,
    pub his: Vec<HisEntry>,
    pub his_sends: Vec<HisSend>,
    pub ecm_patients: BTreeSet<i64>,
    next_ecm_id: i64,
    next_activity_id: i64,
    pub ecm_sms: Vec<EcmEntry>,
    pub ecm_calls: Vec<EcmEntry>,
    pub ecm_inbound: Vec<EcmInbound>,
    /// Issued Azure AD access tokens and when each expires.
    pub tokens: HashMap<String, Instant>,
    /// The bearer token the HIS accepts, and the Azure AD client secret.
    pub his_token: String,
    pub azure_secret: String,
    pub token_requests: u64,
    pub tokens_issued: u64,
    /// Get-SMS `type=Incoming` reads answered (one per inbox sync cycle),
    /// so a benchmark can count the cycles a client ran.
    pub inbox_reads: u64,
    /// Who read the inbox and when (the newest [`MAX_INBOX_POLLS`]), so a
    /// test can see one desk of a team poll at a time.
    pub inbox_polls: VecDeque<InboxPoll>,
}

/// How many inbox reads the sandbox remembers.
pub const MAX_INBOX_POLLS: usize = 20_000;

/// One Get-SMS `type=Incoming` read: the client's `User-Agent` (a desk of a
/// team names its desk id there) and when the request came and was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPoll {
    pub agent: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: DateTime<Utc>,
}

/// A HIS message and what will still happen to it.
pub(crate) struct HisEntry {
    pub msg: HisMessage,
    pub steps: VecDeque<(Instant, MessageState)>,
    /// Whether a simulated patient may answer it once delivered.
    pub can_reply: bool,
    pub reply_at: Option<Instant>,
}

/// An ECM SMS or call and its remaining status steps.
pub(crate) struct EcmEntry {
    pub record: EcmRecord,
    pub steps: VecDeque<(Instant, &'static str)>,
    pub reply_at: Option<Instant>,
}

/// One SMS the HIS created, with the request's ExternalKey and how the
/// sandbox answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HisSend {
    pub id: i64,
    pub external_key: i64,
    pub from: String,
    pub to: String,
    pub text: String,
    pub created_at: HisTime,
    pub answer: Answer,
}

/// An ECM SMS or call record with its status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcmRecord {
    pub id: i64,
    /// `sms` or `call`.
    pub kind: String,
    pub patient_id: i64,
    pub activity_id: i64,
    pub twilio_sid: String,
    pub to: String,
    pub from: String,
    pub body: Option<String>,
    pub status: String,
    pub direction: String,
    pub created_at: String,
    pub history: Vec<StatusChange>,
    pub answer: Answer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: String,
    pub at: String,
}

/// A patient's answer to an ECM SMS (kept out of the HIS inbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcmInbound {
    pub id: i64,
    pub patient_id: i64,
    pub from: String,
    pub to: String,
    pub body: String,
    pub reply_to_sms_id: i64,
    pub received_at: String,
}

/// Everything the sandbox holds, as `GET /__sandbox/state` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateSnapshot {
    pub his_messages: Vec<HisMessage>,
    pub his_sends: Vec<HisSend>,
    /// How many SMS were created per ExternalKey.
    pub external_key_counts: BTreeMap<i64, usize>,
    pub ecm_sms: Vec<EcmRecord>,
    pub ecm_calls: Vec<EcmRecord>,
    pub ecm_inbound: Vec<EcmInbound>,
    pub ecm_patients: Vec<i64>,
    /// Every request to the token endpoint, successful or not.
    pub token_requests: u64,
    pub tokens_issued: u64,
    /// Get-SMS `type=Incoming` reads answered since the start (or reset).
    #[serde(default)]
    pub inbox_reads: u64,
    /// Who read the inbox and when, oldest first.
    #[serde(default)]
    pub inbox_polls: Vec<InboxPoll>,
    pub faults: Faults,
    pub replies: bool,
}

impl State {
    /// Records an inbox read, forgetting the oldest past [`MAX_INBOX_POLLS`].
    pub(crate) fn record_inbox_poll(&mut self, poll: InboxPoll) {
        if self.inbox_polls.len() >= MAX_INBOX_POLLS {
            self.inbox_polls.pop_front();
        }
        self.inbox_polls.push_back(poll);
    }
}

impl StateSnapshot {
    pub fn his_message(&self, id: i64) -> Option<&HisMessage> {
        self.his_messages.iter().find(|m| m.id == id)
    }

    /// How many SMS the HIS created for this ExternalKey.
    pub fn sends_with_key(&self, external_key: i64) -> usize {
        self.external_key_counts.get(&external_key).copied().unwrap_or(0)
    }

    /// How many SMS the HIS created to `to` (digits, `+` optional) with `text`.
    pub fn sends_to(&self, to: &str, text: &str) -> usize {
        let to = to.trim_start_matches('+');
        self.his_sends.iter().filter(|s| s.to == to && s.text == text).count()
    }

    pub fn incoming(&self) -> impl Iterator<Item = &HisMessage> {
        self.his_messages.iter().filter(|m| m.kind == MessageType::Incoming)
    }
}

/// An instant as the sandbox keeps it: UTC, labelled `+00:00`. Lists and
/// answers write it in the profile's zones (see [`super::profile`]).
pub(crate) fn kept(at: DateTime<Utc>) -> HisTime {
    HisTime::from_utc(at, chrono::FixedOffset::east_opt(0))
}

/// RFC 3339 UTC with milliseconds and `Z`, as ECM writes times.
pub(crate) fn now_utc() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// UpdatedAt of a new message trails CreatedAt by a few ticks, as in spec 003.
const UPDATE_LAG: TimeDelta = TimeDelta::nanoseconds(11_200);

/// Where server ids start. A seeded sandbox (tests) starts at the spec's
/// example ids; an unseeded one (the app, the CLI) starts at an offset that
/// grows with the clock, so ids from an earlier session kept in a CareDesk
/// database never repeat, as with a real server.
fn id_offset(options: &SandboxOptions) -> i64 {
    if options.seed.is_some() {
        return 0;
    }
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    (secs - 1_700_000_000).max(0) * 1_000
}

impl State {
    pub fn new(rng: StdRng, options: &SandboxOptions) -> State {
        let offset = id_offset(options);
        let mut st = State {
            rng,
            profile: options.profile,
            clocking: options.profile.clocking(options.server_zone),
            faults: Faults::default(),
            replies: options.replies,
            burst_left: 0,
            burst_stamp: None,
            next_his_id: 623_178 + offset,
            his: Vec::new(),
            his_sends: Vec::new(),
            ecm_patients: options.ecm_patients.iter().copied().collect(),
            next_ecm_id: 456 + offset,
            next_activity_id: 789 + offset,
            ecm_sms: Vec::new(),
            ecm_calls: Vec::new(),
            ecm_inbound: Vec::new(),
            tokens: HashMap::new(),
            his_token: super::SANDBOX_HIS_TOKEN.to_string(),
            azure_secret: super::SANDBOX_AZURE_CLIENT_SECRET.to_string(),
            token_requests: 0,
            tokens_issued: 0,
            inbox_reads: 0,
            inbox_polls: VecDeque::new(),
        };
        st.set_faults(options.faults.clone());
        st
    }

    /// Back to a fresh start: no messages, records or faults; ids keep
    /// counting up and issued tokens stay valid.
    pub fn reset(&mut self, options: &SandboxOptions) {
        self.his.clear();
        self.his_sends.clear();
        self.ecm_sms.clear();
        self.ecm_calls.clear();
        self.ecm_inbound.clear();
        self.ecm_patients = options.ecm_patients.iter().copied().collect();
        self.replies = options.replies;
        self.token_requests = 0;
        self.tokens_issued = 0;
        self.inbox_reads = 0;
        self.inbox_polls.clear();
        self.set_faults(Faults::default());
    }

    pub fn set_faults(&mut self, faults: Faults) {
        let faults = faults.clamped();
        self.burst_left = faults.same_timestamp_burst;
        self.burst_stamp = None;
        self.faults = faults;
    }

    /// The creation time of a new HIS message (the server's clock), shared
    /// within a burst.
    fn creation_stamp(&mut self) -> DateTime<Utc> {
        let now = self.clocking.now();
        if self.burst_left == 0 {
            return now;
        }
        self.burst_left -= 1;
        *self.burst_stamp.get_or_insert(now)
    }

    /// `n` random lowercase hex digits (Twilio SIDs, tokens).
    pub fn random_hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b"0123456789abcdef"[self.rng.random_range(0..16)])).collect()
    }

    fn next_his_id(&mut self) -> i64 {
        self.next_his_id += 1;
        self.next_his_id - 1
    }

    /// Stores an outgoing SMS as Accepted with its planned steps; returns its
    /// id, creation time (with offset) and its index in the send log.
    pub fn create_outgoing(
        &mut self,
        from: &str,
        to: &str,
        text: &str,
        external_key: i64,
        steps: VecDeque<(Instant, MessageState)>,
        can_reply: bool,
    ) -> (i64, DateTime<Utc>, usize) {
        let created = self.creation_stamp();
        let id = self.next_his_id();
        let stored_text = match self.profile {
            Profile::Transliterating => transliterate(text),
            _ => text.to_string(),
        };
        let msg = HisMessage {
            id,
            from: from.to_string(),
            to: to.to_string(),
            kind: MessageType::Outgoing,
            created_at: kept(created),
            updated_at: kept(created + UPDATE_LAG),
            text: stored_text,
            state: MessageState::Accepted,
            reply_to_message_id: None,
            external_key: None,
        };
        self.his.push(HisEntry { msg, steps, can_reply, reply_at: None });
        self.his_sends.push(HisSend {
            id,
            external_key,
            from: from.to_string(),
            to: to.to_string(),
            text: text.to_string(),
            created_at: kept(created),
            answer: Answer::Ok,
        });
        (id, created, self.his_sends.len() - 1)
    }

    /// Stores a patient's message as received (state Delivered), stamped
    /// now on the server's clock, or `ahead` later (a bad row).
    pub fn create_incoming(&mut self, from: &str, to: &str, text: &str, reply_to: Option<i64>) -> HisMessage {
        self.create_incoming_at(from, to, text, reply_to, TimeDelta::zero())
    }

    pub fn create_incoming_at(
        &mut self,
        from: &str,
        to: &str,
        text: &str,
        reply_to: Option<i64>,
        ahead: TimeDelta,
    ) -> HisMessage {
        let created = self.creation_stamp() + ahead;
        let msg = HisMessage {
            id: self.next_his_id(),
            from: from.to_string(),
            to: to.to_string(),
            kind: MessageType::Incoming,
            created_at: kept(created),
            updated_at: kept(created + UPDATE_LAG),
            text: text.to_string(),
            state: MessageState::Delivered,
            reply_to_message_id: reply_to,
            external_key: None,
        };
        self.his.push(HisEntry { msg: msg.clone(), steps: VecDeque::new(), can_reply: false, reply_at: None });
        msg
    }

    /// Stores an ECM SMS (`body` set) or call as `queued`, with a status step
    /// every `step`; returns it as stored.
    pub fn create_ecm(
        &mut self,
        patient_id: i64,
        to: &str,
        body: Option<&str>,
        statuses: &[&'static str],
        step: std::time::Duration,
    ) -> EcmRecord {
        let (kind, prefix) = if body.is_some() { ("sms", "SM") } else { ("call", "CA") };
        let sid = self.random_hex(32);
        let created_at = now_utc();
        let record = EcmRecord {
            id: self.next_ecm_id,
            kind: kind.into(),
            patient_id,
            activity_id: self.next_activity_id,
            twilio_sid: format!("{prefix}{sid}"),
            to: to.to_string(),
            from: super::magic::ECM_CLINIC_NUMBER.to_string(),
            body: body.map(str::to_string),
            status: "queued".into(),
            direction: "outbound".into(),
            created_at: created_at.clone(),
            history: vec![StatusChange { status: "queued".into(), at: created_at }],
            answer: Answer::Ok,
        };
        self.next_ecm_id += 1;
        self.next_activity_id += 1;
        let now = Instant::now();
        let steps = statuses.iter().enumerate().map(|(i, s)| (now + step * (i as u32 + 1), *s)).collect();
        let entry = EcmEntry { record: record.clone(), steps, reply_at: None };
        if kind == "sms" {
            self.ecm_sms.push(entry);
        } else {
            self.ecm_calls.push(entry);
        }
        record
    }

    pub fn add_ecm_inbound(&mut self, sms: &EcmRecord, body: String) {
        let id = self.next_ecm_id;
        self.next_ecm_id += 1;
        self.ecm_inbound.push(EcmInbound {
            id,
            patient_id: sms.patient_id,
            from: sms.to.clone(),
            to: sms.from.clone(),
            body,
            reply_to_sms_id: sms.id,
            received_at: now_utc(),
        });
    }

    /// Records how a created ECM record was answered.
    pub fn set_ecm_answer(&mut self, id: i64, answer: Answer) {
        for e in self.ecm_sms.iter_mut().chain(self.ecm_calls.iter_mut()) {
            if e.record.id == id {
                e.record.answer = answer;
            }
        }
    }

    pub fn snapshot(&self) -> StateSnapshot {
        let mut external_key_counts = BTreeMap::new();
        for s in &self.his_sends {
            *external_key_counts.entry(s.external_key).or_insert(0) += 1;
        }
        StateSnapshot {
            his_messages: self.his.iter().map(|e| e.msg.clone()).collect(),
            his_sends: self.his_sends.clone(),
            external_key_counts,
            ecm_sms: self.ecm_sms.iter().map(|e| e.record.clone()).collect(),
            ecm_calls: self.ecm_calls.iter().map(|e| e.record.clone()).collect(),
            ecm_inbound: self.ecm_inbound.clone(),
            ecm_patients: self.ecm_patients.iter().copied().collect(),
            token_requests: self.token_requests,
            tokens_issued: self.tokens_issued,
            inbox_reads: self.inbox_reads,
            inbox_polls: self.inbox_polls.iter().cloned().collect(),
            faults: self.faults.clone(),
            replies: self.replies,
        }
    }
}
