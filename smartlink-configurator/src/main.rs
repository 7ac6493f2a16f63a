//! `smartlink-configurator`: the SmartLink Configurator in a terminal.
//!
//! With no arguments it starts the demo platform (the sandbox) in-process on
//! 127.0.0.1 and runs the interactive wizard against it. See
//! `docs/configurator.md` for the flags, the exit codes and a tour of the
//! scenarios.
//!
//! The source by job: `cli` (the command line) and `help` (its texts),
//! `setup` (the platform, Ctrl-C), `store` (the local state store), `commands` (one module
//! per subcommand, and the unattended mode), `wizard` (the interactive
//! wizard, one function per screen), `report` (exit codes and the text of
//! every failure), `diagnose` (proxy, DNS, TLS for `check`), `task`
//! (following the background task), `texts` (the terminal's own texts), `ui` (prompts and spinner), `web`
//! (the wizard in the browser, `web` subcommand) and `out` (writing without
//! panicking on a closed pipe).

#[macro_use]
mod out;
mod cli;
mod commands;
mod diagnose;
mod help;
mod report;
mod setup;
mod store;
mod task;
mod texts;
mod ui;
mod web;
mod wizard;

use std::process::ExitCode;

pub use report::exit;

fn main() -> ExitCode {
    let cli = match help::parse() {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(code),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let message = smartlink_core::messages::code_text(cli.locale(), "runtime");
            errln!(
                "smartlink-configurator: {}",
                report::with_detail(cli.verbose, message, &e.to_string())
            );
            return ExitCode::from(exit::INTERNAL);
        }
    };
    let code = runtime.block_on(setup::run(cli));
    // Prompts may still block a thread on stdin: do not wait for it.
    runtime.shutdown_background();
    ExitCode::from(code)
}
