//! Writing to standard output and standard error without panicking.
//!
//! `println!` panics when the other end of a pipe is gone
//! (`smartlink-configurator check | head -1`). Here a closed stream is not
//! an error: what follows is discarded, the command carries on, and its exit
//! code stays its own. Any other write failure is ignored the same way:
//! there is nowhere left to report it.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

fn write_to(mut w: impl Write, closed: &AtomicBool, args: fmt::Arguments<'_>) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if w.write_fmt(args).and_then(|()| w.flush()).is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

/// While set, what would go to standard output is kept here instead
/// (`support-report` keeps what `check` finds).
static CAPTURE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Writes to standard output (flushed at once: prompts have no newline).
pub fn stdout(args: fmt::Arguments<'_>) {
    {
        let mut capture = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = capture.as_mut() {
            let _ = fmt::Write::write_fmt(kept, args);
            return;
        }
    }
    write_to(std::io::stdout().lock(), &STDOUT_CLOSED, args);
}

/// Runs `work` keeping what it writes to standard output, and returns its
/// value and that text. One at a time: the process runs one command.
pub async fn captured<T>(work: impl std::future::Future<Output = T>) -> (T, String) {
    *CAPTURE.lock().unwrap_or_else(|e| e.into_inner()) = Some(String::new());
    let value = work.await;
    let kept = CAPTURE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    (value, kept)
}

/// Writes to standard error.
pub fn stderr(args: fmt::Arguments<'_>) {
    write_to(std::io::stderr().lock(), &STDERR_CLOSED, args);
}

/// Like `print!`, without the panic on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::stdout(format_args!($($arg)*)) };
}

/// Like `println!`, without the panic on a closed pipe.
macro_rules! outln {
    () => { $crate::out::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Like `eprintln!`, without the panic on a closed pipe.
macro_rules! errln {
    () => { $crate::out::stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}
