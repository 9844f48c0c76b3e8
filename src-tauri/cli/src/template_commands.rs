//! `caredesk templates list|add|edit|remove`, and the local time of
//! `caredesk send --at`.

use caredesk_core::{desk::Desk, rules::error::CoreError, rules::visible_text::visible, store::templates::Template};

use crate::{args::TemplateAction, output::line};

pub fn run(desk: &Desk, action: Option<TemplateAction>, json: bool) -> Result<(), CoreError> {
    match action.unwrap_or(TemplateAction::List) {
        TemplateAction::List => list(&desk.templates()?, json),
        TemplateAction::Add { name, text } => one(&desk.add_template(&name, &text)?, "added", json),
        TemplateAction::Edit { name, text } => one(&desk.edit_template(&name, &text)?, "changed", json),
        TemplateAction::Remove { name } => {
            desk.remove_template(&name)?;
            if json {
                line(serde_json::json!({ "removed": name.trim() }));
            } else {
                line(format!("template {:?} removed", visible(name.trim())));
            }
        }
    }
    Ok(())
}

fn list(templates: &[Template], json: bool) {
    if json {
        line(serde_json::to_string_pretty(templates).expect("templates serialize"));
        return;
    }
    if templates.is_empty() {
        line("no templates yet: caredesk templates add NAME --text TEXT");
    }
    for t in templates {
        line(format!("{}: {}", visible(&t.name), visible(&t.text)));
    }
}

fn one(template: &Template, done: &str, json: bool) {
    if json {
        line(serde_json::to_string_pretty(template).expect("a template serializes"));
    } else {
        line(format!("template {:?} {done}: {}", visible(&template.name), visible(&template.text)));
    }
}
