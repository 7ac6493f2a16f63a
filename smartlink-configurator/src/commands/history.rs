//! `history`: the binding history, newest first, as a table for people or
//! as JSON (`--json`) for scripts. Local only; never writes; no entry holds
//! a secret.

use smartlink_core::messages::Locale;
use smartlink_core::{Actor, HISTORY_LIMIT, HistoryEntry};

use crate::exit;
use crate::report::state_error_text;
use crate::setup::Ctx;
use crate::texts::{render, text};

/// `history`: exit 0 (an empty history included), 6 when the state cannot
/// be read.
pub fn history(ctx: &Ctx, json: bool) -> u8 {
    let loc = ctx.locale;
    if let Some(problem) = &ctx.state_problem {
        errln!("{problem}");
        return exit::STATE;
    }
    let entries = match ctx.cfg.history() {
        Ok(entries) => entries,
        Err(e) => {
            errln!("{}", state_error_text(loc, ctx.cli.verbose, &e));
            return exit::STATE;
        }
    };
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&entries).expect("entries serialize")
        );
        return exit::OK;
    }
    if entries.is_empty() {
        outln!("{}", text(loc, "history.empty"));
        return exit::OK;
    }
    outln!(
        "{}",
        render(
            loc,
            "history.title",
            &[
                ("id", ctx.spec.id.as_str()),
                ("count", &entries.len().to_string()),
                ("limit", &HISTORY_LIMIT.to_string()),
            ],
        )
    );
    outln!();
    outln!("{}", table(loc, &entries));
    exit::OK
}

/// The entries as a table, one row each, columns padded to their widest
/// cell.
pub fn table(loc: Locale, entries: &[HistoryEntry]) -> String {
    let header: Vec<String> = [
        "history.col.at",
        "history.col.event",
        "history.col.actor",
        "history.col.machine",
        "history.col.environment",
        "history.col.details",
    ]
    .iter()
    .map(|k| text(loc, k).to_owned())
    .collect();
    let mut rows = vec![header];
    rows.extend(entries.iter().map(|e| row(loc, e)));
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = Vec::with_capacity(rows.len() + 1);
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        out.push(cells.join("  ").trim_end().to_owned());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push(rule.join("  "));
        }
    }
    out.join("\n")
}

fn row(loc: Locale, e: &HistoryEntry) -> Vec<String> {
    let event = text(loc, &format!("history.event.{}", e.event.as_str())).to_owned();
    let actor = match &e.actor {
        Actor::Administrator { name } => name.as_str().to_owned(),
        Actor::Transparent => text(loc, "history.actor.transparent").to_owned(),
        _ => text(loc, "history.actor.unnamed").to_owned(),
    };
    let machine = if e.process.is_empty() {
        e.machine.clone()
    } else {
        format!("{} ({})", e.machine, e.process)
    };
    let environment = match (&e.environment_name, &e.environment_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (Some(name), None) => name.to_string(),
        (None, Some(id)) => id.to_string(),
        (None, None) => "-".to_owned(),
    };
    let mut details = Vec::new();
    if let Some(r) = &e.replaced {
        details.push(render(
            loc,
            "history.replaced",
            &[
                ("name", r.installation_name.as_str()),
                ("id", r.installation_id.as_str()),
            ],
        ));
    }
    if let Some(code) = &e.code {
        details.push(render(loc, "history.code", &[("code", code.as_str())]));
    }
    if let Some(code) = &e.support_code {
        details.push(render(loc, "history.support", &[("code", code)]));
    }
    vec![
        e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        event,
        actor,
        machine,
        environment,
        details.join("; "),
    ]
}
