//! Shared helpers for validated text newtypes.

use unicode_normalization::UnicodeNormalization;

use crate::error::ValidationError;

/// Trims `value`, puts it in Unicode NFC and checks it is 1..=`max_chars`
/// characters (counted after NFC, so a name typed decomposed has the length
/// it shows) without control characters; returns the normalized text.
pub(crate) fn check_text(
    value: &str,
    field: &'static str,
    max_chars: usize,
) -> Result<String, ValidationError> {
    let normalized: String = value.trim().nfc().collect();
    let trimmed = normalized.as_str();
    if trimmed.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ValidationError::ControlCharacter { field });
    }
    let len = trimmed.chars().count();
    if len > max_chars {
        return Err(ValidationError::TooLong {
            field,
            max: max_chars,
            len,
        });
    }
    Ok(normalized)
}

/// The one definition of "the same name" for environment names: NFC, then
/// full Unicode case folding, then NFC again. Used by the client's checks and
/// by the in-memory platform, so both agree on which names collide.
pub(crate) fn name_key(value: &str) -> String {
    let nfc: String = value.nfc().collect();
    caseless::default_case_fold_str(&nfc).nfc().collect()
}

/// Checks that `value` is 1..=`max_len` bytes, every one accepted by
/// `allowed` (described by `allowed_text` in the error).
pub(crate) fn check_ascii(
    value: String,
    field: &'static str,
    max_len: usize,
    allowed: fn(u8) -> bool,
    allowed_text: &'static str,
) -> Result<String, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if value.len() > max_len {
        return Err(ValidationError::TooLong {
            field,
            max: max_len,
            len: value.chars().count(),
        });
    }
    if !value.bytes().all(allowed) {
        return Err(ValidationError::InvalidCharacter {
            field,
            allowed: allowed_text,
        });
    }
    Ok(value)
}

/// Declares a `String` newtype whose only constructor is `Self::new`
/// (which the caller writes), with serde going through that constructor.
macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }
    };
}
pub(crate) use string_newtype;
