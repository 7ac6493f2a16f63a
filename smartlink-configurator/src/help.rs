//! The command line in the administrator's language: `--help`, the usage
//! line and usage errors come from the catalogue, like every other text.
//! clap's own English message is added only with `--verbose`.

use std::ffi::OsString;

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches};
use smartlink_core::messages::Locale;

use crate::cli::Cli;
use crate::exit;
use crate::texts::{render, text};

/// The exit codes, as `--help` and the documentation list them.
pub fn exit_codes_text(loc: Locale) -> String {
    let mut out = format!("{}\n", text(loc, "help.exit_codes"));
    for code in EXIT_CODES {
        let key = format!("help.exit.{code}");
        out.push_str(&format!("  {code:<4} {}\n", text(loc, &key)));
    }
    out.push('\n');
    out.push_str(text(loc, "help.sandbox"));
    out
}

/// The exit codes `--help` lists, each with its `help.exit.` text.
pub const EXIT_CODES: [&str; 8] = ["0", "1", "2", "3", "4", "5", "6", "130"];

/// The locale before parsing: `--locale X`, `--locale=X`, else
/// `SMARTLINK_LOCALE`, else pt-BR.
fn early_locale(args: &[OsString]) -> Locale {
    let mut tag = None;
    let mut iter = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if arg == "--locale" {
            tag = iter.next().map(str::to_owned);
        } else if let Some(value) = arg.strip_prefix("--locale=") {
            tag = Some(value.to_owned());
        }
    }
    tag.or_else(|| std::env::var("SMARTLINK_LOCALE").ok())
        .map(|t| Locale::parse(&t))
        .unwrap_or_default()
}

/// Every argument's help text, by id.
pub const ARGS: &[&str] = &[
    "line",
    "kind",
    "installation_id",
    "installation_name",
    "locale",
    "platform_url",
    "token",
    "token_url",
    "client_auth",
    "ca_file",
    "proxy",
    "state",
    "shared_folder",
    "seal_key_file",
    "unattended",
    "no_single_candidate",
    "environment",
    "create",
    "confirm",
    "verbose",
    "admin",
];

fn template(loc: Locale) -> String {
    format!(
        "{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
        text(loc, "help.usage")
    )
}

fn help_flags(cmd: clap::Command, loc: Locale) -> clap::Command {
    cmd.disable_help_flag(true).arg(
        Arg::new("help")
            .long("help")
            .short('h')
            .action(ArgAction::Help)
            .help(text(loc, "help.arg.help").to_owned())
            .help_heading(text(loc, "help.options").to_owned()),
    )
}

/// The command, with every text in `loc`.
pub fn command(loc: Locale) -> clap::Command {
    let mut cmd = Cli::command()
        .about(text(loc, "help.about").to_owned())
        .override_usage(text(loc, "help.usage_line").to_owned())
        .help_template(template(loc))
        .after_help(exit_codes_text(loc))
        .subcommand_help_heading(text(loc, "help.commands").to_owned())
        .subcommand_value_name(text(loc, "help.command_value").to_owned())
        .disable_help_subcommand(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("version")
                .long("version")
                .short('V')
                .action(ArgAction::Version)
                .help(text(loc, "help.arg.version").to_owned()),
        );
    cmd = help_flags(cmd, loc);
    for id in ARGS {
        let key = format!("help.arg.{id}");
        cmd = cmd.mut_arg(*id, |a| {
            let mut help = text(loc, &key).to_owned();
            let values: Vec<String> = a
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_owned())
                .collect();
            if values.is_empty() || !a.get_action().takes_values() {
                return a.help(help);
            }
            {
                let default = a
                    .get_default_values()
                    .first()
                    .map(|d| d.to_string_lossy().into_owned())
                    .unwrap_or_default();
                help = format!(
                    "{help}: {} ({})",
                    values.join(", "),
                    render(loc, "help.default", &[("value", &default)])
                );
            }
            a.help(help)
                .hide_possible_values(true)
                .hide_default_value(true)
        });
    }
    cmd = cmd.mut_args(|a| a.help_heading(text(loc, "help.options").to_owned()));
    // Every subcommand, as declared: one added without its texts in the
    // catalogue fails the tests below.
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in &names {
        let key = format!("help.cmd.{name}");
        cmd = cmd.mut_subcommand(name, |s| {
            let s = s
                .about(text(loc, &key).to_owned())
                .help_template(template(loc))
                .override_usage(format!(
                    "smartlink-configurator {name} [{}]",
                    text(loc, "help.options_value")
                ));
            let s = help_flags(s, loc);
            if name == "web" {
                return s.mut_arg("web_idle_timeout", |a| {
                    a.help(text(loc, "help.arg.web_idle_timeout").to_owned())
                        .help_heading(text(loc, "help.options").to_owned())
                        .hide_default_value(true)
                });
            }
            if name == "support-report" {
                return s.mut_arg("out", |a| {
                    a.help(text(loc, "help.arg.support_report_out").to_owned())
                        .help_heading(text(loc, "help.options").to_owned())
                });
            }
            if name == "seal-key" || name == "reseal" {
                let (arg, key) = if name == "seal-key" {
                    ("out", "help.arg.seal_key_out")
                } else {
                    ("to", "help.arg.reseal_to")
                };
                return s.mut_arg(arg, |a| {
                    a.help(text(loc, key).to_owned())
                        .help_heading(text(loc, "help.options").to_owned())
                });
            }
            if name == "history" {
                return s.mut_arg("json", |a| {
                    a.help(text(loc, "help.arg.history_json").to_owned())
                        .help_heading(text(loc, "help.options").to_owned())
                });
            }
            if name == "unbind" {
                s.mut_arg("confirm", |a| {
                    a.help(text(loc, "help.arg.unbind_confirm").to_owned())
                        .help_heading(text(loc, "help.options").to_owned())
                })
            } else {
                s
            }
        });
    }
    cmd
}

/// Parses the command line; on `--help`/`--version` or a usage error,
/// prints and returns the exit code.
pub fn parse() -> Result<Cli, u8> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let loc = early_locale(&args);
    let verbose = args.iter().any(|a| a == "--verbose" || a == "-v");
    let parsed = command(loc)
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    match parsed {
        Ok(mut cli) => {
            // `SMARTLINK_STATE` stands for `--state` (a database URL with
            // its password stays out of `ps`).
            if cli.state.is_none()
                && let Some(value) = std::env::var("SMARTLINK_STATE")
                    .ok()
                    .filter(|v| !v.trim().is_empty())
            {
                cli.state = crate::cli::StateArg::parse(&value).ok();
            }
            // clap's `requires` is checked before its conflicts: say it again.
            if cli.confirm.is_some() && cli.environment.is_none() {
                errln!(
                    "smartlink-configurator: {}",
                    text(loc, "help.err_confirm_needs_environment")
                );
                errln!("{}", text(loc, "help.try"));
                return Err(exit::USAGE);
            }
            Ok(cli)
        }
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                    out!("{}", e.render().ansi());
                } else {
                    out!("{}", e.render());
                }
                Err(exit::OK)
            }
            _ => {
                errln!("smartlink-configurator: {}", usage_message(loc, &e));
                if verbose {
                    errln!("{}", e.render());
                }
                errln!("{}", text(loc, "help.try"));
                Err(exit::USAGE)
            }
        },
    }
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(ContextValue::StyledStr(s)) => strip(s),
        Some(ContextValue::StyledStrs(v)) => v.iter().map(strip).collect::<Vec<_>>().join(", "),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn strip(s: &StyledStr) -> String {
    s.to_string()
}

/// A usage error in the catalogue's words.
fn usage_message(loc: Locale, e: &clap::Error) -> String {
    let arg = context(e, ContextKind::InvalidArg);
    let value = context(e, ContextKind::InvalidValue);
    match e.kind() {
        ErrorKind::UnknownArgument => render(loc, "help.err_unknown", &[("arg", &arg)]),
        ErrorKind::InvalidSubcommand => render(
            loc,
            "help.err_unknown_command",
            &[("arg", &context(e, ContextKind::InvalidSubcommand))],
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation if value.trim().is_empty() => {
            render(loc, "help.err_empty", &[("arg", &arg)])
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let valid = context(e, ContextKind::ValidValue);
            let mut m = render(loc, "help.err_invalid", &[("arg", &arg), ("value", &value)]);
            if !valid.is_empty() {
                m.push(' ');
                m.push_str(&render(loc, "help.err_valid_values", &[("values", &valid)]));
            }
            m
        }
        ErrorKind::MissingRequiredArgument => render(loc, "help.err_missing", &[("arg", &arg)]),
        ErrorKind::ArgumentConflict => render(
            loc,
            "help.err_conflict",
            &[("arg", &arg), ("other", &context(e, ContextKind::PriorArg))],
        ),
        _ => text(loc, "help.err_usage").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text clap takes from the doc comments (the English source).
    fn source_texts(cmd: &clap::Command, out: &mut Vec<String>) {
        let mut keep = |t: Option<&clap::builder::StyledStr>| {
            if let Some(t) = t {
                // A distinctive stretch of it: its first line.
                let first = t.to_string().lines().next().unwrap_or("").trim().to_owned();
                if first.len() > 12 {
                    out.push(first);
                }
            }
        };
        keep(cmd.get_about());
        keep(cmd.get_long_about());
        for arg in cmd.get_arguments() {
            keep(arg.get_help());
            keep(arg.get_long_help());
        }
        for sub in cmd.get_subcommands() {
            source_texts(sub, out);
        }
    }

    /// Every screen of help (the command's and each subcommand's), with
    /// every text in `loc`.
    fn rendered(loc: Locale) -> Vec<(String, String)> {
        let mut cmd = command(loc);
        let mut pages = vec![("main".to_owned(), cmd.render_help().to_string())];
        for sub in cmd.get_subcommands_mut() {
            let name = sub.get_name().to_owned();
            pages.push((name, sub.render_help().to_string()));
        }
        pages
    }

    #[test]
    fn every_help_text_comes_from_the_catalogue_in_every_language() {
        let mut english_source = Vec::new();
        source_texts(&Cli::command(), &mut english_source);
        assert!(english_source.len() > 10, "{english_source:?}");
        for loc in [Locale::PtBr, Locale::Es, Locale::En] {
            let pages = rendered(loc);
            assert!(pages.len() >= 7, "the command and its subcommands");
            for (page, text) in &pages {
                // A key the catalogue lacks would be shown as the key itself.
                assert!(!text.contains("help."), "{loc:?} {page}: {text}");
                if loc == Locale::En {
                    continue;
                }
                for source in &english_source {
                    assert!(
                        !text.contains(source.as_str()),
                        "{loc:?} {page} shows the untranslated {source:?}:\n{text}"
                    );
                }
            }
        }
    }
}
