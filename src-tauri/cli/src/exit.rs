//! The exit statuses of `caredesk`, in one place: `main` returns them,
//! `caredesk send --help` lists them, scripts branch on them.

use caredesk_core::engine::send::SendStatus;

/// How a `caredesk` command ends. The numbers never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; for `send`, the gateway accepted the message.
    Ok,
    /// 1: an error before anything was queued (bad input, not configured),
    /// or any other command's failure; the error is on stderr.
    Error,
    /// 2: a usage error (unknown option, missing argument). clap exits with
    /// it itself; listed so the numbers stay documented in one place.
    Usage,
    /// 3: `send` was refused: not sent, and not retried; the reason is on stderr.
    Refused,
    /// 4: `send` is queued or retrying: it waits in the outbox and goes out later.
    Queued,
    /// 5: `send` is being checked: it may have reached the hospital SMS
    /// server, which CareDesk checks before any retry (never sent twice).
    Checking,
    /// 6: `send` is uncertain: it may have gone; a person must check (the
    /// patient's ECM activity) before sending again; the reason is on stderr.
    Uncertain,
}

impl Exit {
    /// Every status, in order.
    pub const ALL: [Exit; 7] =
        [Exit::Ok, Exit::Error, Exit::Usage, Exit::Refused, Exit::Queued, Exit::Checking, Exit::Uncertain];

    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Error => 1,
            Exit::Usage => 2,
            Exit::Refused => 3,
            Exit::Queued => 4,
            Exit::Checking => 5,
            Exit::Uncertain => 6,
        }
    }

    /// One line for `--help`.
    pub const fn summary(self) -> &'static str {
        match self {
            Exit::Ok => "accepted by the gateway",
            Exit::Error => "error before anything was queued (bad input, not configured)",
            Exit::Usage => "usage error (unknown option, missing argument)",
            Exit::Refused => "refused: not sent (the reason is on stderr)",
            Exit::Queued => "queued or retrying: waits in the outbox and goes out later",
            Exit::Checking => "checking: may have reached the hospital SMS server; checked before any retry",
            Exit::Uncertain => "uncertain: may have gone; a person must check before sending again (reason on stderr)",
        }
    }

    /// The exit status of a send that got as far as the outbox.
    pub fn of_send(status: SendStatus) -> Exit {
        match status {
            SendStatus::Accepted => Exit::Ok,
            SendStatus::Refused => Exit::Refused,
            SendStatus::Queued | SendStatus::Retrying => Exit::Queued,
            SendStatus::Checking => Exit::Checking,
            SendStatus::Uncertain => Exit::Uncertain,
        }
    }

    /// Whether the error text also goes to stderr.
    pub fn is_failure(self) -> bool {
        matches!(self, Exit::Error | Exit::Usage | Exit::Refused | Exit::Uncertain)
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// The "Exit status" section of `caredesk send --help`.
pub fn send_help() -> String {
    let mut text = String::from("Exit status:");
    for e in Exit::ALL {
        text.push_str(&format!("\n  {}  {}", e.code(), e.summary()));
    }
    text
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn each_send_status_has_its_own_documented_code() {
        let cases = [
            (SendStatus::Accepted, Exit::Ok, 0),
            (SendStatus::Refused, Exit::Refused, 3),
            (SendStatus::Queued, Exit::Queued, 4),
            (SendStatus::Retrying, Exit::Queued, 4),
            (SendStatus::Checking, Exit::Checking, 5),
            (SendStatus::Uncertain, Exit::Uncertain, 6),
        ];
        for (status, exit, code) in cases {
            assert_eq!((Exit::of_send(status), Exit::of_send(status).code()), (exit, code), "{status:?}");
        }
        let failures: Vec<u8> = cases.iter().map(|c| c.1).filter(|e| e.is_failure()).map(Exit::code).collect();
        assert_eq!(failures, [3, 6], "the error text goes to stderr for refused and uncertain only");
    }

    #[test]
    fn codes_are_distinct_and_in_order() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn send_help_lists_every_code() {
        let help = crate::args::Cli::try_parse_from(["caredesk", "send", "--help"]).unwrap_err().to_string();
        for e in Exit::ALL {
            assert!(help.contains(&format!("  {}  {}", e.code(), e.summary())), "{e:?} missing from:\n{help}");
        }
    }

    #[test]
    fn clap_usage_errors_exit_with_usage() {
        let e = crate::args::Cli::try_parse_from(["caredesk", "send", "--text", "hi"]).unwrap_err();
        assert_eq!(e.exit_code(), i32::from(Exit::Usage.code()));
    }
}
