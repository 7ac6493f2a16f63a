//! Reporting: the one place where a failure gets its exit code and its
//! text in the administrator's language (the English technical detail is
//! added only with `--verbose`).

use smartlink_core::StoreFault;
use smartlink_core::messages::{Locale, code_text, inconsistency_text, refusal_text};
use smartlink_core::{
    ConfiguratorError, DecisionError, FailureCode, PlatformError, StateError, TokenError,
};

use crate::setup::Ctx;
use crate::texts::{render, text};

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

/// The exit code for a task or platform failure code.
pub fn platform_code_exit(code: &FailureCode) -> u8 {
    match code {
        FailureCode::State | FailureCode::Busy | FailureCode::StateChanged => exit::STATE,
        FailureCode::Decision => exit::DECISION,
        _ => exit::PLATFORM,
    }
}

/// A localized message and the exit code for a failure.
/// `environment` is the name the administrator gave, for messages.
pub fn report_error(
    ctx: &Ctx,
    error: &ConfiguratorError,
    environment: Option<&str>,
) -> (String, u8) {
    let loc = ctx.locale;
    let verbose = ctx.cli.verbose;
    match error {
        ConfiguratorError::Decision(d) => match d {
            // The terminal's own texts: they name the flag that answers them.
            DecisionError::ConfirmationRequired(id) => (
                render(
                    loc,
                    "cli.confirmation_required",
                    &[("name", environment.unwrap_or(id.as_str()))],
                ),
                exit::DECISION,
            ),
            DecisionError::NameRequired => (text(loc, "cli.name_required").to_owned(), exit::USAGE),
            DecisionError::Inconsistent(inconsistency) => {
                let support_id = uuid::Uuid::new_v4().to_string();
                // For support: the id and what was found (no secrets in it).
                if verbose {
                    errln!(
                        "smartlink-configurator: support id {support_id}: inconsistent data: {}",
                        serde_json::to_string(inconsistency).unwrap_or_default()
                    );
                }
                (
                    format!(
                        "{}\n{}\n{}",
                        text(loc, "error.inconsistent"),
                        inconsistency_text(loc, inconsistency),
                        crate::commands::support_send(loc, &support_id)
                    ),
                    exit::INCONSISTENT,
                )
            }
            DecisionError::Invalid(_) => (refusal_text(loc, d), exit::USAGE),
            // The core's text of the refusal, the one C hosts get too.
            _ => (refusal_text(loc, d), exit::DECISION),
        },
        ConfiguratorError::Platform(p) => (platform_message(ctx, p), exit::PLATFORM),
        ConfiguratorError::State(s) => (state_error_text(loc, verbose, s), exit::STATE),
        ConfiguratorError::Busy => (code_text(loc, "busy"), exit::STATE),
        ConfiguratorError::TaskFailed {
            task_id,
            code,
            detail,
        } => (
            format!(
                "{}\n{}",
                with_detail(verbose, code_text(loc, code.as_str()), detail),
                crate::commands::support_send(loc, &task_id.to_string())
            ),
            platform_code_exit(code),
        ),
        ConfiguratorError::NotConfigured => (
            text(loc, "status.not_configured").to_owned(),
            exit::DECISION,
        ),
        other => (
            with_detail(verbose, code_text(loc, "internal"), &other.to_string()),
            exit::INTERNAL,
        ),
    }
}

/// A message, followed by the English technical detail with `--verbose`.
pub fn with_detail(verbose: bool, message: String, detail: &str) -> String {
    if verbose && !detail.is_empty() {
        format!("{message} ({detail})")
    } else {
        message
    }
}

/// The catalogue's text for a state error (the detail with `--verbose`).
pub fn state_error_text(loc: Locale, verbose: bool, e: &StateError) -> String {
    let key = match e {
        StateError::InsecurePermissions { .. } => "cli.state_insecure",
        StateError::ForeignOwner { .. } => "cli.state_foreign_owner",
        // Where the file is now: set aside by a read, or left where it was
        // (`inspect`, which changes nothing).
        StateError::Corrupt { path, kept_at, .. } => {
            let untouched = kept_at == path;
            let path = path.display().to_string();
            let message = if untouched {
                render(loc, "cli.state_corrupt_untouched", &[("path", &path)])
            } else {
                let kept_at = kept_at.display().to_string();
                render(
                    loc,
                    "cli.state_corrupt_set_aside",
                    &[("path", &path), ("kept_at", &kept_at)],
                )
            };
            return with_detail(verbose, message, &e.to_string());
        }
        StateError::UnsupportedVersion {
            path,
            kept_at,
            found,
            ..
        } => {
            let untouched = kept_at == path;
            let path = path.display().to_string();
            let found = found.to_string();
            let message = if untouched {
                render(
                    loc,
                    "cli.state_newer_untouched",
                    &[("path", &path), ("version", &found)],
                )
            } else {
                let kept_at = kept_at.display().to_string();
                render(
                    loc,
                    "cli.state_newer_set_aside",
                    &[("path", &path), ("version", &found), ("kept_at", &kept_at)],
                )
            };
            return with_detail(verbose, message, &e.to_string());
        }
        StateError::Sealed { path, source } => {
            use smartlink_core::SealError as S;
            let message = match source {
                S::KeyMissing => text(loc, "cli.state_sealed_no_key").to_owned(),
                S::WrongKey => text(loc, "cli.state_sealed_wrong_key").to_owned(),
                S::OtherInstallation | S::Tampered | S::UnknownAlgorithm => {
                    text(loc, "cli.state_sealed_refused").to_owned()
                }
                other => seal_key_file_text(loc, other, path),
            };
            return with_detail(verbose, message, &e.to_string());
        }
        StateError::Unreachable { store, fault, .. } => {
            let why = store_cause(*fault);
            let message = if *fault == StoreFault::SchemaNewer {
                render(loc, "cli.state_schema_newer", &[("location", store)])
            } else if *fault == StoreFault::SchemaForeign {
                render(loc, "cli.state_schema_foreign", &[("location", store)])
            } else {
                // Reached but refused (user, database, TLS) is not "out of
                // reach".
                let key = match why {
                    "store.cause_auth" | "store.cause_database" | "store.cause_tls_required" => {
                        "cli.state_unusable"
                    }
                    _ => "cli.state_unreachable",
                };
                render(loc, key, &[("location", store), ("cause", text(loc, why))])
            };
            return with_detail(verbose, message, &e.to_string());
        }
        StateError::Io { path, source, .. } => {
            // Which file, and why, in the administrator's language.
            let message = render(
                loc,
                "cli.state_io",
                &[
                    ("path", &path.display().to_string()),
                    ("cause", text(loc, io_cause_at(path, source))),
                ],
            );
            return with_detail(verbose, message, &e.to_string());
        }
        _ => "code.state",
    };
    with_detail(verbose, text(loc, key).to_owned(), &e.to_string())
}

/// Why a seal key file cannot be used, in the chosen language: the file and
/// the cause (missing, open to others, another owner, not a key, not
/// readable), never the key.
pub fn seal_key_file_text(
    loc: Locale,
    e: &smartlink_core::SealError,
    path: &std::path::Path,
) -> String {
    use smartlink_core::SealError as S;
    let path = path.display().to_string();
    match e {
        S::KeyFileMissing { .. } => render(loc, "cli.seal_key_missing_file", &[("path", &path)]),
        S::KeyFileInsecure { mode, .. } => render(
            loc,
            "cli.seal_key_insecure",
            &[("path", &path), ("mode", &format!("{mode:04o}"))],
        ),
        S::KeyFileForeignOwner { .. } => {
            render(loc, "cli.seal_key_foreign_owner", &[("path", &path)])
        }
        S::KeyFileInvalid { .. } => render(loc, "cli.seal_key_not_a_key", &[("path", &path)]),
        S::KeyFileIo { .. } => render(loc, "cli.seal_key_unreadable", &[("path", &path)]),
        _ => render(loc, "cli.seal_key_unusable", &[("path", &path)]),
    }
}

/// The catalogue key that says why a shared store (a database) could not
/// be used.
pub fn store_cause(fault: StoreFault) -> &'static str {
    match fault {
        StoreFault::TlsRequired => "store.cause_tls_required",
        StoreFault::Unreachable => "cause.refused",
        StoreFault::Timeout => "cause.timeout",
        StoreFault::Dns => "cause.dns",
        StoreFault::Authentication => "store.cause_auth",
        StoreFault::NoDatabase => "store.cause_database",
        StoreFault::Tls => "cause.tls",
        _ => "store.cause_other",
    }
}

/// A stable code for what is wrong with a store, for `check`'s line (the
/// text beside it is in the administrator's language).
pub fn state_fault_code(e: &StateError) -> &'static str {
    use smartlink_core::SealError as S;
    match e {
        StateError::Unreachable { fault, .. } => match fault {
            StoreFault::SchemaNewer => "schema_newer",
            StoreFault::SchemaForeign => "schema_foreign",
            StoreFault::TlsRequired => "tls_required",
            StoreFault::Authentication => "authentication_refused",
            StoreFault::NoDatabase => "database_missing",
            _ => "unreachable",
        },
        StateError::Sealed { source, .. } => match source {
            S::KeyMissing => "seal_key_missing",
            S::WrongKey => "seal_wrong_key",
            S::OtherInstallation => "seal_other_installation",
            S::Tampered => "seal_tampered",
            S::UnknownAlgorithm => "seal_unknown_algorithm",
            _ => "seal_key_file",
        },
        StateError::Corrupt { .. } => "corrupt",
        StateError::UnsupportedVersion { .. } => "newer_format",
        StateError::InsecurePermissions { .. } => "insecure_permissions",
        StateError::ForeignOwner { .. } => "foreign_owner",
        StateError::Io { .. } => "io",
        _ => "state",
    }
}

/// The catalogue key that says why a file operation failed.
/// [`io_cause`], and a symbolic link named as such: the store does not
/// follow one (the system only says "too many levels of symbolic links").
fn io_cause_at(path: &std::path::Path, source: &std::io::Error) -> &'static str {
    match io_cause(source.kind()) {
        "io.other" if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            "io.symlink"
        }
        cause => cause,
    }
}

pub(crate) fn io_cause(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::NotFound => "io.not_found",
        K::PermissionDenied => "io.permission_denied",
        K::IsADirectory => "io.is_a_directory",
        K::NotADirectory => "io.not_a_directory",
        K::ReadOnlyFilesystem => "io.read_only",
        K::StorageFull | K::QuotaExceeded => "io.storage_full",
        K::WouldBlock | K::ResourceBusy => "io.busy",
        _ => "io.other",
    }
}

/// Why the platform could not be reached, from what the error says.
fn transport_cause(e: &PlatformError) -> Option<&'static str> {
    match e {
        PlatformError::Timeout { .. } => Some("cause.timeout"),
        PlatformError::Transport { detail, .. } => Some(if detail.contains("refused") {
            "cause.refused"
        } else if detail.contains("unreachable") && !detail.contains("TLS") {
            "cause.network"
        } else {
            "cause.connect"
        }),
        _ => None,
    }
}

/// The catalogue's text for a platform error (the English detail, which
/// holds no secret, only with `--verbose`).
pub fn platform_message(ctx: &Ctx, e: &PlatformError) -> String {
    let loc = ctx.locale;
    let mut message = code_text(loc, FailureCode::from(e).as_str());
    if let Some(cause) = transport_cause(e) {
        // One sentence: "Could not connect to the platform (…): the
        // connection was refused (…)."
        let cause = text(loc, cause);
        let lead = message.trim_end().trim_end_matches('.');
        let end = if cause.ends_with('.') { "" } else { "." };
        message = format!("{lead}: {cause}{end}");
    }
    with_detail(ctx.cli.verbose, message, &e.to_string())
}

/// A localized message and the exit code for a failure of the access token
/// (`token`).
pub fn report_token_error(ctx: &Ctx, e: &TokenError) -> (String, u8) {
    let loc = ctx.locale;
    match e {
        TokenError::NotConfigured => (code_text(loc, "not_configured"), exit::DECISION),
        TokenError::Revoked { .. } => (code_text(loc, "credentials_revoked"), exit::DECISION),
        TokenError::Platform(p) => (platform_message(ctx, p), exit::PLATFORM),
        // The token's error carries the state's failure as text: read the
        // store again for the typed cause (the permissions, the file, the
        // key), in the administrator's words.
        TokenError::State(detail) => (
            match ctx.store.load() {
                Err(e) => state_error_text(loc, ctx.cli.verbose, &e),
                Ok(_) => with_detail(ctx.cli.verbose, code_text(loc, "state"), detail),
            },
            exit::STATE,
        ),
        other => (other.to_string(), exit::INTERNAL),
    }
}

#[cfg(test)]
mod state_error_tests {
    use super::*;

    /// What the PostgreSQL driver and the store say, read as a cause in
    /// the administrator's words and a stable code; the store's name
    /// (here with a port and a database that look like causes) is not
    /// mistaken for one.
    #[test]
    fn a_database_failure_is_named_by_its_cause() {
        let store = "127.0.0.1:28000 database refused user lookup";
        let unreachable = |fault: StoreFault| StateError::Unreachable {
            store: store.into(),
            cause: format!("connecting to PostgreSQL at {store} failed: (the driver's words)"),
            fault,
        };
        let cases = [
            (StoreFault::Unreachable, "cause.refused", "unreachable"),
            (StoreFault::Timeout, "cause.timeout", "unreachable"),
            (StoreFault::Dns, "cause.dns", "unreachable"),
            (
                StoreFault::Authentication,
                "store.cause_auth",
                "authentication_refused",
            ),
            (
                StoreFault::NoDatabase,
                "store.cause_database",
                "database_missing",
            ),
            (StoreFault::Other, "store.cause_other", "unreachable"),
        ];
        for (fault, key, code) in cases {
            let e = unreachable(fault);
            assert_eq!(store_cause(fault), key, "{fault:?}");
            assert_eq!(state_fault_code(&e), code, "{fault:?}");
            for loc in Locale::ALL {
                let shown = state_error_text(loc, false, &e);
                assert!(shown.contains(store), "{shown}");
                assert!(shown.contains(text(loc, key)), "{loc:?}: {shown}");
                assert!(!shown.contains("failed"), "English detail: {shown}");
            }
        }
        let tls = unreachable(StoreFault::TlsRequired);
        assert_eq!(state_fault_code(&tls), "tls_required");
        let newer = unreachable(StoreFault::SchemaNewer);
        assert_eq!(state_fault_code(&newer), "schema_newer");
        assert!(state_error_text(Locale::En, false, &newer).contains("newer SmartLink"));
    }

    /// What a real store says about `path` (a directory, a path under a
    /// file), in every language: the file and the cause in the
    /// administrator's words; the English detail only with `--verbose`.
    #[test]
    fn state_file_errors_name_the_file_and_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let cases = [
            (dir.path().to_path_buf(), "io.is_a_directory"),
            (plain.join("state.json"), "io.not_a_directory"),
        ];
        for (path, cause) in cases {
            let e = smartlink_core::FileStateStore::open(&path)
                .and_then(|s| s.inspect().map(|_| ()))
                .expect_err("the store refuses it");
            for loc in Locale::ALL {
                let shown = state_error_text(loc, false, &e);
                assert!(shown.contains(&path.display().to_string()), "{shown}");
                assert!(shown.contains(text(loc, cause)), "{loc:?} {cause}: {shown}");
                assert!(!shown.contains("failed for"), "English detail: {shown}");
                let verbose = state_error_text(loc, true, &e);
                assert!(verbose.contains(&e.to_string()), "{verbose}");
            }
        }
        for (kind, key) in [
            (std::io::ErrorKind::NotFound, "io.not_found"),
            (std::io::ErrorKind::PermissionDenied, "io.permission_denied"),
            (std::io::ErrorKind::ReadOnlyFilesystem, "io.read_only"),
            (std::io::ErrorKind::StorageFull, "io.storage_full"),
            (std::io::ErrorKind::Other, "io.other"),
        ] {
            assert_eq!(io_cause(kind), key);
            for loc in Locale::ALL {
                assert_ne!(text(loc, key), key, "{key} is in the catalogue");
            }
        }
    }
}
