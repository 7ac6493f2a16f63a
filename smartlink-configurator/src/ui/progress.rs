//! Progress during network work: a spinner on a terminal, the message as a
//! line on stderr otherwise.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

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
