//! Result codes and the thread-local last error.
//!
//! Codes live in a fixed range (7000–7099) so they never collide with a
//! host's own codes; a code is never renumbered and a retired one stays here
//! as a comment.

use std::cell::RefCell;
use std::ffi::c_char;

use smartlink_core::ConfiguratorError;
use smartlink_core::{FailureCode, Refusal, TokenError};

/// The result of every `smartlink_*` function.
///
/// `SMARTLINK_RESULT_OK` (0) is success; every error is in 7000–7099. Codes
/// are never renumbered; new codes are only ever appended.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum smartlink_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 7000,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 7001,
    /// A JSON argument (configuration or request) could not be parsed.
    InvalidJson = 7002,
    /// The configuration is well-formed JSON but wrong (missing URL, bad timeout, ...).
    InvalidConfig = 7003,
    /// The installation data (id, line, kind, name) is invalid.
    InvalidInstallation = 7004,
    /// The caller's buffer is too small; nothing was written, the size needed
    /// (terminating NUL included) was reported.
    BufferTooSmall = 7005,
    /// An integer handle (ExecInClientDLL) is unknown, or was closed.
    InvalidHandle = 7006,
    /// The request names an operation that does not exist.
    UnknownOperation = 7007,
    /// The request's fields are missing or wrong for its operation.
    InvalidRequest = 7008,
    /// The call was cancelled by `smartlink_cancel`.
    Cancelled = 7009,
    /// The call's deadline passed.
    Timeout = 7010,
    /// The library panicked; the call was abandoned (the process is fine).
    Panic = 7011,
    /// The library could not start its worker thread, or the handle is closed.
    Runtime = 7012,
    /// The platform failed or refused (see the error's `code` for which).
    Platform = 7013,
    /// The local state could not be read or written.
    State = 7014,
    /// The wizard refused the action on the current screen.
    WizardRefused = 7015,
    /// An unattended decision was refused (not found, confirmation needed, ...).
    DecisionRefused = 7016,
    /// Another process of this installation is configuring it.
    Busy = 7017,
    /// This installation is not configured.
    NotConfigured = 7018,
    /// The background configuration task failed.
    TaskFailed = 7019,
    /// An unexpected internal error.
    Internal = 7020,
    /// The platform refused this installation's credentials (revoked,
    /// expired, or a wrong token URL or client authentication method): no
    /// access token until the configurator runs again or they are verified
    /// anew (`reverify_credentials`); they are kept, marked refused.
    CredentialsRevoked = 7021,
}

impl smartlink_result {
    /// Every code, in numeric order.
    pub const ALL: [smartlink_result; 23] = [
        Self::Ok,
        Self::NullArgument,
        Self::InvalidUtf8,
        Self::InvalidJson,
        Self::InvalidConfig,
        Self::InvalidInstallation,
        Self::BufferTooSmall,
        Self::InvalidHandle,
        Self::UnknownOperation,
        Self::InvalidRequest,
        Self::Cancelled,
        Self::Timeout,
        Self::Panic,
        Self::Runtime,
        Self::Platform,
        Self::State,
        Self::WizardRefused,
        Self::DecisionRefused,
        Self::Busy,
        Self::NotConfigured,
        Self::TaskFailed,
        Self::Internal,
        Self::CredentialsRevoked,
    ];

    /// A stable snake_case name, used as `error.kind` in JSON responses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NullArgument => "null_argument",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::InvalidJson => "invalid_json",
            Self::InvalidConfig => "invalid_config",
            Self::InvalidInstallation => "invalid_installation",
            Self::BufferTooSmall => "buffer_too_small",
            Self::InvalidHandle => "invalid_handle",
            Self::UnknownOperation => "unknown_operation",
            Self::InvalidRequest => "invalid_request",
            Self::Cancelled => "cancelled",
            Self::Timeout => "timeout",
            Self::Panic => "panic",
            Self::Runtime => "runtime",
            Self::Platform => "platform",
            Self::State => "state",
            Self::WizardRefused => "wizard_refused",
            Self::DecisionRefused => "decision_refused",
            Self::Busy => "busy",
            Self::NotConfigured => "not_configured",
            Self::TaskFailed => "task_failed",
            Self::Internal => "internal",
            Self::CredentialsRevoked => "credentials_revoked",
        }
    }

    /// The English message of the code, NUL-terminated.
    pub(crate) fn message_nul(self) -> &'static str {
        match self {
            Self::Ok => "success\0",
            Self::NullArgument => "a required pointer argument was NULL\0",
            Self::InvalidUtf8 => "a string argument was not valid UTF-8\0",
            Self::InvalidJson => "a JSON argument could not be parsed\0",
            Self::InvalidConfig => "the configuration is invalid\0",
            Self::InvalidInstallation => "the installation data is invalid\0",
            Self::BufferTooSmall => "the buffer is too small; nothing was written\0",
            Self::InvalidHandle => "the handle is unknown or was closed\0",
            Self::UnknownOperation => "unknown operation\0",
            Self::InvalidRequest => "the request is invalid for its operation\0",
            Self::Cancelled => "the call was cancelled\0",
            Self::Timeout => "the call's deadline passed\0",
            Self::Panic => "internal panic caught; the call was abandoned\0",
            Self::Runtime => "the library's worker could not run (or the handle is closed)\0",
            Self::Platform => "the platform failed or refused the request\0",
            Self::State => "the local state could not be read or written\0",
            Self::WizardRefused => "the wizard refused the action\0",
            Self::DecisionRefused => "the decision was refused\0",
            Self::Busy => "another process of this installation is configuring it\0",
            Self::NotConfigured => "this installation is not configured\0",
            Self::TaskFailed => "the configuration task failed\0",
            Self::Internal => "unexpected internal error\0",
            Self::CredentialsRevoked => {
                "the platform refused this installation's credentials (revoked or expired, or a wrong token URL or client authentication method); they are kept, marked refused\0"
            }
        }
    }

    /// The result of a failure of the platform or the core, by its code:
    /// the one place where a [`FailureCode`] becomes a result. An operation
    /// that ran out of time is `Timeout` whichever deadline fired first
    /// (the call's or the HTTP client's own).
    pub fn of_failure(code: &FailureCode) -> Self {
        match code {
            FailureCode::Timeout => Self::Timeout,
            FailureCode::Cancelled => Self::Cancelled,
            FailureCode::State => Self::State,
            // Another machine changed the configuration meanwhile: like a
            // busy store, try again (and decide on what is there now).
            FailureCode::Busy | FailureCode::StateChanged => Self::Busy,
            FailureCode::Decision => Self::DecisionRefused,
            FailureCode::CredentialsRevoked => Self::CredentialsRevoked,
            FailureCode::NotConfigured => Self::NotConfigured,
            FailureCode::Abandoned => Self::Runtime,
            FailureCode::Platform(_)
            | FailureCode::Transport
            | FailureCode::Protocol
            | FailureCode::ResponseTooLarge
            | FailureCode::Config
            | FailureCode::InvalidInput => Self::Platform,
            _ => Self::Internal,
        }
    }

    /// The code for a raw number, if it is one.
    pub fn from_u32(n: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| *c as u32 == n)
    }
}

/// An error with a code and a detail safe to show (never a secret).
#[derive(Debug, Clone)]
pub struct FfiError {
    /// The code.
    pub code: smartlink_result,
    /// A stable sub-code (the platform's or the core's, e.g. `not_found`,
    /// `transport`), when there is one.
    pub sub_code: Option<String>,
    /// A detail for logs and support; never holds a secret.
    pub message: String,
    /// An id support can trace.
    pub support_id: Option<String>,
}

impl FfiError {
    /// An error with a code and a message.
    pub fn new(code: smartlink_result, message: impl Into<String>) -> Self {
        Self {
            code,
            sub_code: None,
            message: message.into(),
            support_id: None,
        }
    }

    /// Adds a stable sub-code.
    pub fn with_sub_code(mut self, sub_code: impl Into<String>) -> Self {
        self.sub_code = Some(sub_code.into());
        self
    }

    /// Adds a support id.
    pub fn with_support_id(mut self, id: impl Into<String>) -> Self {
        self.support_id = Some(id.into());
        self
    }
}

impl From<TokenError> for FfiError {
    /// Keeps the stable sub-code and the support id; the message never
    /// holds the token.
    fn from(e: TokenError) -> Self {
        let code = FailureCode::from(&e);
        let mut out = FfiError::new(smartlink_result::of_failure(&code), e.to_string())
            .with_sub_code(code.as_str());
        if let TokenError::Platform(p) = &e
            && let Some(id) = p.request_id()
        {
            out = out.with_support_id(id);
        }
        out
    }
}

impl From<ConfiguratorError> for FfiError {
    /// Keeps the stable sub-code (the failure's code, or the refusal's) and
    /// the support id.
    fn from(e: ConfiguratorError) -> Self {
        let message = e.to_string();
        match e {
            ConfiguratorError::Wizard(w) => FfiError::new(smartlink_result::WizardRefused, message)
                .with_sub_code(Refusal::from(&w).as_str()),
            ConfiguratorError::Decision(d) => {
                FfiError::new(smartlink_result::DecisionRefused, message)
                    .with_sub_code(Refusal::from(&d).as_str())
            }
            ConfiguratorError::NoRuntime => FfiError::new(smartlink_result::Runtime, message),
            ConfiguratorError::TaskFailed { task_id, code, .. } => {
                FfiError::new(smartlink_result::TaskFailed, message)
                    .with_sub_code(code.as_str())
                    .with_support_id(task_id.to_string())
            }
            other => {
                let code = FailureCode::from(&other);
                let mut out = FfiError::new(smartlink_result::of_failure(&code), message)
                    .with_sub_code(code.as_str());
                if let ConfiguratorError::Platform(p) = &other
                    && let Some(id) = p.request_id()
                {
                    out = out.with_support_id(id);
                }
                out
            }
        }
    }
}

impl std::fmt::Display for FfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<(smartlink_result, String)>> = const { RefCell::new(None) };
}

/// Records the detail of a failed call on this thread.
///
/// `try_with` and `try_borrow_mut`: this runs outside the panic boundary, and
/// a host may call the library from a thread-exit destructor after this
/// thread's storage is gone; the detail is then dropped, never a panic.
pub(crate) fn set_last_error(code: smartlink_result, message: &str) {
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut slot) = e.try_borrow_mut() {
            *slot = Some((code, message.to_owned()));
        }
    });
}

/// The last error recorded on this thread: its code and detail.
pub(crate) fn last_error() -> Option<(smartlink_result, String)> {
    LAST_ERROR
        .try_with(|e| e.try_borrow().ok().and_then(|v| v.clone()))
        .ok()
        .flatten()
}

/// `smartlink_result_message`'s body: a static NUL-terminated string.
pub(crate) fn result_message_ptr(code: u32) -> *const c_char {
    match smartlink_result::from_u32(code) {
        Some(c) => c.message_nul().as_ptr().cast(),
        None => c"unknown result code".as_ptr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_their_fixed_range_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in smartlink_result::ALL {
            let n = c as u32;
            assert!(n == 0 || (7000..7100).contains(&n), "{c:?}");
            assert!(seen.insert(n));
            assert!(c.message_nul().ends_with('\0'));
            assert_eq!(smartlink_result::from_u32(n), Some(c));
        }
    }

    #[test]
    fn every_kind_has_a_text_in_all_three_languages() {
        use smartlink_core::messages::{Locale, code_text};
        let unknown = code_text(Locale::En, "no_such_code");
        for c in smartlink_result::ALL.into_iter().skip(1) {
            for locale in [Locale::PtBr, Locale::Es, Locale::En] {
                assert_ne!(
                    code_text(locale, c.name()),
                    code_text(locale, "no_such_code"),
                    "{c:?} in {locale:?}"
                );
            }
            assert_ne!(code_text(Locale::En, c.name()), unknown, "{c:?}");
        }
    }

    #[test]
    fn a_timeout_is_a_timeout_whichever_deadline_fired() {
        use smartlink_core::PlatformError;
        let http = PlatformError::Timeout {
            elapsed: std::time::Duration::from_millis(1500),
            request_id: Some("r-1".into()),
        };
        let e = FfiError::from(ConfiguratorError::Platform(http.clone()));
        assert_eq!(e.code, smartlink_result::Timeout);
        assert_eq!(e.sub_code.as_deref(), Some("timeout"));
        assert_eq!(e.support_id.as_deref(), Some("r-1"));
        assert!(e.message.contains("(1.5 s)"), "{}", e.message);
        let e = FfiError::from(TokenError::Platform(http));
        assert_eq!(e.code, smartlink_result::Timeout);
        // Other platform failures stay PLATFORM.
        let e = FfiError::from(ConfiguratorError::Platform(PlatformError::api(
            smartlink_core::ErrorCode::Internal,
        )));
        assert_eq!(e.code, smartlink_result::Platform);
        assert_eq!(e.sub_code.as_deref(), Some("internal"));
        let e = FfiError::from(TokenError::Abandoned);
        assert_eq!(
            (e.code, e.sub_code.as_deref()),
            (smartlink_result::Runtime, Some("abandoned"))
        );
    }
}
