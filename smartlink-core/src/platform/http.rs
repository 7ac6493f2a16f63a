//! The platform contract over HTTP (reqwest + rustls).
//!
//! [`HttpPlatform`] speaks `docs/platform-api.md`. What it guarantees:
//!
//! - one connection pool per [`HttpPlatform`], reused by every call;
//! - `https` only, except to loopback hosts (the sandbox); redirects are never
//!   followed (a `3xx` is a protocol error);
//! - every request carries `X-Request-Id` (one UUID per logical request, kept
//!   across its retries) and `Accept: application/json`; configurator calls
//!   carry `Authorization: Bearer`, fetched from the [`TokenSource`] on every
//!   attempt;
//! - retries only when the request is safe to repeat (`GET`, `PUT`/`DELETE`
//!   with `If-Match`, `POST` with `Idempotency-Key`, the token request) and
//!   the failure is transient (connection failures, timeouts, cut bodies,
//!   `429`, `500`, `502`, `503`, `504`), with full-jitter exponential backoff
//!   or the server's `Retry-After` (capped), within a per-operation deadline;
//! - response bodies are read in chunks under a size limit;
//! - no error, log line or `Debug` output holds the bearer token or a client
//!   secret: reqwest's errors (which print URLs) are mapped by kind, and body
//!   excerpts are redacted.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::debug;
use url::{Host, Url};
use uuid::Uuid;

use super::{
    BindTarget, CreateEnvironment, IdempotencyKey, IssueCredentials, Platform, PlatformError,
    Unbind,
};
use crate::credentials::{Credentials, IssuedCredentials};
use crate::environment::{Environment, Etag};
use crate::installation::{ErpLine, Installation, InstallationId};

/// `User-Agent` sent by default: `smartlink/<crate version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("smartlink/", env!("CARGO_PKG_VERSION"));

/// Most pages [`HttpPlatform`] follows when listing before it calls the
/// server's cursors broken.
pub const MAX_LIST_PAGES: usize = 10_000;

/// Longest body excerpt kept in a [`PlatformError::Protocol`], in characters.
pub const BODY_EXCERPT_CHARS: usize = 512;

mod tokens;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const REDACTED: &str = "[redacted]";

// ---------------------------------------------------------------------------
// Token source
// ---------------------------------------------------------------------------

/// Where the bearer token for configurator calls comes from.
///
/// Asked once per attempt, so a source that refreshes tokens hands a fresh
/// one to every retry. An error it returns ends the operation as is (it is not
/// retried).
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// The token to send as `Authorization: Bearer <token>`.
    async fn token(&self) -> Result<SecretString, PlatformError>;
}

/// A token fixed at construction (a bootstrap token, or the administrator's
/// session token for the length of one wizard).
#[derive(Clone)]
pub struct StaticToken(SecretString);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: SecretString) -> Self {
        Self(token)
    }
}

impl From<SecretString> for StaticToken {
    fn from(token: SecretString) -> Self {
        Self(token)
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticToken({REDACTED})")
    }
}

#[async_trait]
impl TokenSource for StaticToken {
    async fn token(&self) -> Result<SecretString, PlatformError> {
        Ok(self.0.clone())
    }
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// Configuration of an [`HttpPlatform`], built with `with_*` methods and
/// checked by [`HttpPlatform::new`].
///
/// ```
/// use std::time::Duration;
/// use secrecy::SecretString;
/// use smartlink_core::{HttpPlatform, HttpPlatformConfig};
///
/// let config = HttpPlatformConfig::new("https://configurator.example.com/api")
///     .with_static_token(SecretString::from("bootstrap-token"))
///     .with_max_attempts(3)
///     .with_operation_deadline(Duration::from_secs(20));
/// assert!(!format!("{config:?}").contains("bootstrap-token"));
/// let platform = HttpPlatform::new(config).unwrap();
/// # drop(platform);
///
/// // Plain http is for loopback hosts only.
/// let remote = HttpPlatformConfig::new("http://configurator.example.com")
///     .with_static_token(SecretString::from("t"));
/// assert!(HttpPlatform::new(remote).is_err());
/// ```
#[derive(Clone)]
pub struct HttpPlatformConfig {
    base_url: String,
    token_url: Option<String>,
    token_source: Option<Arc<dyn TokenSource>>,
    connect_timeout: Duration,
    read_timeout: Duration,
    operation_deadline: Duration,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_cap: Duration,
    retry_after_cap: Duration,
    max_response_bytes: usize,
    proxy: ProxySetting,
    extra_ca_file: Option<PathBuf>,
    user_agent: String,
}

#[derive(Clone)]
enum ProxySetting {
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` from the environment, as reqwest reads them.
    FromEnvironment,
    /// Every request through this proxy.
    Url(String),
    /// Direct connections only.
    None,
}

impl HttpPlatformConfig {
    /// Default time to establish a connection (TCP and TLS).
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default longest wait for the next bytes of a response.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default budget of one operation, retries and waits included.
    pub const DEFAULT_OPERATION_DEADLINE: Duration = Duration::from_secs(60);
    /// Default number of attempts of one request (the first one included).
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
    /// Default backoff before the second attempt (before jitter).
    pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(250);
    /// Default longest backoff (before jitter).
    pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(8);
    /// Default longest wait honoured from a `Retry-After` header.
    pub const DEFAULT_RETRY_AFTER_CAP: Duration = Duration::from_secs(30);
    /// Default largest response body accepted (1 MiB).
    pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

    /// A configuration for the platform at `base_url` (e.g.
    /// `https://configurator.example.com/api`); the endpoints' paths are
    /// appended to it. The URL is checked by [`HttpPlatform::new`].
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token_url: None,
            token_source: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            read_timeout: Self::DEFAULT_READ_TIMEOUT,
            operation_deadline: Self::DEFAULT_OPERATION_DEADLINE,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            backoff_base: Self::DEFAULT_BACKOFF_BASE,
            backoff_cap: Self::DEFAULT_BACKOFF_CAP,
            retry_after_cap: Self::DEFAULT_RETRY_AFTER_CAP,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            proxy: ProxySetting::FromEnvironment,
            extra_ca_file: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }

    /// Replaces the base URL.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The OAuth2 token endpoint used by
    /// [`verify_credentials`](Platform::verify_credentials) (default
    /// `<base URL>/oauth2/token`). Same scheme rules as the base URL.
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Self {
        self.token_url = Some(token_url.into());
        self
    }

    /// Where bearer tokens come from (required, or [`Self::with_static_token`]).
    pub fn with_token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token_source = Some(source);
        self
    }

    /// Uses one fixed bearer token.
    pub fn with_static_token(self, token: SecretString) -> Self {
        self.with_token_source(Arc::new(StaticToken::new(token)))
    }

    /// Time to establish a connection, TLS included.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest wait for the next bytes of a response.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Budget of one operation, every attempt and wait included; past it the
    /// operation fails with [`PlatformError::Timeout`]. Listing all pages is
    /// one operation.
    pub fn with_operation_deadline(mut self, deadline: Duration) -> Self {
        self.operation_deadline = deadline;
        self
    }

    /// Attempts of one request, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Exponential backoff: `base * 2^(attempt-1)`, at most `cap`, then a
    /// uniformly random fraction of it ("full jitter").
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap.max(base);
        self
    }

    /// Longest wait honoured from a `Retry-After` header.
    pub fn with_retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry_after_cap = cap;
        self
    }

    /// Largest response body accepted, in bytes.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sends every request through this proxy (`http://`, `https://` or
    /// `socks5://` URL) instead of the one named by the environment.
    pub fn with_proxy(mut self, proxy_url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(proxy_url.into());
        self
    }

    /// Connects directly, ignoring `HTTPS_PROXY` and friends.
    pub fn without_proxy(mut self) -> Self {
        self.proxy = ProxySetting::None;
        self
    }

    /// Trusts the certificates of this PEM file in addition to the operating
    /// system's trusted roots.
    pub fn with_extra_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra_ca_file = Some(path.into());
        self
    }

    /// Replaces the `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }
}

impl fmt::Debug for HttpPlatformConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = match &self.proxy {
            ProxySetting::FromEnvironment => "from environment",
            // A proxy URL may carry a password.
            ProxySetting::Url(_) => "explicit [redacted]",
            ProxySetting::None => "none",
        };
        f.debug_struct("HttpPlatformConfig")
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field(
                "token_source",
                &self.token_source.as_ref().map(|_| REDACTED),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("operation_deadline", &self.operation_deadline)
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("retry_after_cap", &self.retry_after_cap)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("proxy", &proxy)
            .field("extra_ca_file", &self.extra_ca_file)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Parses an endpoint URL and applies the scheme rule: `https`, or `http` to
/// a loopback host. The URL itself is never repeated in the message.
fn parse_endpoint(raw: &str, what: &str) -> Result<Url, PlatformError> {
    let config = |why: String| PlatformError::Config(format!("{what}: {why}"));
    let url = Url::parse(raw.trim()).map_err(|e| config(format!("not a valid URL ({e})")))?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(config("must be an absolute URL with a host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config("must not carry a user name or password".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config("must not carry a query or fragment".into()));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(config(
            "plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost); use https"
                .into(),
        )),
        other => Err(config(format!("unsupported scheme {other:?}; use https"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.strip_suffix('.').unwrap_or(domain);
            domain.eq_ignore_ascii_case("localhost")
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `base` with `segments` appended, each percent-encoded as one segment.
fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

fn load_extra_roots(path: &Path) -> Result<Vec<reqwest::Certificate>, PlatformError> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        PlatformError::Config(format!("cannot read CA bundle {shown}: {}", e.kind()))
    })?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|_| PlatformError::Config(format!("CA bundle {shown} is not a valid PEM file")))?;
    if certificates.is_empty() {
        return Err(PlatformError::Config(format!(
            "CA bundle {shown} holds no PEM certificate"
        )));
    }
    Ok(certificates)
}

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

/// The platform over HTTP. Cheap to share behind an `Arc`; every call reuses
/// its one connection pool.
pub struct HttpPlatform {
    client: reqwest::Client,
    base_url: Url,
    token_url: Url,
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
        let token_source = config.token_source.clone().ok_or_else(|| {
            PlatformError::Config(
                "no token source: use with_token_source or with_static_token".into(),
            )
        })?;

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
        let response = match tokio::time::timeout_at(self.deadline(), sent).await {
            Err(_) => return Err(self.timeout(&request_id)),
            Ok(Err(e)) => {
                return Err(match self.map_reqwest(&e, &request_id) {
                    Failure::Retryable(e) | Failure::Fatal(e) => e,
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

// ---------------------------------------------------------------------------
// One request, its attempts and retries
// ---------------------------------------------------------------------------

/// One logical request, rebuilt into a reqwest request on every attempt.
struct Call<'a> {
    method: Method,
    url: Url,
    bearer: bool,
    body: CallBody<'a>,
    idempotency_key: Option<IdempotencyKey>,
    if_match: Option<&'a Etag>,
}

enum CallBody<'a> {
    Empty,
    Json(Value),
    /// The OAuth2 client-credentials form; the secret is exposed only while
    /// the request is built.
    TokenForm {
        client_id: &'a str,
        client_secret: &'a SecretString,
    },
}

impl<'a> Call<'a> {
    fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            bearer: true,
            body: CallBody::Empty,
            idempotency_key: None,
            if_match: None,
        }
    }

    /// Whether sending the request twice cannot do the work twice.
    fn safe_to_repeat(&self) -> bool {
        match self.method {
            Method::GET | Method::HEAD => true,
            Method::PUT | Method::DELETE => self.if_match.is_some(),
            // Token requests create nothing worth protecting.
            Method::POST => {
                self.idempotency_key.is_some() || matches!(self.body, CallBody::TokenForm { .. })
            }
            _ => false,
        }
    }

    /// Secrets the server might echo back, to scrub from excerpts.
    fn secrets(&self) -> Vec<&'a SecretString> {
        match self.body {
            CallBody::TokenForm { client_secret, .. } => vec![client_secret],
            _ => Vec::new(),
        }
    }
}

/// A response read in full (under the size limit).
struct Reply {
    status: StatusCode,
    /// The server's echo of `X-Request-Id`, or ours.
    request_id: String,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    /// The bearer token sent with this attempt, to scrub from excerpts.
    bearer: Option<SecretString>,
}

/// Why an attempt failed, and whether another attempt may help.
enum Failure {
    Retryable(PlatformError),
    Fatal(PlatformError),
}

fn is_retryable_status(status: StatusCode) -> bool {
    super::is_transient_status(status.as_u16())
}

impl HttpPlatform {
    /// Sends `call`, retrying while it is safe and useful, until `deadline`.
    ///
    /// Returns the final reply unless it is a retryable status (which is then
    /// turned into its error): callers see 2xx, 3xx and non-retryable 4xx.
    async fn send(&self, call: &Call<'_>, deadline: Instant) -> Result<Reply, PlatformError> {
        let request_id = Uuid::new_v4().to_string();
        let path = call.url.path();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome =
                match tokio::time::timeout_at(deadline, self.attempt(call, &request_id)).await {
                    Ok(outcome) => outcome,
                    Err(_) => return Err(self.timeout(&request_id)),
                };
            let (error, retry_after) = match outcome {
                Ok(reply) => {
                    debug!(method = %call.method, path, status = reply.status.as_u16(),
                        request_id = %request_id, attempt, "platform replied");
                    if !is_retryable_status(reply.status) {
                        return Ok(reply);
                    }
                    (self.api_error(&reply, call), reply.retry_after)
                }
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Retryable(error)) => {
                    debug!(method = %call.method, path, request_id = %request_id, attempt,
                        error = %error, "platform request failed");
                    (error, None)
                }
            };
            if !call.safe_to_repeat() || attempt >= self.max_attempts {
                return Err(error);
            }
            let delay = match retry_after {
                Some(wait) => wait.min(self.retry_after_cap),
                None => self.backoff(attempt),
            };
            if Instant::now()
                .checked_add(delay)
                .is_none_or(|at| at >= deadline)
            {
                // Waiting would outlive the budget: say so now, not later.
                return Err(self.timeout(&request_id));
            }
            debug!(method = %call.method, path, request_id = %request_id, attempt,
                delay_ms = delay.as_millis() as u64, "retrying platform request");
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: token, request, status, body.
    async fn attempt(&self, call: &Call<'_>, request_id: &str) -> Result<Reply, Failure> {
        let bearer = if call.bearer {
            Some(self.token_source.token().await.map_err(Failure::Fatal)?)
        } else {
            None
        };

        let mut request = self
            .client
            .request(call.method.clone(), call.url.clone())
            .header(X_REQUEST_ID, request_id)
            .header(ACCEPT, APPLICATION_JSON);
        if let Some(token) = &bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Failure::Fatal(PlatformError::Config(
                        "the token source returned a token that is not a valid header value".into(),
                    ))
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header(IDEMPOTENCY_KEY, key.to_string());
        }
        if let Some(etag) = call.if_match {
            let value = HeaderValue::from_str(etag.as_str()).map_err(|_| {
                Failure::Fatal(PlatformError::InvalidInput(
                    "etag is not a valid header value".into(),
                ))
            })?;
            request = request.header(IF_MATCH, value);
        }
        request = match &call.body {
            CallBody::Empty => request,
            CallBody::Json(body) => request.json(body),
            CallBody::TokenForm {
                client_id,
                client_secret,
            } => request.form(&[
                ("grant_type", "client_credentials"),
                ("client_id", *client_id),
                ("client_secret", client_secret.expose_secret()),
            ]),
        };

        let response = request
            .send()
            .await
            .map_err(|e| self.map_reqwest(&e, request_id))?;

        let status = response.status();
        let request_id = response
            .headers()
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or(request_id)
            .to_owned();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = self.read_body(response, &request_id).await?;
        Ok(Reply {
            status,
            request_id,
            retry_after,
            body,
            bearer,
        })
    }

    /// Reads the body chunk by chunk, refusing it as soon as it passes the limit.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        request_id: &str,
    ) -> Result<Vec<u8>, Failure> {
        let limit = self.max_response_bytes;
        let too_large = || {
            Failure::Fatal(PlatformError::ResponseTooLarge {
                limit,
                request_id: Some(request_id.to_owned()),
            })
        };
        let announced = response.content_length();
        if announced.is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        let capacity = announced.map_or(8 * 1024, |len| len as usize).min(limit);
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.map_reqwest(&e, request_id))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Maps a reqwest error by kind. Its `Display` is never used: it prints
    /// the URL.
    fn map_reqwest(&self, error: &reqwest::Error, request_id: &str) -> Failure {
        let request_id = Some(request_id.to_owned());
        let transport = |detail: String| {
            Failure::Retryable(PlatformError::Transport {
                detail,
                request_id: request_id.clone(),
            })
        };
        let cause = io_cause(error)
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        if error.is_timeout() {
            let elapsed = if error.is_connect() {
                self.connect_timeout
            } else {
                self.read_timeout
            };
            Failure::Retryable(PlatformError::Timeout {
                elapsed,
                request_id,
            })
        } else if error.is_connect() {
            transport(format!(
                "could not connect (refused, unreachable or TLS handshake failed){cause}"
            ))
        } else if error.is_body() || error.is_decode() {
            transport(format!("the response body was cut short{cause}"))
        } else if error.is_builder() {
            Failure::Fatal(PlatformError::InvalidInput(
                "the request could not be built".into(),
            ))
        } else if error.is_redirect() {
            Failure::Fatal(PlatformError::Protocol {
                detail: "unexpected redirect".into(),
                body_excerpt: String::new(),
                request_id,
            })
        } else if error.is_request() {
            transport(format!("the connection failed during the exchange{cause}"))
        } else {
            transport(format!("the HTTP exchange failed{cause}"))
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        crate::backoff::delay(self.backoff_base, self.backoff_cap, attempt)
    }

    fn timeout(&self, request_id: &str) -> PlatformError {
        PlatformError::Timeout {
            elapsed: self.operation_deadline,
            request_id: Some(request_id.to_owned()),
        }
    }

    // -- interpreting replies ------------------------------------------------

    /// The typed error of a non-2xx reply: the problem document's `code` (or
    /// OAuth2's `error`), else the status's code in the contract's table.
    fn api_error(&self, reply: &Reply, call: &Call<'_>) -> PlatformError {
        let status = reply.status.as_u16();
        if reply.status.is_redirection() {
            return PlatformError::Protocol {
                detail: format!("unexpected redirect (HTTP {status}); redirects are not followed"),
                body_excerpt: String::new(),
                request_id: Some(reply.request_id.clone()),
            };
        }
        let document: Option<Value> = serde_json::from_slice(&reply.body).ok();
        let field = |name| str_field(document.as_ref(), name);
        let code = field("code")
            .or_else(|| field("error"))
            .map(super::ErrorCode::parse)
            .unwrap_or_else(|| code_for_status(status));
        let secrets = self.secrets_of(reply, call);
        let detail = field("detail")
            .or_else(|| field("error_description"))
            .or_else(|| field("title"))
            .map(|d| excerpt(d.as_bytes(), &secrets));
        PlatformError::Api {
            status,
            code,
            detail,
            request_id: Some(reply.request_id.clone()),
        }
    }

    fn secrets_of<'s>(&self, reply: &'s Reply, call: &Call<'s>) -> Vec<&'s str> {
        let mut secrets: Vec<&str> = call.secrets().iter().map(|s| s.expose_secret()).collect();
        if let Some(token) = &reply.bearer {
            secrets.push(token.expose_secret());
        }
        secrets
    }

    fn protocol_error(&self, detail: String, reply: &Reply, call: &Call<'_>) -> PlatformError {
        PlatformError::Protocol {
            detail,
            body_excerpt: excerpt(&reply.body, &self.secrets_of(reply, call)),
            request_id: Some(reply.request_id.clone()),
        }
    }

    /// Fails unless the reply is a 2xx.
    fn expect_success(&self, reply: &Reply, call: &Call<'_>) -> Result<(), PlatformError> {
        if reply.status.is_success() {
            Ok(())
        } else {
            Err(self.api_error(reply, call))
        }
    }

    /// Decodes a 2xx reply's JSON, or returns the reply's error.
    fn decode<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        call: &Call<'_>,
        what: &str,
    ) -> Result<T, PlatformError> {
        self.expect_success(reply, call)?;
        serde_json::from_slice(&reply.body)
            .map_err(|e| self.protocol_error(describe_json_error(what, &e), reply, call))
    }
}

/// What went wrong decoding, without quoting values from the body (serde's
/// messages may quote them, and they may be secrets).
fn describe_json_error(what: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Syntax => format!("{what}: malformed JSON at {at}"),
        Category::Eof => format!("{what}: JSON ends early at {at}"),
        Category::Io => format!("{what}: unreadable body"),
        Category::Data => {
            let message = error.to_string();
            if message.starts_with("missing field") {
                // "missing field `etag` at line..": names a field, never a value.
                format!("{what}: {message}")
            } else {
                format!("{what}: a field has the wrong type or an invalid value at {at}")
            }
        }
    }
}

fn str_field<'v>(document: Option<&'v Value>, name: &str) -> Option<&'v str> {
    document?.get(name)?.as_str()
}

fn code_for_status(status: u16) -> super::ErrorCode {
    use super::ErrorCode;
    match status {
        400 => ErrorCode::InvalidRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        412 => ErrorCode::PreconditionFailed,
        428 => ErrorCode::PreconditionRequired,
        429 => ErrorCode::RateLimited,
        500 => ErrorCode::Internal,
        502..=504 => ErrorCode::Unavailable,
        _ => ErrorCode::Unknown,
    }
}

/// The first `std::io::Error` kind in `error`'s causes, named in our words.
fn io_cause(error: &reqwest::Error) -> Option<&'static str> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return Some(match io.kind() {
                ConnectionRefused => "connection refused",
                ConnectionReset => "connection reset",
                ConnectionAborted => "connection aborted",
                NotConnected | BrokenPipe => "connection closed",
                UnexpectedEof => "connection closed early",
                TimedOut => "timed out",
                AddrNotAvailable | HostUnreachable | NetworkUnreachable => "host unreachable",
                _ => "I/O error",
            });
        }
        source = cause.source();
    }
    None
}

/// `Retry-After` as delta-seconds or an HTTP date (a date in the past means
/// "now").
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

// ---------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------

/// Keys whose values are secrets, wherever they appear (JSON, forms, headers).
const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "bearer",
];

/// At most [`BODY_EXCERPT_CHARS`] characters of `body`, with the `known`
/// secrets and the values of [`SECRET_KEYS`] replaced by `[redacted]`.
fn excerpt(body: &[u8], known: &[&str]) -> String {
    let text = redact(&String::from_utf8_lossy(body), known);
    let mut chars = text.char_indices();
    match chars.nth(BODY_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn redact(text: &str, known: &[&str]) -> String {
    let mut out = redact_keyed(text);
    for secret in known.iter().filter(|s| !s.is_empty()) {
        // A server may echo a secret JSON-escaped (`\/` for `/`, `\"`,
        // `\u00e9`, ...): hide those spellings too.
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or(&escaped)
            .to_owned();
        let slash_escaped = escaped.replace('/', "\\/");
        for form in [secret.to_string(), escaped, slash_escaped] {
            if !form.is_empty() {
                out = out.replace(&form, REDACTED);
            }
        }
    }
    out
}

fn redact_keyed(text: &str) -> String {
    let ranges = secret_value_ranges(text);
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in ranges {
        if start < at {
            // Overlaps the previous value: extend that redaction.
            at = at.max(end);
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Byte ranges of the values that follow a secret key (`"key": "v"`,
/// `key=v`, `Bearer v`), sorted. Every boundary sits next to an ASCII byte,
/// so slicing there is safe.
fn secret_value_ranges(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let is_quote = |b: u8| matches!(b, b'"' | b'\'' | b'\\');
    let mut ranges = Vec::new();
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(key) {
            let key_start = from + found;
            from = key_start + key.len();
            let mut i = from;
            if *key == "bearer" {
                // "Bearer <token>": the value follows whitespace.
                let spaces = bytes[i..]
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t'))
                    .count();
                if spaces == 0 {
                    continue;
                }
                i += spaces;
            } else {
                while i < bytes.len() && (is_quote(bytes[i]) || bytes[i].is_ascii_whitespace()) {
                    i += 1;
                }
                if i >= bytes.len() || !matches!(bytes[i], b':' | b'=') {
                    continue;
                }
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
            }
            let run = i;
            while i < bytes.len() && is_quote(bytes[i]) {
                i += 1;
            }
            let opening = bytes[run..i].iter().position(|b| matches!(b, b'"' | b'\''));
            let start;
            if let Some(at) = opening {
                // A quoted value runs to its closing quote, whatever it holds
                // (spaces, commas, braces, escaped quotes): stopping at the
                // first space would leave the rest of the secret in view.
                let quote = bytes[run + at];
                // `\"` opens a JSON text quoted inside a string: `\"` closes it.
                let escaped = at > 0;
                i = run + at + 1;
                start = i;
                while i < bytes.len() {
                    if bytes[i] == b'\\' {
                        if escaped && bytes.get(i + 1) == Some(&quote) {
                            break;
                        }
                        i += 2;
                        continue;
                    }
                    if bytes[i] == quote {
                        break;
                    }
                    i += 1;
                }
                i = i.min(bytes.len());
            } else {
                start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b'"' | b'\'')
                    && !bytes[i].is_ascii_whitespace()
                    && !matches!(bytes[i], b',' | b'}' | b']' | b'&' | b';')
                {
                    // A JSON escape (`\/`) is part of the value, not its end;
                    // a backslash before a quote ends it (`\"` closes an
                    // escaped JSON string).
                    if bytes[i] == b'\\' {
                        if matches!(bytes.get(i + 1), Some(b'"' | b'\'') | None) {
                            break;
                        }
                        i += 2;
                        continue;
                    }
                    i += 1;
                }
                i = i.min(bytes.len());
            }
            if *key == "bearer" && opening.is_none() && is_plain_word(&bytes[start..i]) {
                // "a valid bearer token is required": a word, not a token.
                continue;
            }
            if i > start {
                ranges.push((start, i));
            }
        }
    }
    ranges.sort_unstable();
    ranges
}

/// Whether `value` reads as a word of prose rather than a token: ASCII
/// letters only, and short. Tokens carry digits, dots, dashes or other
/// symbols, or are long; the caller's known secrets are redacted anyway.
fn is_plain_word(value: &[u8]) -> bool {
    !value.is_empty() && value.len() < 16 && value.iter().all(u8::is_ascii_alphabetic)
}

// ---------------------------------------------------------------------------
// The contract's endpoints
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct EnvironmentPage {
    environments: Vec<Environment>,
    /// Required, though it may be null: a server that forgets it must not
    /// make the listing end silently early.
    #[serde(deserialize_with = "Option::deserialize")]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct TokenReply {
    #[allow(dead_code)]
    access_token: SecretString,
}

#[async_trait]
impl Platform for HttpPlatform {
    async fn list_environments(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        let deadline = self.deadline();
        let mut environments = Vec::new();
        let mut seen_cursors = HashSet::new();
        let mut cursor: Option<String> = None;
        for _page in 0..MAX_LIST_PAGES {
            let mut url = self.endpoint(&["v1", "environments"]);
            {
                let mut query = url.query_pairs_mut();
                query
                    .append_pair("line", line.as_str())
                    .append_pair("installation_id", installation_id.as_str());
                if let Some(cursor) = &cursor {
                    query.append_pair("cursor", cursor);
                }
            }
            let call = Call::new(Method::GET, url);
            let reply = self.send(&call, deadline).await?;
            let page: EnvironmentPage = self.decode(&reply, &call, "environment list")?;
            environments.extend(page.environments);
            match page.next_cursor {
                None => return Ok(environments),
                Some(next) if next.is_empty() || !seen_cursors.insert(next.clone()) => {
                    return Err(self.protocol_error(
                        "the list's next_cursor is empty or repeats an earlier one".into(),
                        &reply,
                        &call,
                    ));
                }
                Some(next) => cursor = Some(next),
            }
        }
        Err(PlatformError::Protocol {
            detail: format!("the environment list did not end within {MAX_LIST_PAGES} pages"),
            body_excerpt: String::new(),
            request_id: None,
        })
    }

    async fn create_environment(
        &self,
        request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        let mut call = Call::new(Method::POST, self.endpoint(&["v1", "environments"]));
        call.idempotency_key = Some(request.idempotency_key);
        call.body = CallBody::Json(json!({
            "name": request.name.as_str(),
            "kind": request.kind.as_str(),
        }));
        let reply = self.send(&call, self.deadline()).await?;
        self.decode(&reply, &call, "created environment")
    }

    async fn bind(
        &self,
        installation: &Installation,
        target: &BindTarget,
    ) -> Result<Environment, PlatformError> {
        let url = self.endpoint(&[
            "v1",
            "environments",
            target.environment_id().as_str(),
            "bindings",
            installation.line.as_str(),
        ]);
        let mut call = Call::new(Method::PUT, url);
        call.if_match = Some(target.etag());
        call.body = CallBody::Json(json!({
            "installation_id": installation.id.as_str(),
            "installation_name": installation.name.as_str(),
            "installation_kind": installation.kind.as_str(),
            "overwrite": target.is_overwrite(),
        }));
        let reply = self.send(&call, self.deadline()).await?;
        self.decode(&reply, &call, "bound environment")
    }

    async fn issue_credentials(
        &self,
        request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        let url = self.endpoint(&[
            "v1",
            "environments",
            request.environment_id.as_str(),
            "credentials",
        ]);
        let mut call = Call::new(Method::POST, url);
        call.idempotency_key = Some(request.idempotency_key);
        call.body = CallBody::Json(json!({
            "installation_id": request.installation_id.as_str(),
            "reuse_if_valid": request.reuse_if_valid,
        }));
        let reply = self.send(&call, self.deadline()).await?;
        let issued: IssuedCredentials = self.decode(&reply, &call, "issued credentials")?;
        if issued.credentials.environment_id != request.environment_id {
            return Err(self.protocol_error(
                "credentials were issued for another environment".into(),
                &reply,
                &call,
            ));
        }
        Ok(issued)
    }

    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
        let mut call = Call::new(Method::POST, self.token_url.clone());
        call.bearer = false;
        call.body = CallBody::TokenForm {
            client_id: credentials.client_id.as_str(),
            client_secret: &credentials.client_secret,
        };
        let reply = self.send(&call, self.deadline()).await?;
        let _token: TokenReply = self.decode(&reply, &call, "token response")?;
        Ok(())
    }

    async fn request_token(
        &self,
        credentials: &Credentials,
    ) -> Result<super::TokenGrant, PlatformError> {
        self.request_token_over_http(credentials).await
    }

    async fn whoami(&self, access_token: &SecretString) -> Result<super::WhoAmI, PlatformError> {
        self.whoami_over_http(access_token).await
    }

    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
        let url = self.endpoint(&[
            "v1",
            "environments",
            request.environment_id.as_str(),
            "bindings",
            request.line.as_str(),
        ]);
        let mut call = Call::new(Method::DELETE, url);
        call.if_match = Some(&request.etag);
        call.body = CallBody::Json(json!({ "installation_id": request.installation_id.as_str() }));
        let reply = self.send(&call, self.deadline()).await?;
        self.expect_success(&reply, &call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_may_use_http_others_may_not() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10/api",
            "http://[::1]:9000",
            "http://localhost:1234/x/",
            "http://LOCALHOST.",
            "https://platform.example.com/api",
        ] {
            assert!(parse_endpoint(ok, "base URL").is_ok(), "{ok}");
        }
        for bad in [
            "http://platform.example.com",
            "http://128.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
            "https://user:pw@platform.example.com",
            "https://platform.example.com/?q=1",
            "not a url",
        ] {
            assert!(
                matches!(
                    parse_endpoint(bad, "base URL"),
                    Err(PlatformError::Config(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn endpoint_segments_are_percent_encoded_and_appended_to_the_base_path() {
        let base = Url::parse("https://h.example/api/").unwrap();
        let url = endpoint(&base, &["v1", "environments", "env a/b?c", "bindings"]);
        assert_eq!(url.path(), "/api/v1/environments/env%20a%2Fb%3Fc/bindings");
        let bare = Url::parse("https://h.example").unwrap();
        assert_eq!(
            endpoint(&bare, &["oauth2", "token"]).path(),
            "/oauth2/token"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(12))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(12));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn jitter_stays_within_its_ceiling() {
        let ceiling = Duration::from_millis(100);
        for _ in 0..1000 {
            assert!(crate::backoff::full_jitter(ceiling) <= ceiling);
        }
    }

    #[test]
    fn redaction_hides_secret_values_in_json_forms_and_headers() {
        let body = r#"{"client_secret": "abc123", "access_token":"tok-9", "x": 1} client_secret=zz&a=b Authorization: Bearer eyJhbGci.x.y {\"refresh_token\":\"rt\"}"#;
        let out = redact(body, &[]);
        for leaked in ["abc123", "tok-9", "zz&", "eyJhbGci", "\"rt"] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(out.contains("\"x\": 1"));
        assert!(out.contains("a=b"));
        // "token_type":"Bearer" is no secret and stays.
        assert_eq!(
            redact(r#"{"token_type":"Bearer"}"#, &[]),
            r#"{"token_type":"Bearer"}"#
        );
    }

    #[tokio::test]
    async fn extreme_deadlines_and_retry_caps_do_not_overflow() {
        let platform = HttpPlatform::new(
            HttpPlatformConfig::new("http://127.0.0.1:9")
                .with_static_token(SecretString::from("t"))
                .with_operation_deadline(Duration::MAX)
                .with_retry_after_cap(Duration::MAX)
                .with_backoff(Duration::MAX, Duration::MAX)
                .with_max_attempts(2),
        )
        .unwrap();
        // Port 9 refuses at once; the retry's delay is far beyond any clock.
        let err = platform
            .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                PlatformError::Timeout { .. } | PlatformError::Transport { .. }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn redaction_keeps_the_word_after_bearer_in_prose() {
        assert_eq!(
            redact("a valid bearer token is required", &[]),
            "a valid bearer token is required"
        );
        assert_eq!(
            redact("Authorization: Bearer s3cr3t-tok", &[]),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            redact("Bearer abcdefghijklmnopqrstuvwxyz", &[]),
            "Bearer [redacted]"
        );
    }

    #[test]
    fn redaction_hides_json_escaped_secrets_and_tokens() {
        let out = redact(r#"{"detail":"Authorization: Bearer ab\/cd+efgh"}"#, &[]);
        assert!(!out.contains("cd+efgh"), "{out}");
        let out = redact(
            r#"{"detail":"token ab\/cd+efgh rejected"}"#,
            &["ab/cd+efgh"],
        );
        assert!(!out.contains("cd+efgh"), "{out}");
    }

    #[test]
    fn redaction_hides_known_secrets_anywhere() {
        let out = redact("echo: canary-123 and again canary-123", &["canary-123"]);
        assert!(!out.contains("canary-123"));
    }

    #[test]
    fn excerpt_is_bounded_in_characters() {
        let body = "é".repeat(2000);
        let out = excerpt(body.as_bytes(), &[]);
        assert_eq!(out.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert!(out.ends_with('…'));
        assert_eq!(excerpt(b"short", &[]), "short");
    }

    #[test]
    fn quoted_secret_values_are_redacted_whole() {
        for body in [
            r#"{"client_secret":" leading-space"}"#,
            r#"{"client_secret":"two words"}"#,
            r#"{"password":"a,b}c]d;e&f"}"#,
            r#"{"access_token":"esc\"aped quote"}"#,
            r#"{"refresh_token":"back\\slash space"}"#,
            "client_secret='single quoted'",
            r#"{\"id_token\":\"in a string\"}"#,
        ] {
            let out = redact(body, &[]);
            for word in [
                "leading", "space", "two", "words", "b}c", "e&f", "aped", "quote", "slash",
                "single", "quoted", "in a", "string",
            ] {
                assert!(!out.contains(word), "{word} in {out}");
            }
        }
        // What follows the value stays.
        assert_eq!(
            redact(r#"{"client_secret":"a b","x":1}"#, &[]),
            r#"{"client_secret":"[redacted]","x":1}"#
        );
    }

    #[test]
    fn secret_keys_cut_at_the_end_are_still_redacted() {
        let out = redact(r#"{"client_secret":"abcdef"#, &[]);
        assert!(!out.contains("abcdef"));
    }
}
