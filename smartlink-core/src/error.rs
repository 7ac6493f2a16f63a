//! Validation errors of the domain types.

use serde::Serialize;
use thiserror::Error;

/// Why a value offered for a domain type was refused.
///
/// The message names the field and the rule that failed; it never repeats
/// the offending value, so it is safe to log even when the value came from a
/// place that may hold secrets.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValidationError {
    /// The value is empty (after trimming, where the type trims).
    #[error("{field} must not be empty")]
    Empty {
        /// The field that was validated.
        field: &'static str,
    },
    /// The value is longer than the type allows.
    #[error("{field} must be at most {max} characters long (got {len})")]
    TooLong {
        /// The field that was validated.
        field: &'static str,
        /// The largest length allowed, in characters.
        max: usize,
        /// The length offered, in characters.
        len: usize,
    },
    /// The value holds a control character (newline, tab, NUL, ...).
    #[error("{field} must not contain control characters")]
    ControlCharacter {
        /// The field that was validated.
        field: &'static str,
    },
    /// The value holds a character the type does not accept.
    #[error("{field} contains a character that is not allowed: {allowed}")]
    InvalidCharacter {
        /// The field that was validated.
        field: &'static str,
        /// A description of what is allowed.
        allowed: &'static str,
    },
    /// The value is not one of the names the type knows.
    #[error("{field} must be one of: {expected}")]
    UnknownVariant {
        /// The field that was validated.
        field: &'static str,
        /// The accepted values, comma-separated.
        expected: &'static str,
    },
    /// An identity component used to derive an installation id is missing.
    #[error("installation identity component {component} must not be empty")]
    MissingIdentityComponent {
        /// The component that was empty.
        component: &'static str,
    },
}
