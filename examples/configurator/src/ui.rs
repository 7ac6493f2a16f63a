//! Prompts (dialoguer on a terminal; plain numbered lines otherwise) and
//! progress (an indicatif spinner on a terminal; step lines otherwise).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Input, Select};
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

trait Prompter: Send + Sync {
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, UiError>;
    fn input(&self, prompt: &str, initial: Option<&str>) -> Result<String, UiError>;
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

    /// One choice among `items`; returns its index.
    pub async fn select(
        &self,
        prompt: &str,
        items: Vec<String>,
        default: usize,
    ) -> Result<usize, UiError> {
        let p = self.prompter.clone();
        let prompt = prompt.to_owned();
        tokio::task::spawn_blocking(move || p.select(&prompt, &items, default))
            .await
            .map_err(|e| UiError::Io(e.to_string()))?
    }

    /// A line of text (may be empty); `initial` pre-fills it.
    pub async fn input(&self, prompt: &str, initial: Option<&str>) -> Result<String, UiError> {
        let p = self.prompter.clone();
        let prompt = prompt.to_owned();
        let initial = initial.map(str::to_owned);
        tokio::task::spawn_blocking(move || p.input(&prompt, initial.as_deref()))
            .await
            .map_err(|e| UiError::Io(e.to_string()))?
    }
}

fn dialoguer_error(e: dialoguer::Error) -> UiError {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            UiError::Interrupted
        }
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => UiError::Eof,
        dialoguer::Error::IO(io) => UiError::Io(io.to_string()),
    }
}

struct TtyPrompter;

impl Prompter for TtyPrompter {
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, UiError> {
        Select::with_theme(&ColorfulTheme::default())
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact()
            .map_err(dialoguer_error)
    }

    fn input(&self, prompt: &str, initial: Option<&str>) -> Result<String, UiError> {
        let theme = ColorfulTheme::default();
        let mut input = Input::<String>::with_theme(&theme)
            .with_prompt(prompt)
            .allow_empty(true);
        if let Some(initial) = initial {
            input = input.with_initial_text(initial);
        }
        input.interact_text().map_err(dialoguer_error)
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
            println!();
            return Err(UiError::Eof);
        }
        let answer = line.trim_end_matches(['\n', '\r']).to_owned();
        if self.echo {
            println!("{answer}");
        }
        Ok(answer)
    }
}

impl Prompter for PlainPrompter {
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, UiError> {
        loop {
            println!("{prompt}:");
            for (i, item) in items.iter().enumerate() {
                let mark = if i == default { '*' } else { ' ' };
                println!(" {mark}{:>2}) {item}", i + 1);
            }
            print!("> ");
            let _ = std::io::stdout().flush();
            let answer = self.read_line()?;
            let answer = answer.trim();
            if answer.is_empty() {
                return Ok(default);
            }
            match answer.parse::<usize>() {
                Ok(n) if (1..=items.len()).contains(&n) => return Ok(n - 1),
                _ => println!("{}", text(self.locale, "cli.invalid_choice")),
            }
        }
    }

    fn input(&self, prompt: &str, initial: Option<&str>) -> Result<String, UiError> {
        match initial {
            Some(initial) if !initial.is_empty() => print!("{prompt} [{initial}]: "),
            _ => print!("{prompt}: "),
        }
        let _ = std::io::stdout().flush();
        let answer = self.read_line()?;
        if answer.trim().is_empty()
            && let Some(initial) = initial
        {
            return Ok(initial.to_owned());
        }
        Ok(answer)
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
            eprintln!("… {message}");
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
            None => eprintln!("… {message}"),
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
