//! The order of a text's delivery states, the one rule every copy of a
//! message follows: a state never moves backwards. The engine merges the
//! hospital SMS server's reports with it ([`crate::engine::delivery`]), and
//! team mode merges the copies of one message that several desks report
//! (`store::team`, `engine::team`), so every desk ends with the same state
//! whatever order the reports come in.
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
//! `received` marks an inbound message and never changes.

/// The state of an inbound message.
pub const RECEIVED: &str = "received";

/// The rank of an internal state (see the module table); unknown words rank
/// lowest, so any report from the server supersedes them.
pub fn rank(state: &str) -> u8 {
    match state {
        "sent" | "accepted" => 1,
        "enroute" => 2,
        "undelivered" | "rejected" | "expired" | "deleted" | "unsent" => 3,
        "delivered" => 4,
        "seen" => 5,
        _ => 0,
    }
}

/// Whether an internal state is final: no report will change it any more
/// (except a read receipt after `delivered`).
pub fn is_final(state: &str) -> bool {
    state == RECEIVED || rank(state) >= 3
}

/// [`rank`] refined within rank 0 for copies of one message on several
/// desks: `queued` < `sending` < `failed`/`uncertain` (the sending desk's
/// last word on a text no server took) < `sent` < … A desk that saw
/// `sending` and hears `failed` takes `failed`; one that saw `failed` never
/// goes back to `queued`.
pub fn copy_rank(state: &str) -> u16 {
    match state {
        "queued" => 0,
        "sending" => 1,
        "failed" | "uncertain" => 2,
        RECEIVED => 1000,
        other => u16::from(rank(other)) * 10,
    }
}

/// Whether a copy of a message in state `incoming` supersedes one in
/// `current`: it ranks higher ([`copy_rank`]). Between equals the current
/// one stays, so applying a copy twice changes nothing.
pub fn supersedes(current: &str, incoming: &str) -> bool {
    copy_rank(incoming) > copy_rank(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_merge_forward_only() {
        // (current, incoming, supersedes)
        let cases = [
            ("queued", "sending", true),
            ("sending", "queued", false),
            ("sending", "failed", true),
            ("failed", "queued", false),
            ("failed", "sent", true),
            ("uncertain", "failed", false),
            ("sent", "enroute", true),
            ("delivered", "enroute", false),
            ("delivered", "seen", true),
            ("undelivered", "delivered", true),
            ("rejected", "expired", false),
            ("received", "delivered", false),
            ("delivered", "delivered", false),
        ];
        for (current, incoming, expected) in cases {
            assert_eq!(supersedes(current, incoming), expected, "{current} then {incoming}");
        }
    }

    #[test]
    fn copy_rank_keeps_the_server_rank_order() {
        let states = ["queued", "sending", "failed", "sent", "enroute", "rejected", "delivered", "seen"];
        for pair in states.windows(2) {
            assert!(rank(pair[0]) <= rank(pair[1]), "{pair:?}");
            assert!(copy_rank(pair[0]) < copy_rank(pair[1]), "{pair:?}");
        }
    }
}
