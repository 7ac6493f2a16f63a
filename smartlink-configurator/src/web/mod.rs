//! `smartlink-configurator web`: the wizard in the browser.
//!
//! The same installation, platform and state store as the terminal wizard
//! (built by `setup`); a server on 127.0.0.1 with a port the system picks
//! serves the page embedded in the binary (`web-dist/`, built from `web/`)
//! and a small HTTP API that offers the wizard only: the screen, an action,
//! the background task's status. The security model (one-time login token,
//! cookie, Host, Origin and Sec-Fetch-Site checks, CSP with a nonce) is in
//! [`http`] and `docs/web.md`.

mod assets;
mod http;

use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::exit;
use crate::setup::Ctx;
use crate::store::StateLocation;
use crate::texts::{render, text};

/// The options of `web`.
#[derive(Debug, Clone, Args)]
pub struct WebArgs {
    /// Exits after this long without use of the page, in seconds.
    #[arg(long = "idle-timeout", id = "web_idle_timeout", value_name = "SECONDS",
          default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}

/// Why the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The Done screen was shown.
    Done,
    /// The administrator cancelled; the exit code to return.
    Cancelled(u8),
    /// Nobody used the page for the idle timeout.
    Idle,
}

/// Holds the web lock of a state file: a second `web` for the same state is
/// refused, as a second configuration of the same installation is.
struct InstanceLock(#[allow(dead_code)] Option<std::fs::File>);

fn instance_lock(ctx: &Ctx) -> Result<InstanceLock, String> {
    let path = match &ctx.state {
        StateLocation::File(path) => path.clone(),
        // A temporary directory or memory: nobody else can share it. A
        // database: the store's lease keeps two configurations apart.
        StateLocation::Temporary(_) | StateLocation::Memory | StateLocation::Postgres(_) => {
            return Ok(InstanceLock(None));
        }
    };
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".web-lock");
    let lock_path = path.with_file_name(name);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&lock_path)
        .map_err(|e| format!("{}: {e}", lock_path.display()))?;
    match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
        Ok(true) => Ok(InstanceLock(Some(file))),
        Ok(false) => Err(smartlink_core::messages::code_text(ctx.locale, "busy")),
        Err(e) => Err(format!("{}: {e}", lock_path.display())),
    }
}

/// Serves the wizard until Done, cancel or the idle timeout.
pub async fn run(ctx: &Ctx, args: &WebArgs) -> u8 {
    let loc = ctx.locale;
    let _lock = match instance_lock(ctx) {
        Ok(lock) => lock,
        Err(message) => {
            errln!("smartlink-configurator: {message}");
            return exit::STATE;
        }
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            errln!("smartlink-configurator: 127.0.0.1: {e}");
            return exit::INTERNAL;
        }
    };
    let port = match listener.local_addr() {
        Ok(addr) => addr.port(),
        Err(e) => {
            errln!("smartlink-configurator: 127.0.0.1: {e}");
            return exit::INTERNAL;
        }
    };
    let app = Arc::new(http::App::new(
        ctx.cfg.clone(),
        loc,
        port,
        Duration::from_secs(args.idle_timeout),
    ));
    // The one line on stdout: what to open (a script reads it).
    let url = format!("http://127.0.0.1:{port}/?t={}", app.login_token());
    outln!("{}", render(loc, "web.open", &[("url", &url)]));
    let end = http::serve(app.clone(), listener).await;
    match end {
        End::Done => {
            if let Some(name) = app.typed_name() {
                ctx.remember_name(&name);
            }
            if let smartlink_core::wizard::Screen::Done {
                environment_name, ..
            } = ctx.cfg.screen()
            {
                outln!(
                    "{}",
                    render(loc, "done.body", &[("name", environment_name.as_str())])
                );
            }
            exit::OK
        }
        End::Cancelled(code) => {
            outln!("{}", text(loc, "cli.cancelled_by_admin"));
            code
        }
        End::Idle => {
            errln!(
                "{}",
                render(
                    loc,
                    "web.idle",
                    &[("seconds", &args.idle_timeout.to_string())]
                )
            );
            exit::DECISION
        }
    }
}
