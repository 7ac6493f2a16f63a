//! The server's side of the contract: the bodies that travel on the wire
//! and, with the `server` feature, [`Endpoints`], the in-memory platform's
//! operations one per endpoint of `docs/platform-api.md`, taking what
//! arrived in a request. The sandbox serves them over HTTP; a client of the
//! platform uses the [`Platform`](crate::Platform) trait instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::InMemoryPlatform;
use crate::environment::Environment;
use crate::installation::{InstallationId, InstallationName, Kind};

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
/// contract over HTTP (see `InMemoryPlatform::endpoints`). Each method is
/// one endpoint, takes what arrived in the request and applies every rule of
/// the contract, in its order of checks (`endpoints.rs`). The [`Platform`]
/// implementation calls them too.
///
/// [`Platform`]: crate::Platform
#[derive(Debug, Clone, Copy)]
pub struct Endpoints<'a> {
    pub(super) platform: &'a InMemoryPlatform,
}

impl InMemoryPlatform {
    /// The platform's endpoints, for serving it over HTTP.
    #[cfg(feature = "server")]
    pub fn endpoints(&self) -> Endpoints<'_> {
        Endpoints { platform: self }
    }

    /// The platform's endpoints (public with the `server` feature).
    #[cfg(not(feature = "server"))]
    pub(crate) fn endpoints(&self) -> Endpoints<'_> {
        Endpoints { platform: self }
    }
}
