//! What an [`HttpPlatform`](super::HttpPlatform) is built from: the token
//! source and the configuration (URLs, timeouts, the retry budget, proxy,
//! trusted roots), checked when the client is built.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use url::{Host, Url};

use super::*;
use crate::platform::PlatformError;

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
// Client authentication at the token endpoint
// ---------------------------------------------------------------------------

/// How the installation's client authenticates at the token endpoint
/// (RFC 6749 §2.3.1; the names are the `token_endpoint_auth_method` values
/// of RFC 7591).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic: `Authorization: Basic base64(urlencode(client_id) ":"
    /// urlencode(client_secret))`, each part form-urlencoded first as
    /// §2.3.1 requires. Every authorization server must support it; the
    /// default.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body, which the RFC
    /// allows a server to accept and does not recommend.
    ClientSecretPost,
}

impl ClientAuthMethod {
    /// Every method, the default first.
    pub const ALL: [ClientAuthMethod; 2] = [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ];

    /// The method's name: `client_secret_basic` or `client_secret_post`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }

    /// Parses a method's name (`basic` and `post` are accepted too).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "client_secret_basic" | "basic" => Some(ClientAuthMethod::ClientSecretBasic),
            "client_secret_post" | "post" => Some(ClientAuthMethod::ClientSecretPost),
            _ => None,
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
/// let config = HttpPlatformConfig::new(
///     "https://configurator.example.com/api",
///     SecretString::from("bootstrap-token"),
/// )
/// .with_max_attempts(3)
/// .with_operation_deadline(Duration::from_secs(20));
/// assert!(!format!("{config:?}").contains("bootstrap-token"));
/// let platform = HttpPlatform::new(config).unwrap();
/// # drop(platform);
///
/// // `Debug` shows the URLs' scheme, host, port and path only: user info and
/// // query (which `HttpPlatform::new` refuses) may carry credentials.
/// let leaky = HttpPlatformConfig::new(
///     "https://admin:pa55word@configurator.example.com:8443/api?access_token=t0ken",
///     SecretString::from("bootstrap-token"),
/// )
/// .with_token_url("https://id.example.com/connect/token?client_secret=s3cret");
/// let shown = format!("{leaky:?}");
/// for secret in ["admin", "pa55word", "t0ken", "s3cret", "bootstrap-token"] {
///     assert!(!shown.contains(secret), "{shown}");
/// }
/// assert!(shown.contains(
///     r#"base_url: "https://[redacted]@configurator.example.com:8443/api?[redacted]""#
/// ));
/// assert!(shown.contains(
///     r#"token_url: Some("https://id.example.com/connect/token?[redacted]")"#
/// ));
///
/// // Plain http is for loopback hosts only.
/// let remote = HttpPlatformConfig::new("http://configurator.example.com", SecretString::from("t"));
/// assert!(HttpPlatform::new(remote).is_err());
/// ```
///
/// The token source is part of the construction: a configuration without
/// one does not compile.
///
/// ```compile_fail
/// use smartlink_core::HttpPlatformConfig;
/// let config = HttpPlatformConfig::new("https://configurator.example.com");
/// ```
#[derive(Clone)]
pub struct HttpPlatformConfig {
    pub(super) base_url: String,
    pub(super) token_url: Option<String>,
    pub(super) client_auth: ClientAuthMethod,
    pub(super) token_source: Arc<dyn TokenSource>,
    pub(super) connect_timeout: Duration,
    pub(super) read_timeout: Duration,
    pub(super) operation_deadline: Duration,
    pub(super) max_attempts: u32,
    pub(super) backoff_base: Duration,
    pub(super) backoff_cap: Duration,
    pub(super) retry_after_cap: Duration,
    pub(super) max_response_bytes: usize,
    pub(super) proxy: ProxySetting,
    pub(super) extra_ca_file: Option<PathBuf>,
    pub(super) user_agent: String,
}

#[derive(Clone)]
pub(super) enum ProxySetting {
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
    /// `https://configurator.example.com/api`; the endpoints' paths are
    /// appended to it, and the URL is checked by [`HttpPlatform::new`]),
    /// sending `token` as the bearer token of every configurator call.
    pub fn new(base_url: impl Into<String>, token: SecretString) -> Self {
        Self::with_source(base_url, Arc::new(StaticToken::new(token)))
    }

    /// A configuration whose bearer tokens come from `source`, asked once
    /// per attempt (so a source that refreshes hands every retry a fresh one).
    pub fn with_source(base_url: impl Into<String>, source: Arc<dyn TokenSource>) -> Self {
        Self {
            base_url: base_url.into(),
            token_url: None,
            client_auth: ClientAuthMethod::default(),
            token_source: source,
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
    /// [`verify_credentials`](crate::platform::Platform::verify_credentials) and
    /// [`request_token`](crate::platform::Platform::request_token) (default
    /// `<base URL>/oauth2/token`). Same scheme rules as the base URL.
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Self {
        self.token_url = Some(token_url.into());
        self
    }

    /// How the installation's client authenticates at the token endpoint:
    /// HTTP Basic ([`ClientAuthMethod::ClientSecretBasic`]) by default, or
    /// the form body ([`ClientAuthMethod::ClientSecretPost`]) for a server
    /// registered for it. One method per request, never both.
    pub fn with_client_auth(mut self, method: ClientAuthMethod) -> Self {
        self.client_auth = method;
        self
    }

    /// Replaces where bearer tokens come from.
    pub fn with_token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token_source = source;
        self
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

    /// Replaces the `User-Agent` (default `smartlink/<version>`).
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
        // Not yet validated: user info or a query may carry credentials.
        f.debug_struct("HttpPlatformConfig")
            .field("base_url", &shown_url(&self.base_url))
            .field("token_url", &self.token_url.as_deref().map(shown_url))
            .field("client_auth", &self.client_auth)
            .field("token_source", &REDACTED)
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

/// A URL as `Debug` shows it: scheme, host, port and path. User info, query
/// and fragment, which [`parse_endpoint`] refuses because they may carry
/// credentials, are shown as `[redacted]`; a text that is no URL is not
/// shown at all.
pub(super) fn shown_url(raw: &str) -> String {
    let Ok(url) = Url::parse(raw.trim()) else {
        return format!("[not a valid URL, {REDACTED}]");
    };
    let mut shown = format!("{}:", url.scheme());
    if let Some(host) = url.host_str() {
        shown.push_str("//");
        if !url.username().is_empty() || url.password().is_some() {
            shown.push_str(REDACTED);
            shown.push('@');
        }
        shown.push_str(host);
        if let Some(port) = url.port() {
            shown.push_str(&format!(":{port}"));
        }
    }
    if url.cannot_be_a_base() {
        // `mailto:x`, `data:...`: the rest is no path.
        shown.push_str(REDACTED);
    } else {
        shown.push_str(url.path());
    }
    if url.query().is_some() {
        shown.push('?');
        shown.push_str(REDACTED);
    }
    if url.fragment().is_some() {
        shown.push('#');
        shown.push_str(REDACTED);
    }
    shown
}

/// Why an endpoint URL (the platform's base URL, the token URL) is refused
/// by [`HttpPlatform::new`](super::HttpPlatform::new), so that a host can
/// say it in its own words before building the client
/// ([`EndpointProblem::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointProblem {
    /// Not a URL at all (no scheme, a bad port, ...).
    NotAUrl,
    /// A URL without a host (`mailto:x`, `file:///x`).
    NoHost,
    /// A user name or password in the URL.
    UserInfo,
    /// A query or a fragment (they may carry secrets, and the contract's
    /// paths are appended to the base).
    QueryOrFragment,
    /// Plain `http` to a host other than this machine (loopback).
    PlainHttpRemote,
    /// A scheme other than `https` or `http`.
    Scheme,
}

impl EndpointProblem {
    /// The problem of `raw` as an endpoint URL, `None` when it is accepted:
    /// `https`, or `http` to a loopback host, absolute, without user
    /// information, query or fragment.
    pub fn of(raw: &str) -> Option<Self> {
        check_endpoint(raw).err()
    }

    fn detail(self) -> &'static str {
        match self {
            Self::NotAUrl => "not a valid URL",
            Self::NoHost => "must be an absolute URL with a host",
            Self::UserInfo => "must not carry a user name or password",
            Self::QueryOrFragment => "must not carry a query or fragment",
            Self::PlainHttpRemote => {
                "plain http is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost); use https"
            }
            Self::Scheme => "unsupported scheme; use https",
        }
    }
}

fn check_endpoint(raw: &str) -> Result<Url, EndpointProblem> {
    let url = Url::parse(raw.trim()).map_err(|_| EndpointProblem::NotAUrl)?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(EndpointProblem::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointProblem::UserInfo);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(EndpointProblem::QueryOrFragment);
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(EndpointProblem::PlainHttpRemote),
        _ => Err(EndpointProblem::Scheme),
    }
}

/// Parses an endpoint URL and applies the scheme rule: `https`, or `http` to
/// a loopback host. The URL itself is never repeated in the message.
pub(super) fn parse_endpoint(raw: &str, what: &str) -> Result<Url, PlatformError> {
    check_endpoint(raw).map_err(|problem| {
        let detail = match (problem, Url::parse(raw.trim())) {
            (EndpointProblem::NotAUrl, Err(e)) => format!("not a valid URL ({e})"),
            (EndpointProblem::Scheme, Ok(url)) => {
                format!("unsupported scheme {:?}; use https", url.scheme())
            }
            _ => problem.detail().to_owned(),
        };
        PlatformError::Config(format!("{what}: {detail}"))
    })
}

pub(super) fn is_loopback(url: &Url) -> bool {
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
pub(super) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

pub(super) fn load_extra_roots(path: &Path) -> Result<Vec<reqwest::Certificate>, PlatformError> {
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
    fn each_refused_endpoint_has_its_typed_problem() {
        use EndpointProblem as P;
        for (raw, problem) in [
            ("not a url", Some(P::NotAUrl)),
            ("http://127.0.0.1:99999", Some(P::NotAUrl)),
            ("mailto:x@example.com", Some(P::NoHost)),
            ("https://user:pw@platform.example.com", Some(P::UserInfo)),
            (
                "https://platform.example.com/?q=1",
                Some(P::QueryOrFragment),
            ),
            ("http://platform.example.com", Some(P::PlainHttpRemote)),
            ("ftp://127.0.0.1", Some(P::Scheme)),
            ("https://platform.example.com/api", None),
            ("http://localhost:8080", None),
        ] {
            assert_eq!(EndpointProblem::of(raw), problem, "{raw}");
        }
    }

    #[test]
    fn debug_urls_show_scheme_host_port_and_path_only() {
        for (raw, shown) in [
            (
                "https://platform.example.com/api",
                "https://platform.example.com/api",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://[::1]:9000/x", "http://[::1]:9000/x"),
            (
                "https://user:pw@platform.example.com/api?token=t#frag",
                "https://[redacted]@platform.example.com/api?[redacted]#[redacted]",
            ),
            ("https://:pw@h.example", "https://[redacted]@h.example/"),
            ("https://user@h.example", "https://[redacted]@h.example/"),
            ("mailto:secret@example.com", "mailto:[redacted]"),
            ("user:secret@host", "user:[redacted]"),
            ("not a url secret", "[not a valid URL, [redacted]]"),
        ] {
            assert_eq!(shown_url(raw), shown, "{raw}");
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
}
