//! The platform contract over HTTP (reqwest + rustls).

/// Where the bearer token for configurator calls comes from (stub).
pub trait TokenSource: Send + Sync {}

/// Configuration of an [`HttpPlatform`] (stub).
#[derive(Debug, Clone, Default)]
pub struct HttpPlatformConfig {}

/// The platform over HTTP (stub, to be implemented).
#[derive(Debug)]
pub struct HttpPlatform {}
