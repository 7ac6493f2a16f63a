//! Why something failed, as one enum: the codes of task failures, of the
//! failure records in the local state, of the wizard's error screen and of
//! the C ABI's `code` field.
//!
//! Integrators match on [`FailureCode`]; the C ABI and the state file carry
//! its stable string ([`FailureCode::as_str`]), which never changes for a
//! given variant. This is the one place where a failure gets its code.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::platform::{ErrorCode, PlatformError};

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
    /// The decision was refused.
    Decision,
    /// Another process of this installation held the state lock too long.
    Busy,
    /// The stored credentials were refused by the token endpoint.
    CredentialsRevoked,
    /// Anything else (a bug).
    Internal,
}

impl FailureCode {
    /// The code of a platform error.
    pub fn of_platform(e: &PlatformError) -> Self {
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
            FailureCode::Decision => "decision",
            FailureCode::Busy => "busy",
            FailureCode::CredentialsRevoked => "credentials_revoked",
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
            "decision" => FailureCode::Decision,
            "busy" => FailureCode::Busy,
            "credentials_revoked" => FailureCode::CredentialsRevoked,
            // "internal" is also the contract's 500 code: one meaning.
            "internal" => FailureCode::Internal,
            other => FailureCode::Platform(ErrorCode::parse(other)),
        }
    }

    /// Whether trying again later may succeed without anyone deciding
    /// anything (the platform was unreachable, slow or overloaded).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FailureCode::Transport
                | FailureCode::Timeout
                | FailureCode::Busy
                | FailureCode::Platform(
                    ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::Internal
                )
        )
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
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        let all = [
            FailureCode::Platform(ErrorCode::NameTaken),
            FailureCode::Platform(ErrorCode::InvalidClient),
            FailureCode::Platform(ErrorCode::Unavailable),
            FailureCode::Transport,
            FailureCode::Timeout,
            FailureCode::Protocol,
            FailureCode::ResponseTooLarge,
            FailureCode::Config,
            FailureCode::InvalidInput,
            FailureCode::Cancelled,
            FailureCode::State,
            FailureCode::Decision,
            FailureCode::Busy,
            FailureCode::CredentialsRevoked,
            FailureCode::Internal,
        ];
        for code in all {
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
    fn platform_errors_map_to_their_code() {
        let e = PlatformError::api(ErrorCode::BindingExists);
        assert_eq!(FailureCode::of_platform(&e), "binding_exists");
        let e = PlatformError::Transport {
            detail: "reset".into(),
            request_id: None,
        };
        assert_eq!(FailureCode::of_platform(&e), FailureCode::Transport);
        assert!(FailureCode::of_platform(&e).is_transient());
    }
}
