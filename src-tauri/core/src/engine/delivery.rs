//! Delivery states of outbound SMS: CareDesk's internal words, how a hospital
//! SMS server `State` maps onto them, and the one rule of merging: a state
//! never moves backwards, so a late or repeated page saying `Enroute` cannot
//! undo `Delivered`. The order itself is a rule ([`crate::rules::delivery`]),
//! which team mode also merges the desks' copies of a message with.
//!
//! Internal states, lowest rank first:
//!
//! | rank | states | meaning |
//! |---|---|---|
//! | 0 | queued, sending, failed, uncertain | not (known to be) with the gateway |
//! | 1 | sent | accepted by the gateway (HIS `Accepted`) |
//! | 2 | enroute | on its way to the handset |
//! | 3 | undelivered, rejected, expired, deleted, unsent | final, not delivered |
//! | 4 | delivered | final, on the handset |
//! | 5 | seen | read receipt |
//!
//! `received` marks an inbound message and never changes. HIS `None` and
//! `Unknown` carry no information and change nothing. Between two final
//! failure states of equal rank the first one stays.

use crate::gateways::his::wire::MessageState;

/// Outbound states that may still change: the ones refreshed from the server.
/// The same list as the `messages_open` index, so the query can use it.
pub const OPEN_STATES: [&str; 5] = ["queued", "sending", "sent", "enroute", "accepted"];

pub use crate::rules::delivery::{is_final, rank, RECEIVED};

/// The internal word for a HIS `State`; `None` for the states that say
/// nothing (`None`, `Unknown`).
pub fn internal_state(state: MessageState) -> Option<&'static str> {
    Some(match state {
        MessageState::None | MessageState::Unknown => return None,
        MessageState::Accepted => "sent",
        MessageState::Enroute => "enroute",
        MessageState::Delivered => "delivered",
        MessageState::Undeliverable => "undelivered",
        MessageState::Rejected => "rejected",
        MessageState::Expired => "expired",
        MessageState::Deleted => "deleted",
        MessageState::Seen => "seen",
        MessageState::Unsent => "unsent",
    })
}

/// The state a message with `current` moves to when the server reports
/// `incoming`; `None` when nothing changes (same state, no information, or a
/// step backwards).
pub fn merge_state(current: &str, incoming: MessageState) -> Option<String> {
    if current == RECEIVED {
        return None;
    }
    let new = internal_state(incoming)?;
    (new != current && rank(new) > rank(current)).then(|| new.to_string())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use MessageState as S;

    #[test]
    fn merge_table() {
        // (current, incoming, expected)
        let cases: &[(&str, MessageState, Option<&str>)] = &[
            ("sending", S::Accepted, Some("sent")),
            ("sending", S::Delivered, Some("delivered")),
            ("sent", S::Accepted, None),
            ("sent", S::None, None),
            ("sent", S::Unknown, None),
            ("sent", S::Enroute, Some("enroute")),
            ("enroute", S::Accepted, None),
            ("enroute", S::Enroute, None),
            ("enroute", S::Delivered, Some("delivered")),
            ("enroute", S::Undeliverable, Some("undelivered")),
            ("enroute", S::Rejected, Some("rejected")),
            ("enroute", S::Expired, Some("expired")),
            ("enroute", S::Deleted, Some("deleted")),
            ("enroute", S::Unsent, Some("unsent")),
            ("sent", S::Rejected, Some("rejected")),
            ("delivered", S::Enroute, None),
            ("delivered", S::Accepted, None),
            ("delivered", S::Unknown, None),
            ("delivered", S::None, None),
            ("delivered", S::Undeliverable, None),
            ("delivered", S::Expired, None),
            ("delivered", S::Seen, Some("seen")),
            ("seen", S::Delivered, None),
            ("undelivered", S::Enroute, None),
            ("undelivered", S::Rejected, None),
            ("undelivered", S::Delivered, Some("delivered")),
            ("rejected", S::Expired, None),
            ("failed", S::Delivered, Some("delivered")),
            ("uncertain", S::Accepted, Some("sent")),
            ("queued", S::Enroute, Some("enroute")),
            ("received", S::Delivered, None),
            ("received", S::Seen, None),
        ];
        for &(current, incoming, expected) in cases {
            assert_eq!(merge_state(current, incoming).as_deref(), expected, "{current} + {incoming}");
        }
    }

    #[test]
    fn every_his_state_has_a_place() {
        for s in MessageState::ALL {
            match internal_state(s) {
                None => assert!(matches!(s, S::None | S::Unknown)),
                Some(word) => {
                    assert!(rank(word) >= 1, "{s}");
                    assert_eq!(is_final(word), s.is_final(), "{s}: final on both sides");
                }
            }
        }
        for open in OPEN_STATES {
            assert!(!is_final(open), "{open}");
        }
        assert!(is_final("received"));
    }

    fn any_state() -> impl Strategy<Value = MessageState> {
        (0..MessageState::ALL.len()).prop_map(|i| MessageState::ALL[i])
    }

    proptest! {
        /// Whatever order reports come in, the rank reached is the highest
        /// rank reported, and it never dips on the way.
        #[test]
        fn folding_reports_reaches_the_highest_rank(reports in proptest::collection::vec(any_state(), 0..20)) {
            let mut state = "sending".to_string();
            for &r in &reports {
                let before = rank(&state);
                if let Some(next) = merge_state(&state, r) {
                    prop_assert!(rank(&next) > before);
                    state = next;
                }
            }
            let best = reports.iter().filter_map(|&r| internal_state(r)).map(rank).max().unwrap_or(0);
            prop_assert_eq!(rank(&state), best);
        }
    }
}
