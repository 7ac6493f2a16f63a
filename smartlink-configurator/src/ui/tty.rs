//! The prompts on a terminal: a menu of one row per item, redrawn in place,
//! and an input line that never wraps.

use dialoguer::console::{self, Key, Term};

use super::{MenuItem, Prompter, UiError, Validator, io_error};

/// The lines of a menu drawn `width` columns wide, at most `height` rows:
/// the prompt, a window of the items around the highlighted one, then the
/// highlighted item's details. No line is wider than `width - 1`, so none
/// wraps and the menu can be erased exactly.
pub fn menu_lines(
    prompt: &str,
    items: &[MenuItem],
    highlighted: usize,
    width: usize,
    height: usize,
) -> Vec<String> {
    let fit = |s: &str| console::truncate_str(s, width.saturating_sub(1).max(8), "…").into_owned();
    let detail_rows: usize = items.iter().map(|i| i.detail.len()).max().unwrap_or(0);
    let room = height.saturating_sub(1 + detail_rows).max(3);
    let (first, last) = if items.len() <= room {
        (0, items.len())
    } else {
        let first = highlighted.saturating_sub(room / 2).min(items.len() - room);
        (first, first + room)
    };
    let mut lines = vec![fit(&format!("{} {prompt}:", console::style("?").yellow()))];
    for (i, item) in items.iter().enumerate().take(last).skip(first) {
        let row = if i == highlighted {
            let text = fit(&format!("❯ {}", item.label));
            console::style(text).cyan().bold().to_string()
        } else {
            fit(&format!("  {}", item.label))
        };
        lines.push(row);
    }
    if let Some(item) = items.get(highlighted) {
        for d in &item.detail {
            lines.push(console::style(fit(&format!("    {d}"))).dim().to_string());
        }
    }
    lines
}

pub struct TtyPrompter;

impl TtyPrompter {
    fn run_menu(
        term: &Term,
        prompt: &str,
        items: &[MenuItem],
        default: usize,
    ) -> std::io::Result<Option<usize>> {
        let mut at = default.min(items.len().saturating_sub(1));
        let mut drawn = 0;
        loop {
            let (rows, cols) = term.size();
            let lines = menu_lines(
                prompt,
                items,
                at,
                cols as usize,
                (rows as usize).saturating_sub(4),
            );
            term.clear_last_lines(drawn)?;
            for line in &lines {
                term.write_line(line)?;
            }
            drawn = lines.len();
            let n = items.len().max(1);
            match term.read_key()? {
                Key::ArrowUp | Key::Char('k') | Key::BackTab => at = (at + n - 1) % n,
                Key::ArrowDown | Key::Char('j') | Key::Tab => at = (at + 1) % n,
                Key::Home => at = 0,
                Key::End => at = n - 1,
                Key::Enter | Key::Char(' ') => {
                    term.clear_last_lines(drawn)?;
                    if let Some(item) = items.get(at) {
                        let width = cols as usize;
                        let done = format!("✔ {prompt} · {}", item.label);
                        let done =
                            console::truncate_str(&done, width.saturating_sub(1).max(8), "…");
                        term.write_line(&console::style(done).green().to_string())?;
                    }
                    return Ok(Some(at));
                }
                Key::Escape => {
                    term.clear_last_lines(drawn)?;
                    return Ok(None);
                }
                Key::CtrlC => {
                    return Err(std::io::Error::from(std::io::ErrorKind::Interrupted));
                }
                _ => {}
            }
        }
    }
}

impl Prompter for TtyPrompter {
    fn select(
        &self,
        prompt: &str,
        items: &[MenuItem],
        default: usize,
    ) -> Result<Option<usize>, UiError> {
        let term = Term::stderr();
        let _ = term.hide_cursor();
        let result = Self::run_menu(&term, prompt, items, default);
        let _ = term.show_cursor();
        result.map_err(io_error)
    }

    fn input(
        &self,
        prompt: &str,
        initial: Option<&str>,
        validator: Option<Validator>,
    ) -> Result<String, UiError> {
        let term = Term::stderr();
        run_input(&term, prompt, initial.unwrap_or(""), validator.as_ref()).map_err(io_error)
    }
}

/// The input line: `? prompt › text`, never wider than the terminal (a
/// long text scrolls: its end is shown), so it is always erased exactly.
/// A refused text is not offered again: the validator's message is shown
/// above an empty prompt. Only an accepted text gets the `✔` line.
fn run_input(
    term: &Term,
    prompt: &str,
    initial: &str,
    validator: Option<&Validator>,
) -> std::io::Result<String> {
    let measure = console::measure_text_width;
    let mut chars: Vec<char> = initial.chars().collect();
    let mut error: Option<String> = None;
    let mut error_drawn = false;
    let mut first = true;
    loop {
        let width = (term.size().1 as usize).saturating_sub(1).max(20);
        if !first {
            term.clear_line()?;
            if error_drawn {
                term.clear_last_lines(1)?;
            }
        }
        first = false;
        error_drawn = false;
        if let Some(e) = &error {
            let line = console::truncate_str(&format!("✘ {e}"), width, "…").into_owned();
            term.write_line(&console::style(line).red().to_string())?;
            error_drawn = true;
        }
        let head = format!("? {prompt} › ");
        let head = console::truncate_str(&head, width / 2 + 10, "… › ").into_owned();
        let room = width.saturating_sub(measure(&head)).max(4);
        let text: String = chars.iter().collect();
        let shown = if measure(&text) <= room {
            text.clone()
        } else {
            // The end of the text, after an ellipsis.
            let mut tail: Vec<char> = Vec::new();
            for c in chars.iter().rev() {
                tail.push(*c);
                let candidate: String = tail.iter().rev().collect();
                if measure(&candidate) + 1 > room {
                    tail.pop();
                    break;
                }
            }
            format!("…{}", tail.iter().rev().collect::<String>())
        };
        term.write_str(&format!("{}{shown}", console::style(&head).bold()))?;
        term.flush()?;
        match term.read_key()? {
            Key::Char(c) if !c.is_control() => chars.push(c),
            Key::Backspace => {
                chars.pop();
            }
            Key::Enter => {
                let verdict = validator.map_or(Ok(()), |v| v(&text));
                match verdict {
                    Ok(()) => {
                        term.clear_line()?;
                        if error_drawn {
                            term.clear_last_lines(1)?;
                        }
                        let done = format!("✔ {prompt} · {text}");
                        let done = console::truncate_str(&done, width, "…");
                        term.write_line(&console::style(done).green().to_string())?;
                        return Ok(text);
                    }
                    Err(message) => {
                        error = Some(message);
                        chars.clear();
                    }
                }
            }
            _ => {}
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_lines_never_wrap_and_keep_the_highlight_in_view() {
        let items: Vec<MenuItem> = (0..40)
            .map(|i| {
                MenuItem::new(format!("Ambiente {i} {}", "x".repeat(120)))
                    .with_detail(vec![format!("detalhe {i} {}", "y".repeat(120))])
            })
            .collect();
        for width in [20, 80, 120] {
            for at in [0, 17, 39] {
                let lines = menu_lines("Escolha uma opção", &items, at, width, 20);
                assert!(lines.len() <= 20, "{} rows", lines.len());
                for line in &lines {
                    assert!(console::measure_text_width(line) < width, "{line:?}");
                }
                let highlighted = format!("Ambiente {at} ");
                assert!(
                    lines
                        .iter()
                        .any(|l| console::strip_ansi_codes(l)
                            .starts_with(&format!("❯ {highlighted}"))),
                    "{at} not shown at {width}: {lines:?}"
                );
            }
        }
    }
}
