//! The subcommands and the unattended mode, one module each, and what they
//! share with the wizard.

mod check;
mod forget;
mod history;
mod rotate;
pub mod seal;
pub mod status;
pub mod support_report;
mod token;
mod unattended;
mod unbind;

use chrono::{DateTime, Utc};
use smartlink_core::ConfiguratorError;
use smartlink_core::DecisionError;

use crate::cli::Command;
use crate::report::report_error;
use crate::setup::Ctx;
use crate::store::StateLocation;
use crate::texts::{render, text};

pub use check::check;
pub use rotate::rotate;

/// Runs what the command line asked for: a subcommand, the unattended mode
/// or the interactive wizard.
pub async fn run(ctx: &Ctx) -> u8 {
    match &ctx.cli.command {
        Some(Command::Status) => status::status(ctx),
        Some(Command::Check) => check::check(ctx).await,
        Some(Command::Rotate) => rotate::rotate(ctx).await,
        Some(Command::Unbind { confirm }) => unbind::unbind(ctx, confirm.as_deref()).await,
        Some(Command::Forget) => forget::forget(ctx),
        Some(Command::History { json }) => history::history(ctx, *json),
        Some(Command::Token) => token::token(ctx).await,
        Some(Command::Web(args)) => crate::web::run(ctx, args).await,
        Some(Command::SupportReport { out }) => {
            support_report::support_report(ctx, out.as_deref()).await
        }
        // Run before the setup (`seal::early`); never reached.
        Some(Command::SealKey { .. } | Command::Reseal { .. }) => crate::exit::USAGE,
        None if ctx.cli.unattended => unattended::unattended(ctx).await,
        None => crate::wizard::run(ctx).await,
    }
}

/// Reports a failure on stderr and returns its exit code; after
/// "environment not found", lists the names that can be given.
async fn fail(ctx: &Ctx, e: &ConfiguratorError, environment: Option<&str>) -> u8 {
    let (message, code) = report_error(ctx, e, environment);
    errln!("{message}");
    if let ConfiguratorError::Decision(DecisionError::EnvironmentNotFound(_)) = e {
        unattended::list_valid_names(ctx).await;
    }
    code
}

/// The error screen's last line: the support code and how to make the
/// support report (`support-report`), and where its file will be (the
/// current folder, its default).
pub fn support_send(loc: smartlink_core::messages::Locale, support_id: &str) -> String {
    let dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| ".".to_owned());
    render(
        loc,
        "cli.support_send",
        &[("id", support_id), ("dir", &dir)],
    )
}

/// A date for messages: `2026-12-02 06:24 UTC`.
pub fn date_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The Done screen's lines, for the unattended mode.
pub fn print_done(ctx: &Ctx, environment: &str, reused: bool) {
    let loc = ctx.locale;
    outln!("{}", text(loc, "done.title"));
    outln!("{}", render(loc, "done.body", &[("name", environment)]));
    let key = if reused { "done.reused" } else { "done.issued" };
    outln!("{}", text(loc, key));
    outln!("{}", stored_where(ctx));
}

/// Where the credentials were stored, for the Done screen.
pub fn stored_where(ctx: &Ctx) -> String {
    let loc = ctx.locale;
    match &ctx.state {
        StateLocation::File(path) => render(
            loc,
            "cli.done_stored_file",
            &[("path", &path.display().to_string())],
        ),
        StateLocation::Temporary(path) => render(
            loc,
            "cli.done_stored_temporary",
            &[("path", &path.display().to_string())],
        ),
        StateLocation::Memory => text(loc, "cli.done_stored_memory").to_owned(),
        StateLocation::Postgres(location) => {
            render(loc, "cli.done_stored_postgres", &[("location", location)])
        }
    }
}
