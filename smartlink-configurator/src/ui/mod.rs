//! Prompts (one-row menus and an input line on a terminal; plain numbered
//! lines otherwise) and progress (an indicatif spinner on a terminal; step
//! lines otherwise).

mod plain;
mod progress;
mod tty;

use std::io::IsTerminal;
use std::sync::Arc;

use smartlink_core::messages::Locale;

pub use progress::Progress;
pub use smartlink_core::messages::validation_text;

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

pub(crate) trait Prompter: Send + Sync {
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

pub(crate) fn io_error(io: std::io::Error) -> UiError {
    match io.kind() {
        std::io::ErrorKind::Interrupted => UiError::Interrupted,
        std::io::ErrorKind::UnexpectedEof => UiError::Eof,
        _ => UiError::Io(io.to_string()),
    }
}

impl Ui {
    pub fn new(locale: Locale, plain: bool) -> Self {
        let prompter: Arc<dyn Prompter> = if plain {
            Arc::new(plain::PlainPrompter {
                locale,
                echo: !std::io::stdin().is_terminal(),
            })
        } else {
            Arc::new(tty::TtyPrompter)
        };
        Self { prompter }
    }
}
