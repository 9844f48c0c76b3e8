//! `caredesk`: the command line over the same core as the app.

mod args;
mod backup_commands;
mod campaign_commands;
mod commands;
mod consent_commands;
mod engine_commands;
mod exit;
mod fhir_commands;
mod gateway_commands;
mod output;
mod people_commands;
mod team_commands;
mod template_commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAREDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .init();
    caredesk_core::desk::hardening::harden_release_process();
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            // Errors can quote a name or a server's text.
            eprintln!("error: {}", caredesk_core::rules::visible_text::visible(&e.to_string()));
            if e.code() == caredesk_core::rules::error::ErrorCode::NumberNotOnFile {
                eprintln!("hint: add --other-number to send to (or call) this number anyway");
            }
            exit::Exit::Error.into()
        }
    }
}
