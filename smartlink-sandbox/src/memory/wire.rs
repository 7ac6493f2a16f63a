//! The server's side of the contract: the bodies that travel on the wire
//! and [`Endpoints`], the in-memory platform's operations one per endpoint
//! of `docs/platform-api.md`, taking what arrived in a request. The sandbox
//! serves them over HTTP; a client of the platform uses the
//! [`Platform`](smartlink_core::Platform) trait instead.

use super::InMemoryPlatform;
use smartlink_core::{Environment, InstallationId, InstallationName, Kind};

/// One page of `GET /v1/environments` (the contract's body, with the
/// core's environments).
pub type Page = smartlink_contract::Page<Environment>;

/// The body of `PUT /v1/environments/{id}/bindings/{line}`, validated.
pub type BindBody = smartlink_contract::BindBody<InstallationId, InstallationName, Kind>;

/// The answer of `POST /oauth2/token`. `Debug` redacts the token.
pub type TokenAnswer = smartlink_contract::TokenAnswer<String>;

/// The endpoints of an [`InMemoryPlatform`], for a server that speaks the
/// contract over HTTP (see `InMemoryPlatform::endpoints`). Each method is
/// one endpoint, takes what arrived in the request and applies every rule of
/// the contract, in its order of checks (`endpoints.rs`). The [`Platform`]
/// implementation calls them too.
///
/// [`Platform`]: smartlink_core::Platform
#[derive(Debug, Clone, Copy)]
pub struct Endpoints<'a> {
    pub(super) platform: &'a InMemoryPlatform,
}

impl InMemoryPlatform {
    /// The platform's endpoints, for serving it over HTTP.
    pub fn endpoints(&self) -> Endpoints<'_> {
        Endpoints { platform: self }
    }
}
