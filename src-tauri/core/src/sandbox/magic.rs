//! Magic numbers: recipients that make the sandbox fail in a known way, in
//! the spirit of Twilio's test credentials (`+1 500 555 0xxx`).
//!
//! | number         | HIS (spec 003)              | ECM SMS (spec 004)          | ECM call                    |
//! |----------------|-----------------------------|-----------------------------|-----------------------------|
//! | +15005550001   | 400 InvalidClientNumber     | 422 ... not a valid ... (21211) | 422 ... (21211)         |
//! | +15005550002   | delivered                   | 422 ... cannot be reached (21214) | 422 ... (21214)       |
//! | +15005550003   | delivered                   | 422 ... not enabled ... (21408) | completed               |
//! | +15005550004   | delivered                   | 422 ... unsubscribed recipient (21610) | completed        |
//! | +15005550006   | Enroute → Undeliverable     | sending → sent → undelivered | completed                  |
//! | +15005550007   | Rejected                    | sending → failed            | completed                   |
//! | +15005550008   | Enroute → Expired           | delivered                   | completed                   |
//! | +15005550009   | stays Enroute (no report)   | stays sent (no report)      | completed                   |
//! | +15005550011   | delivered                   | delivered                   | ringing → busy              |
//! | +15005550012   | delivered                   | delivered                   | ringing → no-answer         |
//! | +15005550013   | delivered                   | delivered                   | failed                      |
//!
//! Nothing sent to a magic number gets a simulated reply. The HIS compares
//! the digits (its wire has no `+`); ECM compares the normalized E.164 form,
//! so `(500) 555-0004` is the opted-out number too.

use crate::{gateways::ecm::wire::TwilioCode, gateways::his::wire::MessageState};

pub const INVALID_NUMBER: &str = "+15005550001";
pub const UNREACHABLE: &str = "+15005550002";
pub const SMS_NOT_PERMITTED: &str = "+15005550003";
pub const OPTED_OUT: &str = "+15005550004";
pub const UNDELIVERABLE: &str = "+15005550006";
pub const REJECTED: &str = "+15005550007";
pub const EXPIRED: &str = "+15005550008";
pub const NO_REPORT: &str = "+15005550009";
pub const CALL_BUSY: &str = "+15005550011";
pub const CALL_NO_ANSWER: &str = "+15005550012";
pub const CALL_FAILED: &str = "+15005550013";

/// Every magic number, for "does this get a reply" checks.
pub const ALL: [&str; 11] = [
    INVALID_NUMBER,
    UNREACHABLE,
    SMS_NOT_PERMITTED,
    OPTED_OUT,
    UNDELIVERABLE,
    REJECTED,
    EXPIRED,
    NO_REPORT,
    CALL_BUSY,
    CALL_NO_ANSWER,
    CALL_FAILED,
];

/// The hospital number of the sandbox HIS (`OperatorNumberId` 4). Replies
/// come to it.
pub const HOSPITAL_NUMBER: &str = "15550100000";
/// The sandbox HIS's sender name (`OperatorNumberId` 7). It can send, but no
/// one can reply to a name, so messages from it get no simulated reply.
pub const HOSPITAL_SENDER_NAME: &str = "CAREDESK";
/// The clinic's Twilio number, ECM's `from` (spec 004's example).
pub const ECM_CLINIC_NUMBER: &str = "+18059876543";
/// The sandbox ECM user: `performed_by_id` and `assigned_to_id`.
pub const ECM_USER_ID: i64 = 101;

fn same(number: &str, magic: &str) -> bool {
    number.trim_start_matches('+') == &magic[1..]
}

pub fn is_magic(number: &str) -> bool {
    ALL.iter().any(|m| same(number, m))
}

/// What the HIS does with an SMS to `to` (digits, `+` optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HisFate {
    /// Refused with 400 InvalidClientNumber.
    InvalidNumber,
    /// Accepted, then Enroute, then this final state (`None`: no report, stays Enroute).
    Final(Option<MessageState>),
    /// Accepted, then Rejected at the Enroute step.
    Rejected,
}

pub fn his_fate(to: &str) -> HisFate {
    if same(to, INVALID_NUMBER) {
        HisFate::InvalidNumber
    } else if same(to, UNDELIVERABLE) {
        HisFate::Final(Some(MessageState::Undeliverable))
    } else if same(to, REJECTED) {
        HisFate::Rejected
    } else if same(to, EXPIRED) {
        HisFate::Final(Some(MessageState::Expired))
    } else if same(to, NO_REPORT) {
        HisFate::Final(None)
    } else {
        HisFate::Final(Some(MessageState::Delivered))
    }
}

/// The Twilio error an ECM SMS to `to` (E.164) fails with at once, if any.
pub fn ecm_sms_error(to: &str) -> Option<TwilioCode> {
    match to {
        INVALID_NUMBER => Some(TwilioCode::InvalidTo),
        UNREACHABLE => Some(TwilioCode::Unreachable),
        SMS_NOT_PERMITTED => Some(TwilioCode::NotPermitted),
        OPTED_OUT => Some(TwilioCode::OptedOut),
        _ => None,
    }
}

/// The Twilio error an ECM call to `to` fails with at once: only the number
/// errors (SMS permission and SMS opt-out do not stop a call).
pub fn ecm_call_error(to: &str) -> Option<TwilioCode> {
    match to {
        INVALID_NUMBER => Some(TwilioCode::InvalidTo),
        UNREACHABLE => Some(TwilioCode::Unreachable),
        _ => None,
    }
}

/// The statuses an accepted ECM SMS to `to` goes through after `queued`.
pub fn ecm_sms_steps(to: &str) -> &'static [&'static str] {
    match to {
        UNDELIVERABLE => &["sending", "sent", "undelivered"],
        REJECTED => &["sending", "failed"],
        NO_REPORT => &["sending", "sent"],
        _ => &["sending", "sent", "delivered"],
    }
}

/// The statuses an accepted ECM call to `to` goes through after `queued`.
pub fn ecm_call_steps(to: &str) -> &'static [&'static str] {
    match to {
        CALL_BUSY => &["ringing", "busy"],
        CALL_NO_ANSWER => &["ringing", "no-answer"],
        CALL_FAILED => &["failed"],
        _ => &["ringing", "in-progress", "completed"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::phone::{normalize, Region};

    #[test]
    fn magic_numbers_are_valid_numbers_for_normalize() {
        for m in ALL {
            assert_eq!(normalize(m, Region::default()).unwrap().as_str(), m);
            assert_eq!(normalize(&m[2..], Region::default()).unwrap().as_str(), m);
        }
        assert_eq!(normalize("(500) 555-0004", Region::default()).unwrap().as_str(), OPTED_OUT);
    }

    #[test]
    fn fates_by_number() {
        assert_eq!(his_fate("15005550001"), HisFate::InvalidNumber);
        assert_eq!(his_fate("+15005550006"), HisFate::Final(Some(MessageState::Undeliverable)));
        assert_eq!(his_fate("15005550007"), HisFate::Rejected);
        assert_eq!(his_fate("15005550009"), HisFate::Final(None));
        assert_eq!(his_fate("18055550100"), HisFate::Final(Some(MessageState::Delivered)));
        assert_eq!(ecm_sms_error(OPTED_OUT), Some(TwilioCode::OptedOut));
        assert_eq!(ecm_call_error(OPTED_OUT), None);
        assert_eq!(ecm_call_steps(CALL_FAILED), &["failed"]);
        assert!(is_magic("15005550013") && !is_magic("18055550100"));
    }
}
