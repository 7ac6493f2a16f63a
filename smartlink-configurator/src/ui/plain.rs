//! The prompts without a terminal: numbered choices and one answer per line
//! on standard input.

use std::io::BufRead;

use smartlink_core::messages::Locale;

use super::{MenuItem, Prompter, UiError, Validator};
use crate::texts::text;

/// Numbered choices and one answer per line on standard input.
pub struct PlainPrompter {
    pub locale: Locale,
    /// Echo the answers read (stdin is not a terminal, so nothing else shows them).
    pub echo: bool,
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
