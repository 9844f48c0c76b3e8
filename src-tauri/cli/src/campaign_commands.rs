//! `caredesk campaign create|preview|start|pause|resume|cancel|status|report|list`.
//! `start` and `resume` send the campaign in this process (feeding the
//! outbox and draining it at the rate) until it is done, paused or
//! cancelled, with a progress line on standard error.

use std::{
    io::IsTerminal,
    sync::{Arc, Mutex},
    time::Duration,
};

use caredesk_core::{
    desk::Desk,
    engine::{self, campaign, outbox},
    rules::campaign::{Action, CampaignState, Caps},
    rules::error::CoreError,
    rules::visible_text::visible,
    store::{campaigns::Campaign, Route},
};
use chrono::Utc;
use serde_json::json;

use crate::{
    args::CampaignCommand,
    gateway_commands::{connect, runtime},
    output::line,
};

pub fn run(desk: Desk, command: CampaignCommand) -> Result<(), CoreError> {
    match command {
        CampaignCommand::Create {
            name,
            template,
            recipients,
            all,
            search,
            at,
            cap_day,
            cap_week,
            answers,
            answer_hours,
            via,
            json,
        } => {
            let who =
                match (recipients, all, search) {
                    (Some(file), _, _) => campaign::Recipients::Csv(std::fs::read_to_string(&file).map_err(|e| {
                        CoreError::Io(format!("cannot read the recipients file {}: {e}", file.display()))
                    })?),
                    (None, true, _) => campaign::Recipients::All,
                    (None, false, Some(q)) => campaign::Recipients::Search(q),
                    (None, false, None) => unreachable!("clap requires one"),
                };
            let req = campaign::CampaignRequest {
                name,
                template,
                recipients: who,
                start_at: at.map(|at| caredesk_core::engine::outbox::send_at(&desk, &at)).transpose()?,
                caps: Caps::or_default(cap_day, cap_week),
                answers: answers.unwrap_or_default(),
                answer_window_hours: answer_hours,
                via: via.as_deref().and_then(Route::parse),
            };
            let c = campaign::create(&desk, &req, Utc::now())?;
            let counts = desk.db().campaign_counts(c.id).map_err(CoreError::from)?;
            if json {
                line(json!({ "id": c.id, "total": counts.total, "skipped": counts.skipped.len() }));
            } else {
                line(c.id);
                eprintln!(
                    "campaign {} {:?} created (a draft): {} recipients, {} skipped; `caredesk campaign preview {}` shows every text",
                    c.id,
                    visible(&c.name),
                    counts.total,
                    counts.skipped.len(),
                    c.id
                );
            }
            Ok(())
        }
        CampaignCommand::Preview { id, limit, json } => {
            let p = campaign::preview(&desk, id, limit)?;
            if json {
                line(serde_json::to_string_pretty(&p).expect("a preview serializes"));
                return Ok(());
            }
            for m in &p.messages {
                let who = m
                    .patient_id
                    .map_or_else(|| format!("ecm:{}", m.ecm_patient_id.unwrap_or_default()), |id| id.to_string());
                match (&m.text, &m.skipped) {
                    (Some(text), None) => line(format!(
                        "{who} {}: {} ({} segment(s))",
                        visible(m.number.as_deref().unwrap_or_default()),
                        visible(text),
                        m.size.map(|s| s.segments).unwrap_or_default()
                    )),
                    _ => line(format!(
                        "{who}: skipped, {} ({})",
                        m.skipped.as_deref().unwrap_or_default(),
                        visible(m.detail.as_deref().unwrap_or_default())
                    )),
                }
            }
            line(format!(
                "{} recipients, {} texts, {} segments, {} skipped",
                p.counts.total,
                p.counts.total - p.counts.skipped.len() as u64,
                p.segments,
                p.counts.skipped.len()
            ));
            Ok(())
        }
        CampaignCommand::Start { id, detach, json } => start(desk, id, Action::Start, detach, json),
        CampaignCommand::Resume { id, detach, json } => start(desk, id, Action::Resume, detach, json),
        CampaignCommand::Pause { id } => state_line(&campaign::act(&desk, id, Action::Pause, Utc::now())?),
        CampaignCommand::Cancel { id } => state_line(&campaign::act(&desk, id, Action::Cancel, Utc::now())?),
        CampaignCommand::Status { id, json } => {
            print_status(&desk, id, json)?;
            Ok(())
        }
        CampaignCommand::Report { id, output } => {
            let text = caredesk_core::records::campaign_report::csv(&desk, id)?;
            caredesk_core::records::export_file::write_export(&output, text.as_bytes())?;
            line(format!("report of campaign {id} written to {}", output.display()));
            Ok(())
        }
        CampaignCommand::List { json } => {
            let list = campaign::list(&desk)?;
            // Team mode: colleagues' campaigns, read-only, after this desk's own.
            let colleagues: Vec<_> = campaign::statuses(&desk)?.into_iter().filter(|s| s.runs_on.is_some()).collect();
            if json {
                let mut all = serde_json::to_value(&list).expect("campaigns serialize");
                let theirs = serde_json::to_value(&colleagues).expect("campaigns serialize");
                if let (Some(all), Some(theirs)) = (all.as_array_mut(), theirs.as_array()) {
                    all.extend(theirs.iter().cloned());
                }
                line(serde_json::to_string_pretty(&all).expect("campaigns serialize"));
            } else {
                for c in &list {
                    line(format!(
                        "{} {} ({}): template {}",
                        c.id,
                        visible(&c.name),
                        c.state.as_str(),
                        visible(&c.template)
                    ));
                }
                for c in &colleagues {
                    line(format!(
                        "{} {} ({}): runs on {}'s desk, {}/{} sent",
                        c.id,
                        visible(&c.name),
                        c.state.as_str(),
                        visible(c.runs_on.as_deref().unwrap_or_default()),
                        c.counts.sent,
                        c.counts.total
                    ));
                }
            }
            Ok(())
        }
    }
}

fn state_line(c: &Campaign) -> Result<(), CoreError> {
    line(format!("campaign {}: {}", c.id, c.state.as_str()));
    Ok(())
}

/// `campaign status`: the fields the CLI documents, as JSON or a summary.
fn print_status(desk: &Desk, id: i64, json: bool) -> Result<(), CoreError> {
    let s = campaign::status(desk, id)?;
    if json {
        line(serde_json::to_string_pretty(&s).expect("a status serializes"));
        return Ok(());
    }
    let c = &s.counts;
    line(format!(
        "campaign {} {:?}: {}; {} recipients: {} sent ({} delivered), {} failed, {} pending, {} skipped, {} replied",
        s.id,
        visible(&s.name),
        s.state.as_str(),
        c.total,
        c.sent,
        c.delivered,
        c.failed,
        c.pending,
        c.skipped.len(),
        c.replied
    ));
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for k in &c.skipped {
        *reasons.entry(k.reason.as_str()).or_default() += 1;
    }
    for (reason, n) in reasons {
        line(format!("  skipped, {reason}: {n}"));
    }
    for (answer, n) in &c.answers {
        line(format!("  answered {}: {n}", visible(answer)));
    }
    Ok(())
}

/// Starts (or resumes) the campaign, then, unless `detach`, sends it here.
fn start(mut desk: Desk, id: i64, action: Action, detach: bool, json: bool) -> Result<(), CoreError> {
    let c = campaign::act(&desk, id, action, Utc::now())?;
    if detach || !c.state.feeds() {
        return state_line(&c);
    }
    if desk.team_mode()? {
        // In team mode a campaign runs where the team sync holds its lock.
        eprintln!("note: in team mode campaign {id} runs with the app or `caredesk sync` on this desk");
        return state_line(&c);
    }
    desk.set_role("caredesk campaign");
    let desk = Arc::new(Mutex::new(desk));
    runtime()?.block_on(async {
        let stop = crate::engine_commands::stop_signal()?;
        tokio::pin!(stop);
        if let Some(holder) = outbox::take_sending(&desk)? {
            eprintln!("note: {} It sends campaign {id}.", engine::sending_elsewhere(&holder));
            return Ok(());
        }
        let gw = connect(&desk).await?;
        let (limiter, policy) = {
            let d = desk.lock().expect("desk lock");
            (outbox::SendLimiter::from_desk(&d)?, outbox::Policy::from_desk(&d))
        };
        let show = std::io::stderr().is_terminal() || std::env::var_os("CAREDESK_PROGRESS").is_some();
        let mut stopped_by = None;
        loop {
            let fed = campaign::feed(&desk, limiter.rate_per_sec(), Utc::now())?;
            let drained = tokio::select! {
                r = outbox::drain_with(&desk, outbox::Targets::new(&gw), &limiter, engine::DRAIN_BATCH, &policy) => r?,
                why = &mut stop => {
                    stopped_by = Some(why);
                    break;
                }
            };
            let progress = fed.progress.iter().find(|p| p.campaign_id == id).cloned();
            if show {
                if let Some(p) = &progress {
                    let eta = p.eta_secs.map(|s| format!(", ETA {}:{:02}", s / 60, s % 60)).unwrap_or_default();
                    let wait =
                        p.waiting_until.as_deref().map(|t| format!(", quiet hours until {t}")).unwrap_or_default();
                    eprint!(
                        "\rcampaign {id}: {}/{} queued, {} skipped, {} in the outbox{eta}{wait}   ",
                        p.queued, p.total, p.skipped, p.in_outbox
                    );
                }
            }
            let state = {
                let d = desk.lock().expect("desk lock");
                let c = campaign::get(&d, id)?;
                (c.state, d.db().campaign_open_texts(id).map_err(CoreError::from)?)
            };
            match state {
                (CampaignState::Done, _) => break,
                (s, 0) if !s.feeds() => break,
                _ => {}
            }
            let wait = drained.next_in_ms.map(Duration::from_millis).unwrap_or(Duration::from_millis(200));
            tokio::select! {
                _ = tokio::time::sleep(wait.clamp(Duration::from_millis(5), Duration::from_secs(1))) => {}
                why = &mut stop => {
                    stopped_by = Some(why);
                    break;
                }
            }
        }
        if show {
            eprintln!();
        }
        if let Some(why) = stopped_by {
            let released = outbox::release_claims(&desk)?;
            eprintln!(
                "stopped by {why}: campaign {id} goes on with the app or `caredesk sync`{}",
                if released > 0 { "; the texts in hand are checked before any retry" } else { "" }
            );
        }
        gw.shutdown().await;
        print_status(&desk.lock().expect("desk lock"), id, json)
    })
}
