//! Typed confirmation of an overwrite (rule R4).

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

use crate::environment::{Environment, EnvironmentId, EnvironmentName, Etag};

/// Proof that an administrator typed the name of the environment whose
/// binding is about to be taken over.
///
/// The only constructor compares the typed text with the environment's name,
/// both NFC-normalised and trimmed of surrounding whitespace, case included.
/// A bind that overwrites another installation's binding can only be
/// expressed with one of these (see [`crate::BindTarget::overwrite`]).
///
/// ```
/// # use smartlink_core::*;
/// # let env: Environment = serde_json::from_str(r#"{"id":"env_1","name":"Produção","kind":"production","etag":"\"1\"","bindings":[]}"#).unwrap();
/// assert!(OverwriteConfirmation::new(&env, "  Produção ").is_ok());
/// // "Produção" typed with a combining cedilla and tilde (NFD) is the same name.
/// assert!(OverwriteConfirmation::new(&env, "Produc\u{327}a\u{303}o").is_ok());
/// assert!(OverwriteConfirmation::new(&env, "produção").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverwriteConfirmation {
    environment_id: EnvironmentId,
    environment_name: EnvironmentName,
    etag: Etag,
}

/// The typed text did not match the environment's name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the text typed does not match the environment's name; type the name exactly as shown")]
pub struct ConfirmationMismatch;

/// Whether `typed` confirms `name` under rule R4.
pub fn confirmation_matches(name: &str, typed: &str) -> bool {
    let a: String = name.trim().nfc().collect();
    let b: String = typed.trim().nfc().collect();
    a == b
}

impl OverwriteConfirmation {
    /// Checks `typed` against `environment`'s name.
    pub fn new(environment: &Environment, typed: &str) -> Result<Self, ConfirmationMismatch> {
        if confirmation_matches(environment.name.as_str(), typed) {
            Ok(Self {
                environment_id: environment.id.clone(),
                environment_name: environment.name.clone(),
                etag: environment.etag.clone(),
            })
        } else {
            Err(ConfirmationMismatch)
        }
    }

    /// The environment the confirmation was typed for.
    pub fn environment_id(&self) -> &EnvironmentId {
        &self.environment_id
    }

    /// That environment's name.
    pub fn environment_name(&self) -> &EnvironmentName {
        &self.environment_name
    }

    /// The etag the environment had when the admin confirmed: the overwrite
    /// only goes through while nothing has changed since.
    pub fn etag(&self) -> &Etag {
        &self.etag
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installation::Kind;

    fn env(name: &str) -> Environment {
        Environment {
            id: EnvironmentId::new("env_1").unwrap(),
            name: EnvironmentName::new(name).unwrap(),
            kind: Kind::Production,
            etag: Etag::new("\"1\"").unwrap(),
            bindings: vec![],
        }
    }

    #[test]
    fn r4_exact_name_confirms() {
        let c = OverwriteConfirmation::new(&env("Produção"), "Produção").unwrap();
        assert_eq!(c.environment_id().as_str(), "env_1");
        assert_eq!(c.etag().as_str(), "\"1\"");
    }

    #[test]
    fn r4_nfd_typed_name_confirms_nfc_name_and_back() {
        let nfd = "Produc\u{327}a\u{303}o";
        assert!(OverwriteConfirmation::new(&env("Produção"), nfd).is_ok());
        // Names are stored as given; an NFD name is confirmed by NFC typing.
        assert!(confirmation_matches(nfd, "Produção"));
    }

    #[test]
    fn r4_surrounding_whitespace_is_ignored_inner_is_not() {
        assert!(OverwriteConfirmation::new(&env("Prod SP"), " \tProd SP \n").is_ok());
        assert!(OverwriteConfirmation::new(&env("Prod SP"), "Prod  SP").is_err());
    }

    #[test]
    fn r4_case_differences_are_refused() {
        assert_eq!(
            OverwriteConfirmation::new(&env("Produção"), "PRODUÇÃO"),
            Err(ConfirmationMismatch)
        );
        assert!(OverwriteConfirmation::new(&env("Produção"), "").is_err());
        assert!(OverwriteConfirmation::new(&env("Produção"), "Produçã").is_err());
    }

    #[test]
    fn r4_mismatch_message_names_nothing_typed() {
        let err = OverwriteConfirmation::new(&env("Produção"), "hunter2").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert!(!err.to_string().contains("Produção"));
    }
}
