//! Each subcommand: parse, one core call, print.

use std::io::{IsTerminal, Read};

use caredesk_core::{
    desk::secrets::{Secret, SecretName},
    desk::team_threads::AssignTo,
    desk::Desk,
    desk::DeskOptions,
    engine::send::SmsRequest,
    rules::error::CoreError,
    store::team::ThreadStatus,
    store::Route,
};

use crate::{
    args::{
        AuditCommand, Cli, Command, ConfigCommand, CredentialsCommand, ExportCommand, FhirCommand, PatientsCommand,
        TeamCommand,
    },
    exit::Exit,
    output, people_commands as people,
};

/// Runs one command; `Err` is an error before anything happened (exit 1),
/// `Ok` how it ended (see [`Exit`]).
pub fn run(cli: Cli) -> Result<Exit, CoreError> {
    if let Command::Send { patient, to, other_number, text, template, at, urgent, via, json } = cli.command {
        let mut desk = Desk::open(DeskOptions { data_dir: cli.data_dir, ..Default::default() })?;
        desk.set_role("caredesk send");
        let text = match (text, template) {
            (_, Some(name)) => desk.merge_template(&name, &patient, &Default::default())?,
            (Some(text), None) => text,
            (None, None) => unreachable!("clap requires --text or --template"),
        };
        let at = at.map(|at| caredesk_core::engine::outbox::send_at(&desk, &at)).transpose()?;
        let req = SmsRequest { patient, to, text, via: via.as_deref().and_then(Route::parse), other_number };
        return crate::gateway_commands::send(desk, req, at, urgent, json);
    }
    if let Command::Fhir(FhirCommand::Check { json }) = cli.command {
        let desk = Desk::open(DeskOptions { data_dir: cli.data_dir, ..Default::default() })?;
        return crate::fhir_commands::check(desk, json).map(|ok| if ok { Exit::Ok } else { Exit::Error });
    }
    if let Command::Audit { command: Some(AuditCommand::Verify { json }), .. } = cli.command {
        let desk = Desk::open(DeskOptions { data_dir: cli.data_dir, ..Default::default() })?;
        let report = desk.db().verify_audit()?;
        output::audit_verification(&report, json);
        return Ok(if report.problem.is_some() { Exit::Error } else { Exit::Ok });
    }
    run_other(cli).map(|()| Exit::Ok)
}

fn run_other(cli: Cli) -> Result<(), CoreError> {
    // The sandbox needs no data directory.
    if let Command::Sandbox { port, no_replies, fast, seed, profile, server_zone } = cli.command {
        let profile = caredesk_core::sandbox::Profile::parse(&profile).unwrap_or_default();
        return crate::gateway_commands::sandbox(port, no_replies, fast, seed, profile, server_zone);
    }
    if let Command::Restore { file } = &cli.command {
        return crate::backup_commands::restore(cli.data_dir, file);
    }
    // The administrator's team commands need no data directory.
    match cli.command {
        Command::Team(TeamCommand::Init { admin_url }) => return crate::team_commands::init(&admin_url),
        Command::Team(TeamCommand::AddMember { role, name, admin_url, create_role }) => {
            return crate::team_commands::add_member(&admin_url, &role, &name, create_role)
        }
        _ => {}
    }
    let mut desk = Desk::open(DeskOptions { data_dir: cli.data_dir, ..Default::default() })?;
    desk.set_role("the caredesk command");
    match cli.command {
        Command::Numbers { json } => crate::gateway_commands::numbers(desk, json),
        Command::Send { .. } => unreachable!("handled in run"),
        Command::Call { patient, to, other_number, json } => {
            crate::gateway_commands::call(desk, patient, to, other_number, json)
        }
        Command::Sandbox { .. } => unreachable!("handled above"),
        Command::Export(c) => export(&desk, c),
        Command::Sync { once, json } => crate::engine_commands::sync(desk, once, json),
        Command::Outbox { action: Some(crate::args::OutboxAction::Undo { message_id }), json } => {
            crate::engine_commands::undo(&desk, message_id, json)
        }
        Command::Templates { action, json } => crate::template_commands::run(&desk, action, json),
        Command::Invite { patient, to, json } => crate::consent_commands::invite(desk, &patient, to.as_deref(), json),
        Command::Consent { patient, json } => crate::consent_commands::consent(&desk, &patient, json),
        Command::Revocations { action, json } => crate::consent_commands::revocations(&desk, action, json),
        Command::Campaign(c) => crate::campaign_commands::run(desk, c),
        Command::Outbox { action: None, json } => crate::engine_commands::outbox(desk, json),
        Command::Threads { json } => crate::engine_commands::threads(&desk, json),
        Command::Thread { patient, search, json } => {
            crate::engine_commands::thread(&desk, &patient, search.as_deref(), json)
        }
        Command::Assign { patient, to, me, none: _, json } => {
            let whom = match (to, me) {
                (Some(role), _) => AssignTo::Member(role),
                (None, true) => AssignTo::Me,
                (None, false) => AssignTo::Nobody,
            };
            crate::team_commands::thread_state(&desk.assign_thread(&patient, &whom)?, json);
            Ok(())
        }
        Command::Note { patient, text, json } => {
            crate::team_commands::note(&desk.add_note(&patient, &text)?, json);
            Ok(())
        }
        Command::Notes { patient, json } => {
            crate::team_commands::notes(&desk.thread_notes(&patient)?, json);
            Ok(())
        }
        Command::Close { patient, json } => {
            crate::team_commands::thread_state(&desk.set_thread_status(&patient, ThreadStatus::Closed)?, json);
            Ok(())
        }
        Command::Reopen { patient, json } => {
            crate::team_commands::thread_state(&desk.set_thread_status(&patient, ThreadStatus::Open)?, json);
            Ok(())
        }
        Command::Read { patient } => crate::engine_commands::read(&desk, &patient),
        Command::Link { number, patient, name, relationship } => {
            let contact = caredesk_core::store::LinkContact { name, relationship };
            crate::engine_commands::link(&desk, &number, &patient, &contact)
        }
        Command::TestSms { to, via } => crate::engine_commands::test_sms(desk, to, via),
        Command::Audit { command, json, limit } => {
            let (json, limit) = match command {
                Some(AuditCommand::List { json, limit }) => (json, limit),
                Some(AuditCommand::Verify { .. }) => unreachable!("handled in run"),
                None => (json, limit),
            };
            output::audit(&desk.db().audit_entries(limit).map_err(CoreError::from)?, json);
            Ok(())
        }
        Command::Backup { file } => crate::backup_commands::backup(&desk, &file),
        Command::Restore { .. } => unreachable!("handled above"),
        Command::Rekey => crate::backup_commands::rekey(desk),
        Command::Config(c) => config(&desk, c),
        Command::Credentials(c) => credentials(&desk, c),
        Command::Patients(c) => patients(&mut desk, c),
        Command::Team(TeamCommand::Status { json }) => crate::team_commands::status(&desk, json),
        Command::Team(_) => unreachable!("handled above"),
        Command::Fhir(FhirCommand::Check { .. }) => unreachable!("handled in run"),
        Command::Fhir(FhirCommand::Pull { full, json }) => crate::fhir_commands::pull(desk, full, json),
        Command::Fhir(FhirCommand::Status { json }) => crate::fhir_commands::status(&desk, json),
        Command::Fhir(FhirCommand::Retry) => crate::fhir_commands::retry(&desk),
    }
}

fn config(desk: &Desk, command: ConfigCommand) -> Result<(), CoreError> {
    match command {
        ConfigCommand::Set { key, value } => {
            let stored = desk.set_setting(&key, &value)?;
            crate::output::line(format!("{key} = {stored}"));
        }
        ConfigCommand::Get { key } => match desk.setting(&key)? {
            Some(v) => println!("{v}"),
            None if key == "user.name" => println!("{}", desk.actor()),
            None => return Err(CoreError::Io(format!("{key} is not set"))),
        },
        ConfigCommand::Unset { key } => {
            if desk.unset_setting(&key)? {
                crate::output::line(format!("{key} unset"));
            } else {
                crate::output::line(format!("{key} was not set"));
            }
        }
        ConfigCommand::List { json } => output::settings(&desk.settings()?, json),
    }
    Ok(())
}

fn credentials(desk: &Desk, command: CredentialsCommand) -> Result<(), CoreError> {
    match command {
        CredentialsCommand::Set { name } => {
            let name: SecretName = name.parse().map_err(CoreError::from)?;
            if std::io::stdin().is_terminal() {
                eprintln!("Enter the secret for {name}, then press Enter and Ctrl+D:");
            }
            let mut buf = String::new();
            std::io::stdin()
                .read_to_string(&mut buf)
                .map_err(|e| CoreError::Io(format!("cannot read the secret from standard input: {e}")))?;
            let secret = Secret::new(buf.trim_end_matches(['\r', '\n']).to_string());
            buf.clear();
            desk.set_credential(name, &secret)?;
            crate::output::line(format!("{name} stored in the OS keyring"));
        }
        CredentialsCommand::Delete { name } => {
            let name: SecretName = name.parse().map_err(CoreError::from)?;
            if desk.delete_credential(name)? {
                crate::output::line(format!("{name} deleted"));
            } else {
                crate::output::line(format!("{name} was not stored"));
            }
        }
        CredentialsCommand::List { json } => output::credentials(&desk.credential_status()?, json),
    }
    Ok(())
}

fn patients(desk: &mut Desk, command: PatientsCommand) -> Result<(), CoreError> {
    match command {
        PatientsCommand::Import { file, json } => {
            let mut last_pct = usize::MAX;
            let show = std::io::stderr().is_terminal() || std::env::var_os("CAREDESK_PROGRESS").is_some();
            let summary = desk.import_patients_file(&file, &mut |p| {
                let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
                if show && pct != last_pct {
                    eprint!("\rimporting: {}/{} rows ({pct}%)", p.done, p.total);
                    last_pct = pct;
                }
            })?;
            if show {
                eprintln!();
            }
            output::import_summary(&summary, json);
        }
        PatientsCommand::List { json, search } => {
            let list = desk.patients(search.as_deref().unwrap_or(""), usize::MAX >> 1)?;
            output::patients(&list, json);
        }
        PatientsCommand::Add {
            name,
            ecm_id,
            phone,
            contact_name,
            contact_relationship,
            contact_phone,
            time_zone,
            json,
        } => {
            let add = people::Add { name, ecm_id, phone, contact_name, contact_relationship, contact_phone, time_zone };
            people::add(desk, add, json)?;
        }
        PatientsCommand::Edit {
            patient,
            name,
            ecm_id,
            no_ecm_id,
            add_phone,
            add_contact_phone,
            add_contact_name,
            add_contact_relationship,
            deactivate_phone,
            opt_out,
            opt_in,
            time_zone,
            json,
        } => {
            let edit = people::Edit {
                name,
                ecm_id,
                no_ecm_id,
                add_phone,
                add_contact_phone,
                add_contact_name,
                add_contact_relationship,
                deactivate_phone,
                opt_out,
                opt_in,
                time_zone,
            };
            people::edit(desk, &patient, edit, json)?;
        }
    }
    Ok(())
}

fn write_out(path: Option<&std::path::Path>, text: &str) -> Result<(), CoreError> {
    match path {
        Some(p) => caredesk_core::records::export_file::write_export(p, text.as_bytes()),
        None => {
            output::line(text.trim_end());
            Ok(())
        }
    }
}

fn export(desk: &Desk, command: ExportCommand) -> Result<(), CoreError> {
    match command {
        ExportCommand::Activities { from, to, format, output } => {
            let rows = desk.export_activities(from.as_deref(), to.as_deref())?;
            let text = if format == "json" {
                serde_json::to_string_pretty(&rows).expect("rows serialize")
            } else {
                caredesk_core::records::export::activities_csv(&rows)
            };
            write_out(output.as_deref(), &text)
        }
        ExportCommand::Fhir { patient, output } => {
            let bundle = desk.export_fhir(patient.as_deref())?;
            write_out(output.as_deref(), &serde_json::to_string_pretty(&bundle).expect("bundle serializes"))
        }
    }
}
