//! `smartlink-configurator`: the SmartLink Configurator in a terminal.
//!
//! With no arguments it starts the demo platform (the sandbox) in-process on
//! 127.0.0.1 and runs the interactive wizard against it. See
//! `docs/configurator.md` for the flags, the exit codes and a tour of the
//! scenarios.

#[macro_use]
mod out;
mod commands;
mod help;
mod interactive;
mod setup;
mod token_cmd;
mod ui;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

pub use help::exit_codes_text;
use smartlink_core::messages::Locale;

/// Exit codes, documented in `--help` and `docs/configurator.md`.
pub mod exit {
    /// Configured (or, for `status`/`check`: all good).
    pub const OK: u8 = 0;
    /// Unexpected internal error.
    pub const INTERNAL: u8 = 1;
    /// Bad usage: unknown flag, missing or invalid value.
    pub const USAGE: u8 = 2;
    /// An administrator's decision is needed or was refused.
    pub const DECISION: u8 = 3;
    /// The platform failed: network, TLS, token, contract error.
    pub const PLATFORM: u8 = 4;
    /// Inconsistent data: the error screen, contact support.
    pub const INCONSISTENT: u8 = 5;
    /// The local state could not be read, written or locked.
    pub const STATE: u8 = 6;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// The SmartLink Configurator: binds this ERP installation to an environment
/// of the TOTVS Applications Platform and stores its credentials.
#[derive(Debug, Parser)]
#[command(name = "smartlink-configurator", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// ERP line of this installation.
    #[arg(long, value_enum, default_value_t = LineArg::Protheus, global = true)]
    pub line: LineArg,

    /// Kind of this installation (and of the environments it may bind to).
    #[arg(long, value_enum, default_value_t = KindArg::Production, global = true)]
    pub kind: KindArg,

    /// Installation id (default: derived from fixed demo identity components,
    /// so re-runs find the same installation).
    #[arg(long, value_name = "ID", global = true, value_parser = non_empty)]
    pub installation_id: Option<String>,

    /// Friendly name of the installation (pre-fills the name screen; needed
    /// by --unattended unless the installation is already bound).
    #[arg(long, value_name = "NAME", global = true, value_parser = non_empty)]
    pub installation_name: Option<String>,

    /// Language of every text: pt-BR (default), es or en. Falls back to
    /// SMARTLINK_LOCALE, then to pt-BR; unknown tags fall back to pt-BR.
    #[arg(long, value_name = "pt-BR|es|en", global = true, value_parser = non_empty)]
    pub locale: Option<String>,

    /// Base URL of a real platform instead of the embedded sandbox.
    #[arg(long, value_name = "URL", global = true, value_parser = non_empty)]
    pub platform_url: Option<String>,

    /// Bearer token for --platform-url (or the SMARTLINK_TOKEN variable).
    // A `SecretString`: `{cli:?}` shows it as redacted.
    #[arg(long, value_name = "TOKEN", global = true, value_parser = non_empty_secret)]
    pub token: Option<SecretString>,

    /// Extra trusted CA certificates (PEM) for --platform-url, on top of the
    /// operating system's roots (a corporate TLS-inspecting proxy's CA).
    #[arg(long, value_name = "PEM", global = true, value_parser = non_empty)]
    pub ca_file: Option<String>,

    /// Proxy for every request to the platform (default: the HTTPS_PROXY,
    /// HTTP_PROXY, ALL_PROXY and NO_PROXY variables).
    #[arg(long, value_name = "URL", global = true, value_parser = non_empty)]
    pub proxy: Option<String>,

    /// State file (default with the sandbox: a temporary directory).
    #[arg(long, value_name = "PATH", global = true, value_parser = non_empty)]
    pub state: Option<String>,

    /// Configure without prompts (needs --environment or --create, or
    /// neither to only repair an existing binding).
    #[arg(long)]
    pub unattended: bool,

    /// Unattended: bind to the environment with this name.
    #[arg(
        long,
        value_name = "NAME",
        requires = "unattended",
        conflicts_with = "create",
        value_parser = non_empty
    )]
    pub environment: Option<String>,

    /// Unattended: create an environment of the installation's kind with
    /// this name, then bind to it.
    #[arg(long, value_name = "NAME", requires = "unattended", value_parser = non_empty)]
    pub create: Option<String>,

    /// Unattended: the environment's name repeated, to overwrite the binding
    /// of another installation of this line.
    #[arg(
        long,
        value_name = "NAME",
        requires = "environment",
        conflicts_with = "create",
        value_parser = non_empty
    )]
    pub confirm: Option<String>,

    /// Embedded sandbox: persist the demo platform's state in this file, so
    /// consecutive runs see the bindings of earlier ones.
    #[arg(long, value_name = "PATH", hide = true, global = true)]
    pub sandbox_state: Option<String>,

    /// Embedded sandbox: seed it from this JSON file instead of the demo data.
    #[arg(long, value_name = "FILE", hide = true, global = true)]
    pub seed: Option<String>,

    /// Force the prompts' plain line-oriented mode even on a terminal.
    #[arg(long, hide = true)]
    pub plain: bool,

    /// Add the technical detail (in English) to error messages.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

/// Refuses an empty value, like every missing value (exit 2).
fn non_empty(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(String::new())
    } else {
        Ok(value.to_owned())
    }
}

/// [`non_empty`], held as a secret.
fn non_empty_secret(value: &str) -> Result<SecretString, String> {
    non_empty(value).map(SecretString::from)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What is configured, for which environment, since when (local only;
    /// the secret is never shown). Exit 0 configured, 3 not configured.
    Status,
    /// Diagnostics: reaches the platform, TLS and proxy in use, clock skew,
    /// token accepted. Exit 0 all good, 4 otherwise.
    Check,
    /// New credentials for the bound environment, verified before they
    /// replace the stored ones.
    Rotate,
    /// Releases the environment on the platform and forgets the local state.
    Unbind {
        /// The bound environment's name, repeated (needed without a terminal).
        #[arg(long, value_name = "NAME", value_parser = non_empty)]
        confirm: Option<String>,
    },
    /// Forgets the local state only (the platform keeps the binding).
    Forget,
    /// Prints this installation's access token (a bearer token for the
    /// platform) and nothing else on stdout, for scripts. Exit 0 printed,
    /// 3 not configured or credentials revoked, 4 platform error.
    Token,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LineArg {
    Protheus,
    Rm,
    Datasul,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Production,
    Homologation,
    Development,
    Custom,
}

impl LineArg {
    pub fn as_str(self) -> &'static str {
        match self {
            LineArg::Protheus => "protheus",
            LineArg::Rm => "rm",
            LineArg::Datasul => "datasul",
        }
    }
}

impl KindArg {
    pub fn as_str(self) -> &'static str {
        match self {
            KindArg::Production => "production",
            KindArg::Homologation => "homologation",
            KindArg::Development => "development",
            KindArg::Custom => "custom",
        }
    }
}

impl Cli {
    /// The locale: the flag, else `SMARTLINK_LOCALE`, else pt-BR.
    pub fn locale(&self) -> Locale {
        self.locale
            .clone()
            .or_else(|| std::env::var("SMARTLINK_LOCALE").ok())
            .map(|t| Locale::parse(&t))
            .unwrap_or_default()
    }
}

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
                commands::with_detail(cli.verbose, message, &e.to_string())
            );
            return ExitCode::from(exit::INTERNAL);
        }
    };
    let code = runtime.block_on(setup::run(cli));
    // Prompts may still block a thread on stdin: do not wait for it.
    runtime.shutdown_background();
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::Cli;

    #[test]
    fn debug_of_the_cli_hides_the_token() {
        let cli = Cli::try_parse_from([
            "smartlink-configurator",
            "--platform-url",
            "https://platform.example",
            "--token",
            "cli-canary-token",
            "status",
        ])
        .unwrap();
        assert_eq!(
            cli.token.as_ref().map(|t| t.expose_secret()),
            Some("cli-canary-token")
        );
        for shown in [format!("{cli:?}"), format!("{cli:#?}")] {
            assert!(!shown.contains("cli-canary-token"), "{shown}");
            assert!(shown.contains("platform.example"), "{shown}");
        }
    }
}
