//! `caredesk team init|add-member|status`. The administrator's commands
//! read the administrator's password (and a new role's) from standard
//! input, never from an argument or the environment, and use no data
//! directory; `status` connects as this desk's member.

use std::io::{BufRead, IsTerminal};

use caredesk_core::{
    desk::{setup_error::GatewayConfigError, Desk},
    gateways::team_db::{self, ConnectOptions, TeamDb, TeamDbError, TeamStatus},
    rules::{error::CoreError, secret::Secret, team_url::TeamUrl, visible_text::visible},
    store::team::{Note, TeamThread},
};

use crate::{gateway_commands::runtime, output::line};

/// `team init --admin-url URL`: creates or migrates the team schema.
pub fn init(admin_url: &str) -> Result<(), CoreError> {
    let opts = admin_options(admin_url)?;
    let report = runtime()?.block_on(async {
        let mut db = TeamDb::connect(&opts).await?;
        team_db::init(&mut db).await
    })?;
    let place = format!("database {} on {}", opts.url.database, opts.url.server());
    match report.from {
        _ if report.applied.is_empty() => {
            line(format!("the team schema in {place} is at version {}: nothing to do", report.to))
        }
        None => {
            line(format!("created the team schema at version {} in {place} ({})", report.to, report.applied.join(", ")))
        }
        Some(from) => line(format!(
            "migrated the team schema in {place} from version {from} to {} ({})",
            report.to,
            report.applied.join(", ")
        )),
    }
    Ok(())
}

/// `team add-member ROLE --name NAME --admin-url URL [--create-role]`.
pub fn add_member(admin_url: &str, role: &str, name: &str, create_role: bool) -> Result<(), CoreError> {
    let url = parse(admin_url)?;
    let mut asked = vec![format!("the password of the administrator role {}", url.role)];
    if create_role {
        asked.push(format!("the password for the new role {role}"));
    }
    let mut secrets = read_secrets(&asked)?;
    let new_password = if create_role { secrets.pop() } else { None };
    let opts = ConnectOptions::admin(url, secrets.remove(0));
    let added = runtime()?.block_on(async {
        let mut db = TeamDb::connect(&opts).await?;
        team_db::add_member(&mut db, role, name, new_password.as_ref()).await
    })?;
    let what = match (added.created_role, added.was_member) {
        (true, _) => "role created; ",
        (false, true) => "display name updated; ",
        (false, false) => "",
    };
    line(format!(
        "{} ({}) is a member of the team ({what}its desk sets team.database_url to postgres://{}@{}/{})",
        added.role,
        added.display_name,
        added.role,
        opts.url.server(),
        opts.url.database
    ));
    Ok(())
}

/// `team status [--json]`, as this desk's member: the team database, and
/// where this desk's sync stands (also when the database is out of reach:
/// printed on standard error before the error).
pub fn status(desk: &Desk, json: bool) -> Result<(), CoreError> {
    let opts = desk.team_connection()?.ok_or(GatewayConfigError::TeamModeOff)?;
    let local = desk.db().team_state()?;
    let status = runtime()?.block_on(async {
        let db = TeamDb::open(&opts).await?;
        team_db::status(&db).await
    });
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", sync_line(&local));
            return Err(e.into());
        }
    };
    if json {
        #[derive(serde::Serialize)]
        struct Connected<'a> {
            connected: bool,
            /// This desk's id (in its sessions' names and its User-Agent).
            desk_id: String,
            #[serde(flatten)]
            status: &'a TeamStatus,
            /// This desk's sync: changes waiting, the position applied.
            sync: &'a caredesk_core::store::team::LocalTeamState,
        }
        line(
            serde_json::to_string_pretty(&Connected {
                connected: true,
                desk_id: desk.desk_id()?.to_string(),
                status: &status,
                sync: &local,
            })
            .expect("status serializes"),
        );
        return Ok(());
    }
    line(format!("connected to database {} on {} as {}", status.database, status.server, status.role));
    line(format!("this desk: {}", desk.desk_id()?));
    line(sync_line(&local));
    line(format!("team schema version: {}", status.schema_version));
    line(format!("members: {}", status.members.len()));
    for m in &status.members {
        line(format!("  {:<20} {:<30} added {}", m.role, m.display_name, m.added_at.format("%Y-%m-%d")));
    }
    line(format!("change log head: {}", status.log_head));
    match &status.poller {
        None => line("poller: no desk holds the poller lock"),
        Some(p) => line(format!(
            "poller: {} ({})",
            p.role.as_deref().unwrap_or("a session"),
            p.desk_id.map(|d| format!("desk {d}")).unwrap_or_else(|| p.application_name.clone())
        )),
    }
    Ok(())
}

/// This desk's sync in one line.
fn sync_line(s: &caredesk_core::store::team::LocalTeamState) -> String {
    let mut out =
        format!("this desk: {} change(s) waiting to be pushed, log position {} applied", s.waiting, s.applied);
    match (s.link.as_deref(), &s.link_since) {
        (Some(link), Some(since)) => out.push_str(&format!("; the sync was {link} at its last word ({since})")),
        (Some(link), None) => out.push_str(&format!("; the sync was {link} at its last word")),
        _ => out.push_str("; no sync has run yet (caredesk sync, or the app)"),
    }
    if let Some(e) = &s.last_error {
        out.push_str(&format!(": {}", visible(e)));
    }
    out
}

/// A thread's team state after `assign`, `close` or `reopen`.
pub fn thread_state(t: &TeamThread, json: bool) {
    if json {
        line(serde_json::to_string_pretty(t).expect("a thread serializes"));
        return;
    }
    let whom = match (&t.assigned_to, &t.assigned_to_name) {
        (Some(role), Some(name)) => format!("assigned to {} ({})", visible(name), visible(role)),
        (Some(role), None) => format!("assigned to {}", visible(role)),
        (None, _) => "unassigned".to_string(),
    };
    let pending = if t.pending { " (waiting to reach the team; a colleague's earlier change would win)" } else { "" };
    line(format!("patient {}: {whom}, {}{pending}", t.patient_id, t.status.as_str()));
}

/// A note just added.
pub fn note(n: &Note, json: bool) {
    if json {
        line(serde_json::to_string_pretty(n).expect("a note serializes"));
    } else {
        line(format!("note added to patient {}'s thread by {}", n.patient_id, visible(&n.author_name)));
    }
}

/// A thread's notes.
pub fn notes(notes: &[Note], json: bool) {
    if json {
        line(serde_json::to_string_pretty(notes).expect("notes serialize"));
        return;
    }
    if notes.is_empty() {
        line("no notes");
    }
    for n in notes {
        line(format!("{}  {}: {}", n.at, visible(&n.author_name), visible(&n.text.replace('\n', " "))));
    }
}

fn parse(url: &str) -> Result<TeamUrl, CoreError> {
    Ok(TeamUrl::parse(url).map_err(TeamDbError::from)?)
}

fn admin_options(admin_url: &str) -> Result<ConnectOptions, CoreError> {
    let url = parse(admin_url)?;
    let password = read_secrets(&[format!("the password of the administrator role {}", url.role)])?.remove(0);
    Ok(ConnectOptions::admin(url, password))
}

/// One secret per line of standard input, in the order `asked` names them
/// (prompted for on a terminal).
fn read_secrets(asked: &[String]) -> Result<Vec<Secret>, CoreError> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    let mut lines = stdin.lock();
    let mut out = Vec::new();
    for what in asked {
        if terminal {
            eprintln!("Enter {what}, then press Enter:");
        }
        let mut buf = String::new();
        lines.read_line(&mut buf).map_err(|e| CoreError::Io(format!("cannot read {what} from standard input: {e}")))?;
        let secret = Secret::new(buf.trim_end_matches(['\r', '\n']).to_string());
        zeroize_string(&mut buf);
        if secret.expose().is_empty() {
            return Err(CoreError::Io(format!(
                "{what} is missing: give it on line {} of standard input",
                out.len() + 1
            )));
        }
        out.push(secret);
    }
    Ok(out)
}

fn zeroize_string(s: &mut String) {
    zeroize::Zeroize::zeroize(s);
}
