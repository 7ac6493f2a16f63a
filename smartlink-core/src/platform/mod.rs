//! The platform: what the configurator asks of TOTVS's cloud, as a trait.
//!
//! [`Platform`] is implemented by [`HttpPlatform`] (the contract over HTTP)
//! and, outside this crate, by the in-memory platform of `smartlink-sandbox`
//! (the same semantics in memory, which the sandbox serves). The contract is
//! `docs/platform-api.md`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::confirmation::OverwriteConfirmation;
use crate::credentials::{ClientId, Credentials, IssuedCredentials};
use crate::environment::{Environment, EnvironmentId, EnvironmentName, Etag};
use crate::installation::{ErpLine, Installation, InstallationId, Kind};

pub mod http;

pub use http::{
    ClientAuthMethod, EndpointProblem, HttpPlatform, HttpPlatformConfig, StaticToken, TokenSource,
};

/// Key that makes a creating `POST` safe to retry: generated once per logical
/// operation and sent again with every retry (a UUID v4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(Uuid);

impl IdempotencyKey {
    /// A fresh random key.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// Wraps an existing UUID (a key persisted with a pending task).
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The key as a UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What to bind to, and with what right.
///
/// A plain target may only take a free line (or repeat an existing binding of
/// the same installation). Taking a line held by another installation needs an
/// [`OverwriteConfirmation`], so an overwrite cannot be expressed without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindTarget {
    environment_id: EnvironmentId,
    etag: Etag,
    overwrite: Option<OverwriteConfirmation>,
}

impl BindTarget {
    /// Binds to `environment` as it was listed (its etag goes in `If-Match`).
    pub fn plain(environment: &Environment) -> Self {
        Self {
            environment_id: environment.id.clone(),
            etag: environment.etag.clone(),
            overwrite: None,
        }
    }

    /// Binds with the given id and etag, without overwrite.
    pub fn with_etag(environment_id: EnvironmentId, etag: Etag) -> Self {
        Self {
            environment_id,
            etag,
            overwrite: None,
        }
    }

    /// Takes over the line of the environment the confirmation was typed for.
    pub fn overwrite(confirmation: OverwriteConfirmation) -> Self {
        Self {
            environment_id: confirmation.environment_id().clone(),
            etag: confirmation.etag().clone(),
            overwrite: Some(confirmation),
        }
    }

    /// The environment.
    pub fn environment_id(&self) -> &EnvironmentId {
        &self.environment_id
    }

    /// The etag sent in `If-Match`.
    pub fn etag(&self) -> &Etag {
        &self.etag
    }

    /// Whether this target overwrites another installation's binding.
    pub fn is_overwrite(&self) -> bool {
        self.overwrite.is_some()
    }

    /// The confirmation, for an overwrite.
    pub fn confirmation(&self) -> Option<&OverwriteConfirmation> {
        self.overwrite.as_ref()
    }
}

/// Request to create an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateEnvironment {
    /// Its name.
    pub name: EnvironmentName,
    /// Its kind (the installation's).
    pub kind: Kind,
    /// The operation's idempotency key.
    pub idempotency_key: IdempotencyKey,
}

/// Request to issue credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueCredentials {
    /// The environment the installation is bound to.
    pub environment_id: EnvironmentId,
    /// The installation.
    pub installation_id: InstallationId,
    /// Return the current credentials when they are still valid.
    pub reuse_if_valid: bool,
    /// The operation's idempotency key.
    pub idempotency_key: IdempotencyKey,
}

/// Request to remove a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unbind {
    /// The environment.
    pub environment_id: EnvironmentId,
    /// The line to free.
    pub line: ErpLine,
    /// The installation that holds it.
    pub installation_id: InstallationId,
    /// The environment's etag, for `If-Match`.
    pub etag: Etag,
}

/// A machine-readable error code of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: a bug or bad input.
    InvalidRequest,
    /// 401: the host must supply a fresh token.
    Unauthorized,
    /// 403: the caller may not do this (e.g. create environments).
    Forbidden,
    /// 404: no such environment.
    NotFound,
    /// 409: an environment with that name exists.
    NameTaken,
    /// 409: another installation holds the line.
    BindingExists,
    /// 409: the installation is bound to another environment.
    InstallationBoundElsewhere,
    /// 409: the installation is not bound there.
    NotBound,
    /// 412: the etag is stale.
    PreconditionFailed,
    /// 422: the name is not acceptable.
    InvalidName,
    /// 422: kinds differ.
    KindMismatch,
    /// 422: the idempotency key was used with another body.
    IdempotencyKeyReused,
    /// 428: `If-Match` missing.
    PreconditionRequired,
    /// 429: slow down.
    RateLimited,
    /// 500: server fault.
    Internal,
    /// 502/503/504: the platform is unavailable.
    Unavailable,
    /// The token endpoint refused the client (`invalid_client`).
    InvalidClient,
    /// 401 from an installation-token API (`/v1/whoami`): the access token
    /// is unknown, expired, or its credentials were revoked.
    InvalidToken,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Parses the `code` of a problem document (unknown codes map to
    /// [`ErrorCode::Unknown`]).
    pub fn parse(code: &str) -> Self {
        serde_json::from_value(serde_json::Value::String(code.to_owned()))
            .unwrap_or(ErrorCode::Unknown)
    }

    /// The code as the contract spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NameTaken => "name_taken",
            ErrorCode::BindingExists => "binding_exists",
            ErrorCode::InstallationBoundElsewhere => "installation_bound_elsewhere",
            ErrorCode::NotBound => "not_bound",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::KindMismatch => "kind_mismatch",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::PreconditionRequired => "precondition_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// The HTTP status the contract gives this code.
    pub fn status(&self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::Unauthorized | ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::NameTaken
            | ErrorCode::BindingExists
            | ErrorCode::InstallationBoundElsewhere
            | ErrorCode::NotBound => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::InvalidName | ErrorCode::KindMismatch | ErrorCode::IdempotencyKeyReused => {
                422
            }
            ErrorCode::PreconditionRequired => 428,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal | ErrorCode::Unknown => 500,
            ErrorCode::Unavailable => 503,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong talking to the platform.
///
/// No variant ever holds a bearer token or a client secret; URLs are never
/// kept (they may carry ids the host considers private, and reqwest's errors
/// would otherwise print them).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// The platform answered with a contract error.
    #[error("platform refused the request: {code} (HTTP {status}){}{}",
        detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default(),
        request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// Contract code.
        code: ErrorCode,
        /// The server's human-readable detail, if any.
        detail: Option<String>,
        /// The request id, for support.
        request_id: Option<String>,
    },
    /// The connection could not be made or broke (refused, reset, TLS).
    #[error("could not reach the platform: {detail}{}",
        request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
    Transport {
        /// What happened, without URL or secrets.
        detail: String,
        /// The request id, for support.
        request_id: Option<String>,
    },
    /// The operation did not finish within its deadline.
    #[error("the platform did not answer in time ({}){}", crate::messages::duration_text(*elapsed),
        request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
    Timeout {
        /// How long the operation ran before it was given up, as measured
        /// (its deadline, or a little more); or its whole budget, when it
        /// gave up early because the wait the platform asked for
        /// (`Retry-After`) would have outlived it.
        elapsed: Duration,
        /// The request id, for support.
        request_id: Option<String>,
    },
    /// The response did not follow the contract (malformed JSON, missing field).
    #[error("the platform's answer did not follow the contract: {detail}{}",
        request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
    Protocol {
        /// What was wrong.
        detail: String,
        /// The start of the body, for support (secrets redacted).
        body_excerpt: String,
        /// The request id, for support.
        request_id: Option<String>,
    },
    /// The response was larger than the configured limit.
    #[error("the platform's answer exceeded {limit} bytes{}",
        request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// The request id, for support.
        request_id: Option<String>,
    },
    /// The client is misconfigured (bad URL, http to a remote host, bad CA file).
    #[error("platform client configuration: {0}")]
    Config(String),
    /// The request could not be expressed (e.g. confirmation for another environment).
    #[error("invalid request: {0}")]
    InvalidInput(String),
    /// The operation was cancelled by the host.
    #[error("the operation was cancelled")]
    Cancelled,
}

impl PlatformError {
    /// A contract error without detail.
    pub fn api(code: ErrorCode) -> Self {
        PlatformError::Api {
            status: code.status(),
            code,
            detail: None,
            request_id: None,
        }
    }

    /// The contract code, for API errors.
    pub fn api_code(&self) -> Option<&ErrorCode> {
        match self {
            PlatformError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether this is the contract error `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.api_code() == Some(&code)
    }

    /// The request id, where there is one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            PlatformError::Api { request_id, .. }
            | PlatformError::Transport { request_id, .. }
            | PlatformError::Timeout { request_id, .. }
            | PlatformError::Protocol { request_id, .. }
            | PlatformError::ResponseTooLarge { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether trying the whole operation again later may succeed (the
    /// platform was unreachable, slow or overloaded).
    ///
    /// Decided by the HTTP status, as the contract says, never by the body's
    /// `code`: 408, 429 and the 5xx statuses but 501 and 505 are transient;
    /// every other 4xx is final whatever its body claims.
    pub fn is_transient(&self) -> bool {
        match self {
            PlatformError::Api { status, .. } => is_transient_status(*status),
            PlatformError::Transport { .. } | PlatformError::Timeout { .. } => true,
            _ => false,
        }
    }

    /// Whether the platform's state changed under us (a re-list and a new
    /// decision by the admin are needed).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self.api_code(),
            Some(
                ErrorCode::PreconditionFailed
                    | ErrorCode::BindingExists
                    | ErrorCode::InstallationBoundElsewhere
                    | ErrorCode::NameTaken
                    | ErrorCode::NotBound
                    | ErrorCode::NotFound
            )
        )
    }
}

/// Whether an HTTP status is worth another attempt: 408 (request timeout),
/// 429 (rate limited) and 5xx except 501 (not implemented) and 505 (version
/// not supported), which no retry changes. The one rule for the platform
/// client's retries and for [`PlatformError::is_transient`].
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429) || ((500..=599).contains(&status) && !matches!(status, 501 | 505))
}

/// What the configurator asks of the platform.
///
/// Object-safe: hosts hold an `Arc<dyn Platform>`. Implementations follow
/// `docs/platform-api.md` exactly.
#[async_trait]
pub trait Platform: Send + Sync {
    /// Lists every environment the caller can see (all pages), with the
    /// bindings of every line.
    async fn list_environments(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError>;

    /// Creates an environment with no bindings.
    async fn create_environment(
        &self,
        request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError>;

    /// Binds `installation` to the target environment for its line.
    async fn bind(
        &self,
        installation: &Installation,
        target: &BindTarget,
    ) -> Result<Environment, PlatformError>;

    /// Issues (or, when asked and possible, reuses) credentials.
    async fn issue_credentials(
        &self,
        request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError>;

    /// Proves that credentials work, by obtaining a token with them.
    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError>;

    /// Removes a binding and revokes its credentials.
    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError>;

    /// Obtains an access token with `credentials` (`POST /oauth2/token`):
    /// the token the ERP sends with its own requests. `invalid_client` means
    /// the credentials were revoked or expired.
    ///
    /// The default refuses: a platform that only proves credentials
    /// ([`Platform::verify_credentials`]) hands out no tokens.
    async fn request_token(&self, credentials: &Credentials) -> Result<TokenGrant, PlatformError> {
        let _ = credentials;
        Err(PlatformError::Config(
            "this platform does not hand out access tokens".into(),
        ))
    }

    /// How this platform requests tokens, for the record of a refusal: the
    /// token URL and the client authentication method (never a secret).
    /// When a refusal was recorded under one setup and the host now runs
    /// another (it fixed its token URL or authentication method), the
    /// refused credentials get one new token request. `None`: the setup
    /// cannot change (the in-memory platform).
    fn token_request_setup(&self) -> Option<String> {
        None
    }

    /// Asks who an access token belongs to (`GET /v1/whoami`): the smallest
    /// call authenticated by the installation's own token. `invalid_token`
    /// when the token is unknown, expired or its credentials were revoked.
    async fn whoami(&self, access_token: &SecretString) -> Result<WhoAmI, PlatformError> {
        let _ = access_token;
        Err(PlatformError::Config(
            "this platform does not serve /v1/whoami".into(),
        ))
    }
}

/// An access token as the token endpoint issued it. `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The bearer token.
    pub access_token: SecretString,
    /// Its lifetime in seconds, from the moment it was issued.
    pub expires_in: u64,
}

/// The answer of `GET /v1/whoami`: whose access token this is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// The credentials' client id.
    pub client_id: ClientId,
    /// The installation they were issued to.
    pub installation_id: InstallationId,
    /// The environment they were issued for.
    pub environment_id: EnvironmentId,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
}
