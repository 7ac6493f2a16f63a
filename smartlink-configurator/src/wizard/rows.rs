//! The rows of the environment list and the prose around them, fitted to
//! the terminal's width.

use smartlink_core::Availability;
use smartlink_core::EnvironmentChoice;
use smartlink_core::EnvironmentName;
use smartlink_core::messages::{Locale, availability_text, kind_label, line_label};

use crate::setup::Ctx;
use crate::texts::{render, text};
use crate::ui::MenuItem;

/// Columns the rows may use: the terminal's width, 80 when not a terminal.
pub fn width(ctx: &Ctx) -> usize {
    if ctx.tty {
        let (_, cols) = dialoguer::console::Term::stderr().size();
        cols as usize
    } else {
        80
    }
}

/// Wraps prose at word boundaries to fit `width` columns.
pub fn wrap(text: &str, width: usize) -> String {
    let measure = dialoguer::console::measure_text_width;
    let max = width.saturating_sub(1).max(20);
    let mut out = String::new();
    for (n, paragraph) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && measure(&line) + 1 + measure(word) > max {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
    }
    out
}

pub fn fit(s: &str, width: usize) -> String {
    dialoguer::console::truncate_str(s, width.saturating_sub(1), "…").into_owned()
}

pub fn pad(s: &str, w: usize) -> String {
    dialoguer::console::pad_str(s, w, dialoguer::console::Alignment::Left, None).into_owned()
}

/// The bindings of an environment, one phrase.
pub fn bindings_text(ctx: &Ctx, choice: &EnvironmentChoice) -> String {
    let loc = ctx.locale;
    let env = &choice.environment;
    if env.bindings.is_empty() {
        return text(loc, "choose.bindings_none").to_owned();
    }
    let list = env
        .bindings
        .iter()
        .map(|b| {
            let name = if b.installation_id == ctx.spec.id {
                text(loc, "cli.this_installation").to_owned()
            } else {
                b.installation_name.as_str().to_owned()
            };
            render(
                loc,
                "choose.binding",
                &[("line", line_label(b.line)), ("name", &name)],
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    render(loc, "cli.bindings", &[("list", &list)])
}

/// The short status of a choosable environment, for its row.
pub fn short_availability(loc: Locale, availability: &Availability) -> String {
    match availability {
        Availability::Selectable => text(loc, "cli.row_selectable").to_owned(),
        Availability::Regenerate => text(loc, "cli.row_regenerate").to_owned(),
        Availability::NeedsTypedConfirmation { .. } => text(loc, "cli.row_overwrite").to_owned(),
        Availability::Unavailable { .. } => text(loc, "cli.row_unavailable").to_owned(),
    }
}

/// Column widths of the environment rows: name, kind.
pub fn columns(ctx: &Ctx, choices: &[EnvironmentChoice]) -> (usize, usize) {
    let measure = dialoguer::console::measure_text_width;
    let name = choices
        .iter()
        .map(|c| measure(c.environment.name.as_str()))
        .max()
        .unwrap_or(0)
        .min(EnvironmentName::MAX_CHARS);
    let kind = choices
        .iter()
        .map(|c| measure(kind_label(ctx.locale, c.environment.kind)))
        .max()
        .unwrap_or(0);
    (name, kind)
}

/// One row per choosable environment (short columns); the bindings and the
/// full status are the details shown below the list.
pub fn environment_item(ctx: &Ctx, choice: &EnvironmentChoice, cols: (usize, usize)) -> MenuItem {
    let loc = ctx.locale;
    let env = &choice.environment;
    let label = format!(
        "{}  {}  {}",
        pad(env.name.as_str(), cols.0),
        pad(kind_label(loc, env.kind), cols.1),
        short_availability(loc, &choice.availability)
    );
    let mut detail = vec![bindings_text(ctx, choice)];
    let full = availability_text(loc, &choice.availability);
    if full != short_availability(loc, &choice.availability) {
        detail.push(full);
    }
    MenuItem::new(label).with_detail(detail)
}
