//! The platform contract over HTTP (reqwest + rustls).
//!
//! [`HttpPlatform`] speaks `docs/platform-api.md`. What it guarantees:
//!
//! - one connection pool per [`HttpPlatform`], reused by every call;
//! - `https` only, except to loopback hosts (the sandbox); redirects are never
//!   followed (a `3xx` is a protocol error);
//! - the token request authenticates the client with HTTP Basic (RFC 6749
//!   §2.3.1, id and secret form-urlencoded before Base64) or, when
//!   configured, with the form body ([`ClientAuthMethod`]);
//! - every request carries `X-Request-Id` (one UUID per logical request, kept
//!   across its retries) and `Accept: application/json`; configurator calls
//!   carry `Authorization: Bearer`, fetched from the [`TokenSource`] on every
//!   attempt;
//! - retries only when the request is safe to repeat (`GET`, `PUT`/`DELETE`
//!   with `If-Match`, `POST` with `Idempotency-Key`, the token request) and
//!   the failure is transient (connection failures, timeouts, cut bodies,
//!   `408`, `429`, and `5xx` but `501` and `505`: the status decides, never
//!   the body's code), with full-jitter exponential backoff or the server's
//!   `Retry-After` (capped), within a per-operation deadline. This is the
//!   library's only retry layer;
//! - response bodies are read in chunks under a size limit;
//! - no error, log line or `Debug` output holds the bearer token or a client
//!   secret: reqwest's errors (which print URLs) are mapped by kind, and body
//!   excerpts are redacted.
//!
//! The module reads in parts: `config` (what a client is built
//! from), `transport` (one request and its attempts), `redact`, `endpoints`
//! (the contract as the [`Platform`](super::Platform) trait) and `tokens`
//! (the installation's own token and `whoami` calls).

mod config;
mod endpoints;
pub(crate) mod redact;
mod tokens;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderName, HeaderValue};
use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

use super::PlatformError;

pub use config::{ClientAuthMethod, EndpointProblem, HttpPlatformConfig, StaticToken, TokenSource};
use config::{ProxySetting, endpoint, load_extra_roots, parse_endpoint};
use redact::excerpt;
use transport::{Call, CallBody, Failure, Reply};

/// `User-Agent` sent by default: `smartlink/<crate version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("smartlink/", env!("CARGO_PKG_VERSION"));

/// Most pages [`HttpPlatform`] follows when listing before it calls the
/// server's cursors broken.
pub const MAX_LIST_PAGES: usize = 10_000;

/// Longest body excerpt kept in a [`PlatformError::Protocol`], in characters.
pub const BODY_EXCERPT_CHARS: usize = 512;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const REDACTED: &str = "[redacted]";

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

/// The platform over HTTP. Cheap to share behind an `Arc`; every call reuses
/// its one connection pool.
pub struct HttpPlatform {
    client: reqwest::Client,
    base_url: Url,
    token_url: Url,
    client_auth: ClientAuthMethod,
    token_source: Arc<dyn TokenSource>,
    connect_timeout: Duration,
    read_timeout: Duration,
    operation_deadline: Duration,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_cap: Duration,
    retry_after_cap: Duration,
    max_response_bytes: usize,
}

impl fmt::Debug for HttpPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPlatform")
            .field("base_url", &self.base_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("client_auth", &self.client_auth)
            .field("token_source", &REDACTED)
            .field("operation_deadline", &self.operation_deadline)
            .field("max_attempts", &self.max_attempts)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl HttpPlatform {
    /// Checks `config` and builds the client (and its connection pool).
    ///
    /// Fails with [`PlatformError::Config`] on a malformed URL, `http` to a
    /// host that is not loopback, a missing token source, a bad proxy URL or
    /// an unreadable or invalid CA bundle. Nothing is sent.
    pub fn new(config: HttpPlatformConfig) -> Result<Self, PlatformError> {
        let base_url = parse_endpoint(&config.base_url, "base URL")?;
        let token_url = match &config.token_url {
            Some(raw) => parse_endpoint(raw, "token URL")?,
            None => endpoint(&base_url, &["oauth2", "token"]),
        };
        let token_source = config.token_source.clone();

        // One source of trust: the operating system's store (on Windows and
        // macOS the one where IT installs corporate CAs), plus the optional
        // extra bundle. No bundled root list to go stale inside the ERP.
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_native_certs(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.as_str());
        builder = match &config.proxy {
            ProxySetting::FromEnvironment => builder,
            ProxySetting::None => builder.no_proxy(),
            ProxySetting::Url(raw) => {
                // A scheme the client does not speak would be ignored, every
                // request then going direct: refused instead.
                let scheme_ok = raw.trim().split_once("://").is_none_or(|(scheme, _)| {
                    matches!(
                        scheme.to_ascii_lowercase().as_str(),
                        "http" | "https" | "socks5" | "socks5h"
                    )
                });
                if !scheme_ok {
                    return Err(PlatformError::Config(
                        "proxy URL is not valid: use http://, https:// or socks5://".into(),
                    ));
                }
                let proxy = reqwest::Proxy::all(raw.as_str())
                    .map_err(|_| PlatformError::Config("proxy URL is not valid".into()))?;
                builder.proxy(proxy)
            }
        };
        if let Some(path) = &config.extra_ca_file {
            for certificate in load_extra_roots(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder.build().map_err(|_| {
            PlatformError::Config(
                "cannot build the HTTP client (TLS roots, proxy or user agent rejected)".into(),
            )
        })?;

        Ok(Self {
            client,
            base_url,
            token_url,
            client_auth: config.client_auth,
            token_source,
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            operation_deadline: config.operation_deadline,
            max_attempts: config.max_attempts.max(1),
            backoff_base: config.backoff_base,
            backoff_cap: config.backoff_cap,
            retry_after_cap: config.retry_after_cap,
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// The server's clock: the `Date` header of an unauthenticated `GET` of
    /// the base URL, with this machine's time at the middle of the exchange.
    /// Sent through the same client as every other call (proxy, trusted
    /// roots, timeouts), so a diagnostic sees what the configuration sees.
    /// `Ok(None)` when the answer carries no valid `Date`; the status does
    /// not matter (a 401 or 404 still has a clock).
    pub async fn server_clock(&self) -> Result<Option<(SystemTime, SystemTime)>, PlatformError> {
        let request_id = Uuid::new_v4().to_string();
        let before = SystemTime::now();
        let sent = self
            .client
            .get(self.base_url.clone())
            .header("x-request-id", request_id.as_str())
            .send();
        let deadline = self.deadline();
        let response = match tokio::time::timeout_at(deadline, sent).await {
            Err(_) => return Err(self.timeout(deadline, &request_id)),
            Ok(Err(e)) => {
                return Err(match self.map_reqwest(&e, &request_id) {
                    Failure::Retryable(e) | Failure::Fatal(e) => self.measured(e, deadline),
                });
            }
            Ok(Ok(response)) => response,
        };
        let after = SystemTime::now();
        let local = before + after.duration_since(before).unwrap_or_default() / 2;
        Ok(response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .map(|server| (server, local)))
    }

    /// The checked base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The checked token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// How the client authenticates at the token endpoint.
    pub fn client_auth(&self) -> ClientAuthMethod {
        self.client_auth
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
        endpoint(&self.base_url, segments)
    }

    fn deadline(&self) -> Instant {
        // A configured deadline too far out for the clock means "no deadline
        // to speak of": a year, never an overflow panic.
        let now = Instant::now();
        now.checked_add(self.operation_deadline)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
    }
}
