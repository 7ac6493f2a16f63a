//! Prompts (dialoguer on a terminal; plain numbered lines otherwise) and
//! progress (an indicatif spinner on a terminal; step lines otherwise).

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

use dialoguer::console::{self, Key, Term};
use indicatif::{ProgressBar, ProgressStyle};
use smartlink_core::messages::{Locale, text};

/// Why a prompt gave no answer.
#[derive(Debug)]
pub enum UiError {
    /// Standard input ended.
    Eof,
    /// Ctrl-C.
    Interrupted,
    /// Reading or drawing failed.
    Io(String),
}

/// One entry of a menu: its row, and lines shown below the list while it
/// is highlighted (a terminal) or under its row (plain mode).
#[derive(Debug, Clone, Default)]
pub struct MenuItem {
    pub label: String,
    pub detail: Vec<String>,
}

impl MenuItem {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            detail: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: Vec<String>) -> Self {
        self.detail = detail;
        self
    }
}

/// Checks a typed line: `Err(message)` asks again, showing the message.
pub type Validator = Box<dyn Fn(&str) -> Result<(), String> + Send>;

trait Prompter: Send + Sync {
    /// `None`: the administrator pressed Esc (back).
    fn select(
        &self,
        prompt: &str,
        items: &[MenuItem],
        default: usize,
    ) -> Result<Option<usize>, UiError>;
    fn input(
        &self,
        prompt: &str,
        initial: Option<&str>,
        validator: Option<Validator>,
    ) -> Result<String, UiError>;
}

/// The prompts, run off the async threads.
#[derive(Clone)]
pub struct Ui {
    prompter: Arc<dyn Prompter>,
}

impl Ui {
    pub fn new(locale: Locale, plain: bool) -> Self {
        let prompter: Arc<dyn Prompter> = if plain {
            Arc::new(PlainPrompter {
                locale,
                echo: !std::io::stdin().is_terminal(),
            })
        } else {
            Arc::new(TtyPrompter)
        };
        Self { prompter }
    }

    /// One choice among `items`; returns its index, `None` for Esc (back).
    pub async fn menu(
        &self,
        prompt: &str,
        items: Vec<MenuItem>,
        default: usize,
    ) -> Result<Option<usize>, UiError> {
        let p = self.prompter.clone();
        let prompt = prompt.to_owned();
        tokio::task::spawn_blocking(move || p.select(&prompt, &items, default))
            .await
            .map_err(|e| UiError::Io(e.to_string()))?
    }

    /// One choice among plain labels; Esc counts as the last item (back or
    /// cancel, by convention the last one of every menu).
    pub async fn select(
        &self,
        prompt: &str,
        items: Vec<String>,
        default: usize,
    ) -> Result<usize, UiError> {
        let last = items.len().saturating_sub(1);
        let items = items.into_iter().map(MenuItem::new).collect();
        Ok(self.menu(prompt, items, default).await?.unwrap_or(last))
    }

    /// A line of text (may be empty); `initial` pre-fills it.
    pub async fn input(&self, prompt: &str, initial: Option<&str>) -> Result<String, UiError> {
        self.input_checked(prompt, initial, None).await
    }

    /// A line of text that `validator` accepts; a refused one is asked
    /// again at the prompt, with the validator's message.
    pub async fn input_checked(
        &self,
        prompt: &str,
        initial: Option<&str>,
        validator: Option<Validator>,
    ) -> Result<String, UiError> {
        let p = self.prompter.clone();
        let prompt = prompt.to_owned();
        let initial = initial.map(str::to_owned);
        tokio::task::spawn_blocking(move || p.input(&prompt, initial.as_deref(), validator))
            .await
            .map_err(|e| UiError::Io(e.to_string()))?
    }
}

fn io_error(io: std::io::Error) -> UiError {
    match io.kind() {
        std::io::ErrorKind::Interrupted => UiError::Interrupted,
        std::io::ErrorKind::UnexpectedEof => UiError::Eof,
        _ => UiError::Io(io.to_string()),
    }
}

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

struct TtyPrompter;

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

/// Numbered choices and one answer per line on standard input.
struct PlainPrompter {
    locale: Locale,
    /// Echo the answers read (stdin is not a terminal, so nothing else shows them).
    echo: bool,
}

impl PlainPrompter {
    fn read_line(&self) -> Result<String, UiError> {
        let mut line = String::new();
        let n = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| UiError::Io(e.to_string()))?;
        if n == 0 {
            outln!();
            return Err(UiError::Eof);
        }
        let answer = line.trim_end_matches(['\n', '\r']).to_owned();
        if self.echo {
            outln!("{answer}");
        }
        Ok(answer)
    }
}

impl Prompter for PlainPrompter {
    fn select(
        &self,
        prompt: &str,
        items: &[MenuItem],
        default: usize,
    ) -> Result<Option<usize>, UiError> {
        loop {
            outln!("{prompt}:");
            for (i, item) in items.iter().enumerate() {
                let mark = if i == default { '*' } else { ' ' };
                outln!(" {mark}{:>2}) {}", i + 1, item.label);
                for d in &item.detail {
                    outln!("       {d}");
                }
            }
            out!("> ");
            let answer = self.read_line()?;
            let answer = answer.trim();
            if answer.is_empty() {
                return Ok(Some(default));
            }
            match answer.parse::<usize>() {
                Ok(n) if (1..=items.len()).contains(&n) => return Ok(Some(n - 1)),
                _ => outln!("{}", text(self.locale, "cli.invalid_choice")),
            }
        }
    }

    fn input(
        &self,
        prompt: &str,
        initial: Option<&str>,
        validator: Option<Validator>,
    ) -> Result<String, UiError> {
        loop {
            match initial {
                Some(initial) if !initial.is_empty() => out!("{prompt} [{initial}]: "),
                _ => out!("{prompt}: "),
            }
            let mut answer = self.read_line()?;
            if answer.trim().is_empty()
                && let Some(initial) = initial
            {
                answer = initial.to_owned();
            }
            match validator.as_ref().map(|v| v(&answer)) {
                Some(Err(message)) => outln!("✗ {message}"),
                _ => return Ok(answer),
            }
        }
    }
}

/// Progress during network work.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    last: Arc<std::sync::Mutex<String>>,
}

impl Progress {
    /// A spinner on a terminal; otherwise the message as a line on stderr.
    pub fn start(tty: bool, message: &str) -> Self {
        let bar = tty.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(100));
            bar.set_message(message.to_owned());
            bar
        });
        if bar.is_none() {
            errln!("… {message}");
        }
        Self {
            bar,
            last: Arc::new(std::sync::Mutex::new(message.to_owned())),
        }
    }

    /// Changes the message (printed again only when it changed).
    pub fn set(&self, message: &str) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if *last == message {
            return;
        }
        *last = message.to_owned();
        match &self.bar {
            Some(bar) => bar.set_message(message.to_owned()),
            None => errln!("… {message}"),
        }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub use smartlink_core::messages::validation_text;

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
