//! The passing of time: delivery reports, call progress and patients'
//! replies, advanced by a background task until shutdown.

use std::{sync::Arc, time::Duration};

use rand::Rng;
use tokio::time::{Instant, MissedTickBehavior};

use super::{
    demo,
    options::Timing,
    state::{kept, now_utc, EcmEntry, Shared, State, StatusChange},
};
use crate::gateways::his::wire::MessageState;

/// Ticks until the sandbox shuts down (or its handle is gone).
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut stop = shared.shutdown.clone();
    let mut ticker = tokio::time::interval(shared.options.timing.tick.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = ticker.tick() => advance(&mut shared.lock(), &shared.options.timing, Instant::now()),
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

fn reply_delay(timing: &Timing, rng: &mut impl Rng) -> Duration {
    let span = timing.reply_after_max.saturating_sub(timing.reply_after_min);
    timing.reply_after_min + span.mul_f64(rng.random::<f64>())
}

/// Carries out everything due at `now`.
pub(crate) fn advance(st: &mut State, timing: &Timing, now: Instant) {
    let stamp = kept(st.clocking.now());
    let replies_on = st.replies;
    let mut due_replies = Vec::new();
    for e in st.his.iter_mut() {
        while let Some(&(due, state)) = e.steps.front() {
            if due > now {
                break;
            }
            e.steps.pop_front();
            e.msg.state = state;
            e.msg.updated_at = stamp;
            if state == MessageState::Delivered && e.can_reply && replies_on {
                e.reply_at = Some(due + reply_delay(timing, &mut st.rng));
            }
        }
        if e.reply_at.is_some_and(|at| at <= now) {
            e.reply_at = None;
            if replies_on {
                due_replies.push((e.msg.to.clone(), e.msg.from.clone(), e.msg.id));
            }
        }
    }
    for (patient, hospital, reply_to) in due_replies {
        if let Some(text) = demo::reply_for(&patient, &mut st.rng) {
            st.create_incoming(&patient, &hospital, &text, Some(reply_to));
        }
    }

    for e in st.ecm_calls.iter_mut() {
        step_ecm(e, now, false, timing, &mut st.rng);
    }
    let mut ecm_replies = Vec::new();
    for e in st.ecm_sms.iter_mut() {
        step_ecm(e, now, replies_on, timing, &mut st.rng);
        if e.reply_at.is_some_and(|at| at <= now) {
            e.reply_at = None;
            if replies_on {
                ecm_replies.push(e.record.clone());
            }
        }
    }
    for sms in ecm_replies {
        if let Some(text) = demo::reply_for(&sms.to, &mut st.rng) {
            st.add_ecm_inbound(&sms, text);
        }
    }

    st.tokens.retain(|_, expires| *expires > now);
}

fn step_ecm(e: &mut EcmEntry, now: Instant, replies: bool, timing: &Timing, rng: &mut impl Rng) {
    while let Some(&(due, status)) = e.steps.front() {
        if due > now {
            break;
        }
        e.steps.pop_front();
        e.record.status = status.to_string();
        e.record.history.push(StatusChange { status: status.to_string(), at: now_utc() });
        if status == "delivered" && replies {
            e.reply_at = Some(due + reply_delay(timing, rng));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use rand::{rngs::StdRng, SeedableRng};

    use super::*;
    use crate::{
        gateways::his::wire::MessageType,
        sandbox::{magic, SandboxOptions},
    };

    fn state() -> State {
        State::new(StdRng::seed_from_u64(3), &SandboxOptions::for_tests())
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn an_sms_goes_enroute_then_delivered_then_gets_a_reply() {
        let mut st = state();
        let t0 = Instant::now();
        let timing = Timing { reply_after_min: ms(30), reply_after_max: ms(30), ..Timing::fast() };
        let steps = VecDeque::from([(t0 + ms(10), MessageState::Enroute), (t0 + ms(20), MessageState::Delivered)]);
        let (id, _, _) = st.create_outgoing(magic::HOSPITAL_NUMBER, "18055550103", "Come?", 1, steps, true);
        let created = st.his[0].msg.created_at;
        advance(&mut st, &timing, t0 + ms(5));
        assert_eq!(st.his[0].msg.state, MessageState::Accepted);
        advance(&mut st, &timing, t0 + ms(15));
        assert_eq!(st.his[0].msg.state, MessageState::Enroute);
        let enroute = st.his[0].msg.updated_at;
        assert!(enroute >= created);
        std::thread::sleep(ms(1));
        advance(&mut st, &timing, t0 + ms(25));
        assert_eq!(st.his[0].msg.state, MessageState::Delivered);
        assert!(st.his[0].msg.updated_at > enroute);
        assert_eq!(st.his[0].reply_at, Some(t0 + ms(50)));
        advance(&mut st, &timing, t0 + ms(49));
        assert_eq!(st.his.len(), 1);
        advance(&mut st, &timing, t0 + ms(50));
        let reply = &st.his[1].msg;
        assert_eq!(reply.kind, MessageType::Incoming);
        assert_eq!((reply.from.as_str(), reply.to.as_str()), ("18055550103", magic::HOSPITAL_NUMBER));
        assert_eq!((reply.text.as_str(), reply.reply_to_message_id), ("STOP", Some(id)));
        advance(&mut st, &timing, t0 + ms(500));
        assert_eq!(st.his.len(), 2, "one reply per message");
    }

    #[test]
    fn no_reply_when_replies_are_off_or_not_allowed() {
        let mut st = state();
        st.replies = false;
        let t0 = Instant::now();
        let steps = || VecDeque::from([(t0, MessageState::Delivered)]);
        st.create_outgoing(magic::HOSPITAL_NUMBER, "18055550100", "a", 1, steps(), true);
        st.create_outgoing(magic::HOSPITAL_SENDER_NAME, "18055550100", "b", 2, steps(), false);
        advance(&mut st, &Timing::fast(), t0 + ms(1000));
        advance(&mut st, &Timing::fast(), t0 + ms(2000));
        assert_eq!(st.his.len(), 2);
        assert!(st.his.iter().all(|e| e.msg.state == MessageState::Delivered));
    }

    #[test]
    fn ecm_records_step_through_their_statuses_with_history() {
        let mut st = state();
        let sms = st.create_ecm(1001, "+18055550100", Some("hi"), magic::ecm_sms_steps("+18055550100"), ms(10));
        let call = st.create_ecm(1001, magic::CALL_BUSY, None, magic::ecm_call_steps(magic::CALL_BUSY), ms(10));
        assert!(sms.twilio_sid.starts_with("SM") && call.twilio_sid.starts_with("CA"));
        let later = Instant::now() + ms(1000);
        advance(&mut st, &Timing::fast(), later);
        let statuses: Vec<_> = st.ecm_sms[0].record.history.iter().map(|h| h.status.as_str()).collect();
        assert_eq!(statuses, ["queued", "sending", "sent", "delivered"]);
        assert_eq!(st.ecm_calls[0].record.status, "busy");
        advance(&mut st, &Timing::fast(), later + ms(1000));
        assert_eq!(st.ecm_inbound.len(), 1);
        assert_eq!(st.ecm_inbound[0].reply_to_sms_id, sms.id);
        assert_eq!(st.ecm_inbound[0].body, "Yes");
    }
}
