//! Environments of the platform and the bindings they hold.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::installation::{ErpLine, InstallationId, InstallationName, Kind};
use crate::text::{check_ascii, check_text, name_key, string_newtype};

string_newtype! {
    /// Opaque, stable id of an environment (`env_...` on the platform):
    /// 1 to 128 visible ASCII characters, no `/`, `?`, `#` or `%` so it is
    /// always safe as a URL path segment.
    EnvironmentId, "environment_id"
}

impl EnvironmentId {
    /// Validates an environment id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        check_ascii(
            value.into(),
            "environment_id",
            128,
            |b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'%' | b'\\'),
            "visible ASCII except '/', '?', '#', '%', '\\'",
        )
        .map(Self)
    }
}

string_newtype! {
    /// Name of an environment: 1 to 20 characters after trimming, no control
    /// characters; unique per customer, case-insensitively.
    EnvironmentName, "environment_name"
}

impl EnvironmentName {
    /// Largest length accepted, in characters.
    pub const MAX_CHARS: usize = 20;

    /// Trims and validates a name.
    pub fn new(value: impl AsRef<str>) -> Result<Self, ValidationError> {
        check_text(value.as_ref(), "environment_name", Self::MAX_CHARS).map(Self)
    }

    /// The key under which names are unique: Unicode NFC, then full case
    /// folding. Two names with the same key are the same name, for the
    /// platform (`409 name_taken`) and for every check of the client.
    pub fn uniqueness_key(&self) -> String {
        name_key(&self.0)
    }

    /// [`EnvironmentName::uniqueness_key`] of raw text (trimmed), for
    /// looking a typed name up without validating it first.
    pub fn key_of(text: &str) -> String {
        name_key(text.trim())
    }
}

string_newtype! {
    /// An environment's entity tag, as sent in `If-Match` (quotes included).
    Etag, "etag"
}

impl Etag {
    /// Validates an etag: 1 to 256 visible ASCII characters.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        check_ascii(
            value.into(),
            "etag",
            256,
            |b| b.is_ascii_graphic(),
            "visible ASCII",
        )
        .map(Self)
    }
}

/// One installation bound to an environment, for one ERP line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The bound installation.
    pub installation_id: InstallationId,
    /// Its friendly name when it was bound (or last re-bound).
    pub installation_name: InstallationName,
    /// The ERP line it is bound for.
    pub line: ErpLine,
    /// When the binding was made.
    pub bound_at: DateTime<Utc>,
}

/// An environment of the platform, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Its id.
    pub id: EnvironmentId,
    /// Its name.
    pub name: EnvironmentName,
    /// Its kind.
    pub kind: Kind,
    /// Its current etag; changes whenever the bindings or the name change.
    pub etag: Etag,
    /// Its bindings, at most one per ERP line.
    #[serde(default)]
    pub bindings: Vec<Binding>,
}

impl Environment {
    /// The binding held for `line`, if any.
    pub fn binding_for(&self, line: ErpLine) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.line == line)
    }

    /// Whether `installation` is bound here (for any line).
    pub fn binds(&self, installation: &InstallationId) -> bool {
        self.bindings
            .iter()
            .any(|b| &b.installation_id == installation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_name_allows_twenty_characters() {
        assert!(EnvironmentName::new("Produção Matriz 2026").is_ok());
        assert!(EnvironmentName::new("x".repeat(21)).is_err());
        assert_eq!(EnvironmentName::new(" Dev ").unwrap().as_str(), "Dev");
        assert_eq!(
            EnvironmentName::new("PRODUÇÃO").unwrap().uniqueness_key(),
            "produção"
        );
    }

    #[test]
    fn names_are_the_same_under_nfc_and_case_folding() {
        let composed = EnvironmentName::new("Produção").unwrap();
        let decomposed = EnvironmentName::new("Produc\u{0327}a\u{0303}o").unwrap();
        assert_eq!(composed.uniqueness_key(), decomposed.uniqueness_key());
        assert_eq!(decomposed.as_str(), "Produção", "stored in NFC");
        assert_eq!(
            EnvironmentName::new("STRASSE").unwrap().uniqueness_key(),
            EnvironmentName::new("straße").unwrap().uniqueness_key()
        );
        assert_eq!(
            EnvironmentName::key_of("  PRODUC\u{0327}A\u{0303}O "),
            composed.uniqueness_key()
        );
        assert_ne!(
            EnvironmentName::new("Producao").unwrap().uniqueness_key(),
            composed.uniqueness_key()
        );
    }

    #[test]
    fn lengths_count_characters_after_nfc() {
        let nfc = "é".repeat(20);
        let nfd = "e\u{0301}".repeat(20);
        assert!(EnvironmentName::new(&nfc).is_ok());
        assert!(
            EnvironmentName::new(&nfd).is_ok(),
            "40 code points, 20 characters"
        );
        assert!(EnvironmentName::new("e\u{0301}".repeat(21)).is_err());
    }

    #[test]
    fn environment_id_is_path_safe() {
        assert!(EnvironmentId::new("env_01HXYZ").is_ok());
        assert!(EnvironmentId::new("env/../x").is_err());
        assert!(EnvironmentId::new("env x").is_err());
        assert!(EnvironmentId::new("%2e").is_err());
    }

    #[test]
    fn environment_parses_the_contract_json() {
        let json = r#"{"id":"env_1","name":"Produção","kind":"production","etag":"\"7\"",
            "bindings":[{"installation_id":"inst-1","installation_name":"Filial São Paulo",
            "line":"protheus","bound_at":"2026-11-28T12:00:00Z"}],"extra":1}"#;
        let env: Environment = serde_json::from_str(json).unwrap();
        assert_eq!(env.etag.as_str(), "\"7\"");
        assert_eq!(
            env.binding_for(ErpLine::Protheus)
                .unwrap()
                .installation_id
                .as_str(),
            "inst-1"
        );
        assert!(env.binding_for(ErpLine::Rm).is_none());
        let missing = r#"{"id":"env_1","name":"P","kind":"production","bindings":[]}"#;
        assert!(serde_json::from_str::<Environment>(missing).is_err());
    }
}
