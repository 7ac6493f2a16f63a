//! Why something failed, as one enum: the codes of task failures, of the
//! failure records in the local state, of the wizard's error screen, of
//! token errors and of the C ABI's `code` field; and why a choice was
//! refused, as another ([`Refusal`]).
//!
//! Integrators match on [`FailureCode`]; the C ABI and the state file carry
//! its stable string ([`FailureCode::as_str`]), which never changes for a
//! given variant. This is the one place where a failure gets its code: every
//! error type reaches it through a `From` conversion below
//! (`FailureCode::from(&platform_error)`, `Refusal::from(&decision_error)`),
//! and every code has a text in the catalogue in all three languages
//! ([`crate::messages::code_text`]).
//!
//! Whether a failure is worth trying again is not a property of its code:
//! it is decided on the error, by its HTTP status
//! ([`PlatformError::is_transient`]), the same rule the HTTP client's
//! retries follow. A 401 whose body says `unavailable` has the code
//! `unavailable` and is final.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::configurator::ConfiguratorError;
use crate::platform::{ErrorCode, PlatformError};
use crate::rules::DecisionError;
use crate::token::TokenError;
use crate::wizard::WizardError;

/// The stable code of a failure.
///
/// Two codes are equal when their strings are: the platform's `500
/// internal` and [`FailureCode::Internal`] are both `internal`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FailureCode {
    /// The platform answered with this contract error (`name_taken`,
    /// `binding_exists`, `invalid_client`, `unavailable`, …).
    Platform(ErrorCode),
    /// The platform could not be reached, or the connection broke.
    Transport,
    /// The operation did not finish within its deadline.
    Timeout,
    /// The platform's answer did not follow the contract.
    Protocol,
    /// The platform's answer was larger than the limit.
    ResponseTooLarge,
    /// The platform client is misconfigured (URL, proxy, CA bundle).
    Config,
    /// The request could not be expressed.
    InvalidInput,
    /// The host cancelled the operation.
    Cancelled,
    /// The local state could not be read or written.
    State,
    /// Another machine (or process) of this installation changed the
    /// stored configuration after the decision was made, or took over the
    /// lease: nothing was overwritten; decide again on what is there now.
    StateChanged,
    /// The decision was refused.
    Decision,
    /// Another process of this installation held the state lock too long.
    Busy,
    /// The stored credentials were refused by the token endpoint.
    CredentialsRevoked,
    /// The installation is not configured (no access token to hand out, no
    /// binding to rotate or remove).
    NotConfigured,
    /// The work was abandoned (the runtime is shutting down).
    Abandoned,
    /// Anything else (a bug).
    Internal,
}

impl FailureCode {
    /// The stable string: the contract's code for platform errors, else the
    /// variant's snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureCode::Platform(code) => code.as_str(),
            FailureCode::Transport => "transport",
            FailureCode::Timeout => "timeout",
            FailureCode::Protocol => "protocol",
            FailureCode::ResponseTooLarge => "response_too_large",
            FailureCode::Config => "config",
            FailureCode::InvalidInput => "invalid_input",
            FailureCode::Cancelled => "cancelled",
            FailureCode::State => "state",
            FailureCode::StateChanged => "state_changed",
            FailureCode::Decision => "decision",
            FailureCode::Busy => "busy",
            FailureCode::CredentialsRevoked => "credentials_revoked",
            FailureCode::NotConfigured => "not_configured",
            FailureCode::Abandoned => "abandoned",
            FailureCode::Internal => "internal",
        }
    }

    /// Reads a stable string back (from a state file, say). A code this
    /// version does not know is `Platform(ErrorCode::Unknown)`.
    pub fn parse(text: &str) -> Self {
        match text {
            "transport" => FailureCode::Transport,
            "timeout" => FailureCode::Timeout,
            "protocol" => FailureCode::Protocol,
            "response_too_large" => FailureCode::ResponseTooLarge,
            "config" => FailureCode::Config,
            "invalid_input" => FailureCode::InvalidInput,
            "cancelled" => FailureCode::Cancelled,
            "state" => FailureCode::State,
            "state_changed" => FailureCode::StateChanged,
            "decision" => FailureCode::Decision,
            "busy" => FailureCode::Busy,
            "credentials_revoked" => FailureCode::CredentialsRevoked,
            "not_configured" => FailureCode::NotConfigured,
            "abandoned" => FailureCode::Abandoned,
            // "internal" is also the contract's 500 code: one meaning.
            "internal" => FailureCode::Internal,
            other => FailureCode::Platform(ErrorCode::parse(other)),
        }
    }
}

impl From<&PlatformError> for FailureCode {
    /// The contract's code for API errors (`name_taken`), else `transport`,
    /// `timeout`, `protocol`, …
    fn from(e: &PlatformError) -> Self {
        match e {
            PlatformError::Api { code, .. } => FailureCode::Platform(code.clone()),
            PlatformError::Transport { .. } => FailureCode::Transport,
            PlatformError::Timeout { .. } => FailureCode::Timeout,
            PlatformError::Protocol { .. } => FailureCode::Protocol,
            PlatformError::ResponseTooLarge { .. } => FailureCode::ResponseTooLarge,
            PlatformError::Config(_) => FailureCode::Config,
            PlatformError::InvalidInput(_) => FailureCode::InvalidInput,
            PlatformError::Cancelled => FailureCode::Cancelled,
        }
    }
}

impl From<&TokenError> for FailureCode {
    /// `not_configured`, `credentials_revoked`, `state`, `abandoned`, or the
    /// platform error's code.
    fn from(e: &TokenError) -> Self {
        match e {
            TokenError::NotConfigured => FailureCode::NotConfigured,
            TokenError::Revoked { .. } => FailureCode::CredentialsRevoked,
            TokenError::Platform(p) => FailureCode::from(p),
            TokenError::State(_) => FailureCode::State,
            TokenError::Abandoned => FailureCode::Abandoned,
        }
    }
}

impl From<&ConfiguratorError> for FailureCode {
    /// The code a failed task records. A refused choice is `decision` here
    /// (its precise reason is a [`Refusal`]).
    fn from(e: &ConfiguratorError) -> Self {
        match e {
            ConfiguratorError::Platform(p) => FailureCode::from(p),
            ConfiguratorError::State(
                crate::state::StateError::Conflict { .. }
                | crate::state::StateError::LeaseLost { .. },
            ) => FailureCode::StateChanged,
            ConfiguratorError::State(_) => FailureCode::State,
            ConfiguratorError::Decision(_) | ConfiguratorError::Wizard(_) => FailureCode::Decision,
            ConfiguratorError::Busy => FailureCode::Busy,
            ConfiguratorError::NotConfigured => FailureCode::NotConfigured,
            ConfiguratorError::TaskFailed { code, .. } => code.clone(),
            ConfiguratorError::NoRuntime => FailureCode::Internal,
        }
    }
}

/// Why a choice (a wizard action, an unattended decision) was refused: the
/// stable code the C ABI sends as the error's `code` and the refusals
/// serialize as `refusal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The current screen does not offer that action.
    NotAllowed,
    /// No listed environment has that name.
    EnvironmentNotFound,
    /// The environment cannot be chosen.
    NotSelectable,
    /// Another installation of this line holds it: a confirmation is needed.
    ConfirmationRequired,
    /// The confirmation did not match the environment's name.
    ConfirmationMismatch,
    /// Creating is not offered (the installation is bound).
    CreateNotOffered,
    /// An environment with that name exists.
    NameTaken,
    /// The data is inconsistent (R5).
    Inconsistent,
    /// A name was refused.
    InvalidName,
    /// The installation has no name and none could be found.
    NameRequired,
}

impl Refusal {
    /// Every refusal, for documents and tests.
    pub const ALL: [Refusal; 10] = [
        Refusal::NotAllowed,
        Refusal::EnvironmentNotFound,
        Refusal::NotSelectable,
        Refusal::ConfirmationRequired,
        Refusal::ConfirmationMismatch,
        Refusal::CreateNotOffered,
        Refusal::NameTaken,
        Refusal::Inconsistent,
        Refusal::InvalidName,
        Refusal::NameRequired,
    ];

    /// The stable string.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "not_allowed",
            Refusal::EnvironmentNotFound => "environment_not_found",
            Refusal::NotSelectable => "not_selectable",
            Refusal::ConfirmationRequired => "confirmation_required",
            Refusal::ConfirmationMismatch => "confirmation_mismatch",
            Refusal::CreateNotOffered => "create_not_offered",
            Refusal::NameTaken => "name_taken",
            Refusal::Inconsistent => "inconsistent",
            Refusal::InvalidName => "invalid_name",
            Refusal::NameRequired => "name_required",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&DecisionError> for Refusal {
    fn from(e: &DecisionError) -> Self {
        match e {
            DecisionError::EnvironmentNotFound(_) => Refusal::EnvironmentNotFound,
            DecisionError::NotSelectable { .. } => Refusal::NotSelectable,
            DecisionError::ConfirmationRequired(_) => Refusal::ConfirmationRequired,
            DecisionError::ConfirmationMismatch(_) => Refusal::ConfirmationMismatch,
            DecisionError::CreateNotOffered => Refusal::CreateNotOffered,
            DecisionError::NameTaken => Refusal::NameTaken,
            DecisionError::Inconsistent(_) => Refusal::Inconsistent,
            DecisionError::Invalid(_) => Refusal::InvalidName,
            DecisionError::NameRequired => Refusal::NameRequired,
        }
    }
}

impl From<&WizardError> for Refusal {
    fn from(e: &WizardError) -> Self {
        match e {
            WizardError::NotAllowed { .. } => Refusal::NotAllowed,
            WizardError::Decision(d) => Refusal::from(d),
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for FailureCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for FailureCode {}

impl std::hash::Hash for FailureCode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for FailureCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for FailureCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for FailureCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FailureCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(FailureCode::parse(&text))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::messages::{Locale, keys, text};

    /// Every platform contract code. The match fails to compile when a
    /// variant is added without being listed.
    pub(crate) fn every_error_code() -> Vec<ErrorCode> {
        let all = vec![
            ErrorCode::InvalidRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::NameTaken,
            ErrorCode::BindingExists,
            ErrorCode::InstallationBoundElsewhere,
            ErrorCode::NotBound,
            ErrorCode::PreconditionFailed,
            ErrorCode::InvalidName,
            ErrorCode::KindMismatch,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::PreconditionRequired,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
            ErrorCode::Unavailable,
            ErrorCode::InvalidClient,
            ErrorCode::InvalidToken,
            ErrorCode::Unknown,
        ];
        for code in &all {
            match code {
                ErrorCode::InvalidRequest
                | ErrorCode::Unauthorized
                | ErrorCode::Forbidden
                | ErrorCode::NotFound
                | ErrorCode::NameTaken
                | ErrorCode::BindingExists
                | ErrorCode::InstallationBoundElsewhere
                | ErrorCode::NotBound
                | ErrorCode::PreconditionFailed
                | ErrorCode::InvalidName
                | ErrorCode::KindMismatch
                | ErrorCode::IdempotencyKeyReused
                | ErrorCode::PreconditionRequired
                | ErrorCode::RateLimited
                | ErrorCode::Internal
                | ErrorCode::Unavailable
                | ErrorCode::InvalidClient
                | ErrorCode::InvalidToken
                | ErrorCode::Unknown => {}
            }
        }
        all
    }

    /// Every failure code (each platform code included). Exhaustive like
    /// [`every_error_code`].
    fn every_failure_code() -> Vec<FailureCode> {
        let mut all: Vec<FailureCode> = every_error_code()
            .into_iter()
            .map(FailureCode::Platform)
            .collect();
        all.extend([
            FailureCode::Transport,
            FailureCode::Timeout,
            FailureCode::Protocol,
            FailureCode::ResponseTooLarge,
            FailureCode::Config,
            FailureCode::InvalidInput,
            FailureCode::Cancelled,
            FailureCode::State,
            FailureCode::StateChanged,
            FailureCode::Decision,
            FailureCode::Busy,
            FailureCode::CredentialsRevoked,
            FailureCode::NotConfigured,
            FailureCode::Abandoned,
            FailureCode::Internal,
        ]);
        for code in &all {
            match code {
                FailureCode::Platform(_)
                | FailureCode::Transport
                | FailureCode::Timeout
                | FailureCode::Protocol
                | FailureCode::ResponseTooLarge
                | FailureCode::Config
                | FailureCode::InvalidInput
                | FailureCode::Cancelled
                | FailureCode::State
                | FailureCode::StateChanged
                | FailureCode::Decision
                | FailureCode::Busy
                | FailureCode::CredentialsRevoked
                | FailureCode::NotConfigured
                | FailureCode::Abandoned
                | FailureCode::Internal => {}
            }
        }
        all
    }

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in every_failure_code() {
            assert_eq!(FailureCode::parse(code.as_str()), code);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<FailureCode>(&json).unwrap(), code);
        }
        assert_eq!(
            FailureCode::parse("something_new"),
            FailureCode::Platform(ErrorCode::Unknown)
        );
    }

    #[test]
    fn every_code_and_refusal_has_a_text_in_all_three_languages() {
        let codes = every_failure_code()
            .iter()
            .map(FailureCode::as_str)
            .chain(Refusal::ALL.iter().map(|r| r.as_str()))
            .collect::<Vec<_>>();
        for code in codes {
            let key = format!("code.{code}");
            assert!(keys().any(|k| k == key), "no text for the code `{code}`");
            for locale in [Locale::PtBr, Locale::Es, Locale::En] {
                let t = text(locale, &key);
                assert!(!t.trim().is_empty() && t != key, "{key} in {locale:?}");
            }
            // Not pt-BR's text reused: each language has its own.
            assert_ne!(text(Locale::PtBr, &key), text(Locale::En, &key), "{key}");
        }
    }

    #[test]
    fn every_error_type_reaches_its_code_here() {
        let e = PlatformError::api(ErrorCode::BindingExists);
        assert_eq!(FailureCode::from(&e), "binding_exists");
        let e = PlatformError::Transport {
            detail: "reset".into(),
            request_id: None,
        };
        assert_eq!(FailureCode::from(&e), FailureCode::Transport);
        let timeout = PlatformError::Timeout {
            elapsed: std::time::Duration::from_millis(1500),
            request_id: None,
        };
        assert_eq!(FailureCode::from(&timeout), FailureCode::Timeout);
        // Its text gives the time it ran, not whole seconds.
        assert_eq!(
            timeout.to_string(),
            "the platform did not answer in time (1.5 s)"
        );

        assert_eq!(
            FailureCode::from(&TokenError::Abandoned),
            FailureCode::Abandoned
        );
        assert_eq!(
            FailureCode::from(&TokenError::NotConfigured),
            "not_configured"
        );
        assert_eq!(
            FailureCode::from(&TokenError::Platform(timeout.clone())),
            "timeout"
        );
        assert_eq!(
            FailureCode::from(&ConfiguratorError::Platform(timeout)),
            "timeout"
        );
        assert_eq!(
            FailureCode::from(&ConfiguratorError::Decision(DecisionError::NameTaken)),
            FailureCode::Decision
        );
        assert_eq!(FailureCode::from(&ConfiguratorError::Busy), "busy");

        assert_eq!(
            Refusal::from(&DecisionError::Invalid(
                crate::error::ValidationError::Empty { field: "name" }
            )),
            Refusal::InvalidName
        );
        let refused = WizardError::NotAllowed {
            action: "confirm",
            screen: "welcome",
        };
        assert_eq!(Refusal::from(&refused).as_str(), "not_allowed");
        assert_eq!(
            Refusal::from(&WizardError::Decision(DecisionError::NameRequired)),
            Refusal::NameRequired
        );
    }

    #[test]
    fn a_401_whose_body_says_unavailable_is_final_for_everyone() {
        // The code is the body's, for the text; whether to try again is the
        // status's, for the client's retries and for the error alike.
        let e = PlatformError::Api {
            status: 401,
            code: ErrorCode::Unavailable,
            detail: None,
            request_id: None,
        };
        assert_eq!(FailureCode::from(&e), "unavailable");
        assert!(!e.is_transient());
        assert!(!crate::platform::is_transient_status(401));
        let e = PlatformError::api(ErrorCode::Unavailable);
        assert!(e.is_transient());
    }
}
