//! Credentials: the OAuth2 client an installation holds for its environment.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use crate::environment::EnvironmentId;
use crate::error::ValidationError;
use crate::text::{check_ascii, string_newtype};

string_newtype! {
    /// OAuth2 client id: 1 to 256 visible ASCII characters. Not a secret.
    ClientId, "client_id"
}

impl ClientId {
    /// Validates a client id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        check_ascii(
            value.into(),
            "client_id",
            256,
            |b| b.is_ascii_graphic(),
            "visible ASCII",
        )
        .map(Self)
    }
}

/// Credentials of one installation for one environment.
///
/// `Debug` and `Display` never show the secret. `Serialize` does write it,
/// because the state file and the host's own storage need it: never serialize
/// credentials into a log. Read the secret with [`Credentials::secret`] only
/// where it is sent or handed to the host.
#[derive(Clone, Deserialize, Serialize)]
pub struct Credentials {
    /// The OAuth2 client id.
    pub client_id: ClientId,
    /// The OAuth2 client secret.
    #[serde(serialize_with = "serialize_secret")]
    pub client_secret: SecretString,
    /// The tenant the client belongs to.
    pub tenant_id: Uuid,
    /// The environment they were issued for.
    pub environment_id: EnvironmentId,
    /// When they stop working, if they expire.
    pub expires_at: Option<DateTime<Utc>>,
}

fn serialize_secret<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

impl Credentials {
    /// The client secret, for sending it or handing it to the host.
    pub fn secret(&self) -> &str {
        self.client_secret.expose_secret()
    }

    /// Whether the credentials are unexpired at `now` (they may still have
    /// been revoked: only the platform can tell that).
    pub fn is_unexpired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }

    /// Whether two credentials are the same client with the same secret.
    pub fn same_as(&self, other: &Credentials) -> bool {
        self.client_id == other.client_id && self.secret() == other.secret()
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
            && self.tenant_id == other.tenant_id
            && self.environment_id == other.environment_id
            && self.expires_at == other.expires_at
    }
}

impl Eq for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("tenant_id", &self.tenant_id)
            .field("environment_id", &self.environment_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "client {} of tenant {} for environment {} (secret [redacted])",
            self.client_id, self.tenant_id, self.environment_id
        )
    }
}

/// Credentials as the platform returns them from an issue request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct IssuedCredentials {
    /// The credentials.
    #[serde(flatten)]
    pub credentials: Credentials,
    /// True when the installation's valid current credentials were returned.
    pub reused: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Credentials {
        Credentials {
            client_id: ClientId::new("cli_1").unwrap(),
            client_secret: SecretString::from("s3cr3t-value"),
            tenant_id: Uuid::nil(),
            environment_id: EnvironmentId::new("env_1").unwrap(),
            expires_at: None,
        }
    }

    #[test]
    fn debug_and_display_redact_the_secret() {
        let c = sample();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(!format!("{c:#?}").contains("s3cr3t"));
        assert!(!format!("{c}").contains("s3cr3t"));
        assert!(format!("{c:?}").contains("[redacted]"));
    }

    #[test]
    fn serialization_round_trips_the_secret_for_storage() {
        let c = sample();
        let json = serde_json::to_string(&c).unwrap();
        let back: Credentials = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.secret(), "s3cr3t-value");
    }

    #[test]
    fn issued_credentials_parse_the_contract_json() {
        let json = r#"{"client_id":"c","client_secret":"x","tenant_id":"6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f0",
            "environment_id":"env_1","expires_at":"2027-11-28T12:00:00Z","reused":true}"#;
        let issued: IssuedCredentials = serde_json::from_str(json).unwrap();
        assert!(issued.reused);
        assert!(issued.credentials.expires_at.is_some());
        let no_tenant = r#"{"client_id":"c","client_secret":"x","environment_id":"env_1","expires_at":null,"reused":false}"#;
        assert!(serde_json::from_str::<IssuedCredentials>(no_tenant).is_err());
    }

    #[test]
    fn expiry_is_checked_against_the_given_time() {
        let mut c = sample();
        let now = Utc::now();
        assert!(c.is_unexpired_at(now));
        c.expires_at = Some(now);
        assert!(!c.is_unexpired_at(now));
    }
}
