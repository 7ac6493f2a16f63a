//! `seal-key` (a new seal key file) and `reseal` (the state file sealed with
//! a new key): local file work, run before any platform or store is set up.

use std::path::Path;

use smartlink_core::messages::Locale;
use smartlink_core::{FileStateStore, FileStoreOptions};
use smartlink_core::{SealError, SealKey};

use crate::cli::{Cli, Command};
use crate::exit;
use crate::report::{state_error_text, with_detail};
use crate::texts::{render, text};

/// Runs `seal-key` or `reseal`; `None` for every other command.
pub fn early(cli: &Cli, loc: Locale) -> Option<u8> {
    match &cli.command {
        Some(Command::SealKey { out }) => Some(seal_key(cli, loc, Path::new(out))),
        Some(Command::Reseal { to }) => Some(reseal(cli, loc, Path::new(to))),
        _ => None,
    }
}

fn seal_key(cli: &Cli, loc: Locale, out: &Path) -> u8 {
    let path = out.display().to_string();
    match SealKey::create_file(out) {
        Ok(_) => {
            outln!("{}", render(loc, "cli.seal_key_made", &[("path", &path)]));
            exit::OK
        }
        Err(e @ SealError::KeyFileExists { .. }) => {
            errln!(
                "smartlink-configurator: {}",
                with_detail(
                    cli.verbose,
                    render(loc, "cli.seal_key_exists", &[("path", &path)]),
                    &e.to_string()
                )
            );
            exit::STATE
        }
        Err(e) => {
            // Which file, and why.
            let message = match &e {
                SealError::KeyFileIo { source, .. } => render(
                    loc,
                    "cli.seal_key_io",
                    &[
                        ("path", &path),
                        ("cause", text(loc, crate::report::io_cause(source.kind()))),
                    ],
                ),
                _ => smartlink_core::messages::code_text(loc, "state"),
            };
            errln!(
                "smartlink-configurator: {}",
                with_detail(cli.verbose, message, &e.to_string())
            );
            exit::STATE
        }
    }
}

fn reseal(cli: &Cli, loc: Locale, to: &Path) -> u8 {
    let fail = |message: String, code: u8| {
        errln!("smartlink-configurator: {message}");
        code
    };
    let state = match cli.state.as_ref().and_then(|s| s.file()) {
        Some(p) => p,
        _ => return fail(text(loc, "cli.reseal_needs_file").to_owned(), exit::USAGE),
    };
    let new_key = match SealKey::read_file(to) {
        Ok(key) => key,
        Err(e) => {
            let message = crate::report::seal_key_file_text(loc, &e, to);
            return fail(
                with_detail(cli.verbose, message, &e.to_string()),
                exit::STATE,
            );
        }
    };
    let mut options = FileStoreOptions::new();
    if let Some(old) = &cli.seal_key_file {
        options = options.seal_key_file(old);
    }
    let store = match FileStateStore::open_with(state, &options) {
        Ok(store) => store,
        Err(e) => return fail(state_error_text(loc, cli.verbose, &e), exit::STATE),
    };
    if !state.exists() {
        let message = render(
            loc,
            "cli.reseal_missing",
            &[("path", &state.display().to_string())],
        );
        return fail(message, exit::DECISION);
    }
    match store.rotate_seal_key(new_key) {
        Ok(_) => {
            outln!(
                "{}",
                render(
                    loc,
                    "cli.resealed",
                    &[
                        ("path", &state.display().to_string()),
                        ("key", &to.display().to_string()),
                    ],
                )
            );
            exit::OK
        }
        Err(e) => fail(state_error_text(loc, cli.verbose, &e), exit::STATE),
    }
}
