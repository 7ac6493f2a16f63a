//! The server's side of the contract: the bodies that travel on the wire
//! and, with the `server` feature, [`Endpoints`], the in-memory platform's
//! operations one per endpoint of `docs/platform-api.md`, taking what
//! arrived in a request. The sandbox serves them over HTTP; a client of the
//! platform uses the [`Platform`](crate::Platform) trait instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::environment::Environment;
use crate::installation::{InstallationId, InstallationName, Kind};

#[cfg(feature = "server")]
use super::InMemoryPlatform;
#[cfg(feature = "server")]
use crate::credentials::IssuedCredentials;
#[cfg(feature = "server")]
use crate::installation::ErpLine;
#[cfg(feature = "server")]
use crate::platform::{IdempotencyKey, PlatformError, WhoAmI};

/// One page of `GET /v1/environments`, in the contract's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The environments of this page.
    pub environments: Vec<Environment>,
    /// The cursor of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// The body of `PUT /v1/environments/{id}/bindings/{line}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindBody {
    /// The installation to bind.
    pub installation_id: InstallationId,
    /// Its friendly name.
    pub installation_name: InstallationName,
    /// Its kind (must be the environment's).
    pub installation_kind: Kind,
    /// Take the line from another installation.
    #[serde(default)]
    pub overwrite: bool,
}

/// The answer of `POST /oauth2/token`. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAnswer {
    /// The bearer token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

impl fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The endpoints of an [`InMemoryPlatform`], for a server that speaks the
/// contract over HTTP (see [`InMemoryPlatform::endpoints`]). Each method is
/// one endpoint, takes what arrived in the request and applies every rule of
/// the contract, in its order of checks.
#[cfg(feature = "server")]
#[derive(Debug, Clone, Copy)]
pub struct Endpoints<'a> {
    platform: &'a InMemoryPlatform,
}

#[cfg(feature = "server")]
impl InMemoryPlatform {
    /// The platform's endpoints, for serving it over HTTP.
    pub fn endpoints(&self) -> Endpoints<'_> {
        Endpoints { platform: self }
    }
}

#[cfg(feature = "server")]
impl Endpoints<'_> {
    /// `GET /v1/environments?line=&installation_id=[&cursor=]`: one page of
    /// every environment (bindings of all lines), in creation order. A
    /// cursor this platform did not hand out is `400 invalid_request`.
    pub fn list(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
        cursor: Option<&str>,
    ) -> Result<Page, PlatformError> {
        self.platform.list_page(line, installation_id, cursor)
    }

    /// `POST /v1/environments` with `Idempotency-Key`: creates an
    /// environment without bindings. `403 forbidden`, `422 invalid_name`,
    /// `409 name_taken` (the name rule's uniqueness key); the first answer
    /// for a key is replayed for 24 h, and `422 idempotency_key_reused` for
    /// another body.
    pub fn create(
        &self,
        name: &str,
        kind: Kind,
        key: IdempotencyKey,
    ) -> Result<Environment, PlatformError> {
        self.platform.create_raw(name, kind, key)
    }

    /// `PUT /v1/environments/{environment_id}/bindings/{line}` with
    /// `If-Match`: `404`, idempotent `200`, `428`, `412`,
    /// `422 kind_mismatch`, `409 installation_bound_elsewhere`,
    /// `409 binding_exists` (or, with `overwrite`, the old binding replaced
    /// and its installation's credentials for this environment revoked).
    pub fn bind(
        &self,
        environment_id: &str,
        line: ErpLine,
        body: &BindBody,
        if_match: Option<&str>,
    ) -> Result<Environment, PlatformError> {
        self.platform.bind_raw(environment_id, line, body, if_match)
    }

    /// `POST /v1/environments/{environment_id}/credentials` with
    /// `Idempotency-Key`: `404 not_found`, `409 not_bound`; with
    /// `reuse_if_valid` the installation's valid current set is returned
    /// (`reused: true`), otherwise a new set is issued and older ones revoked.
    pub fn issue(
        &self,
        environment_id: &str,
        installation_id: &InstallationId,
        reuse_if_valid: bool,
        key: IdempotencyKey,
    ) -> Result<IssuedCredentials, PlatformError> {
        self.platform
            .issue_raw(environment_id, installation_id, reuse_if_valid, key)
    }

    /// `DELETE /v1/environments/{environment_id}/bindings/{line}` with
    /// `If-Match`: `404`, `428`, `412`, `409 not_bound`; on success the
    /// binding is removed and the installation's credentials for it revoked.
    pub fn unbind(
        &self,
        environment_id: &str,
        line: ErpLine,
        installation_id: &InstallationId,
        if_match: Option<&str>,
    ) -> Result<(), PlatformError> {
        self.platform
            .unbind_raw(environment_id, line, installation_id, if_match)
    }

    /// `POST /oauth2/token` (`client_credentials`): `401 invalid_client`
    /// for an unknown, revoked or expired client or a wrong secret.
    pub fn token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<TokenAnswer, PlatformError> {
        self.platform.token(client_id, client_secret)
    }

    /// `GET /v1/whoami` with the access token presented as bearer: whose
    /// token it is; `401 invalid_token` when the token is unknown, expired,
    /// or its credentials were revoked or expired since.
    pub fn whoami(&self, access_token: &str) -> Result<WhoAmI, PlatformError> {
        self.platform.whoami_raw(access_token)
    }
}
