//! One logical request and its attempts: the client's one retry policy
//! (safe to repeat and transient, full-jitter backoff or `Retry-After`,
//! within the operation's deadline), bodies read under a size limit, and
//! reqwest's errors mapped by kind so no URL or secret leaks.

use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use tracing::debug;
use url::Url;
use uuid::Uuid;

use super::*;
use crate::environment::Etag;
use crate::platform::{IdempotencyKey, PlatformError};

// ---------------------------------------------------------------------------
// One request, its attempts and retries
// ---------------------------------------------------------------------------

/// One logical request, rebuilt into a reqwest request on every attempt.
pub(super) struct Call<'a> {
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) bearer: bool,
    pub(super) body: CallBody<'a>,
    pub(super) idempotency_key: Option<IdempotencyKey>,
    pub(super) if_match: Option<&'a Etag>,
}

pub(super) enum CallBody<'a> {
    Empty,
    Json(Value),
    /// The OAuth2 client-credentials form; the secret is exposed only while
    /// the request is built.
    TokenForm {
        client_id: &'a str,
        client_secret: &'a SecretString,
        method: ClientAuthMethod,
    },
}

impl<'a> Call<'a> {
    pub(super) fn new(method: Method, url: Url) -> Self {
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
    pub(super) fn safe_to_repeat(&self) -> bool {
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

    /// Secrets the server might echo back, to scrub from excerpts: the
    /// client secret, and the Base64 of the client's HTTP Basic credentials
    /// (`client_id:secret`).
    pub(super) fn secrets(&self) -> Vec<SecretString> {
        match self.body {
            CallBody::TokenForm {
                client_id,
                client_secret,
                ..
            } => {
                let mut secrets = vec![client_secret.clone()];
                secrets.extend(redact::basic_credentials(
                    client_id,
                    client_secret.expose_secret(),
                ));
                secrets
            }
            _ => Vec::new(),
        }
    }
}

/// A response read in full (under the size limit).
pub(super) struct Reply {
    pub(super) status: StatusCode,
    /// The server's echo of `X-Request-Id`, or ours.
    pub(super) request_id: String,
    pub(super) retry_after: Option<Duration>,
    pub(super) body: Vec<u8>,
    /// The bearer token sent with this attempt, to scrub from excerpts.
    pub(super) bearer: Option<SecretString>,
}

/// The `Authorization` header of HTTP Basic client authentication (RFC 6749
/// §2.3.1): the client id and the secret are each encoded with
/// `application/x-www-form-urlencoded` first, then `id:secret` in Base64.
/// A space is written `%20`, not `+`: both decode to a space with the form
/// rules, and servers that decode with plain percent-decoding (Authlib's
/// `unquote`) read it right too.
pub(super) fn basic_authorization(client_id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let encode = |text: &str| -> String {
        url::form_urlencoded::byte_serialize(text.as_bytes())
            .map(|part| if part == "+" { "%20" } else { part })
            .collect()
    };
    let pair =
        secrecy::zeroize::Zeroizing::new(format!("{}:{}", encode(client_id), encode(secret)));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
    )
}

/// Why an attempt failed, and whether another attempt may help.
pub(super) enum Failure {
    Retryable(PlatformError),
    Fatal(PlatformError),
}

pub(super) fn is_retryable_status(status: StatusCode) -> bool {
    crate::platform::is_transient_status(status.as_u16())
}

impl HttpPlatform {
    /// Sends `call`, retrying while it is safe and useful, until `deadline`.
    ///
    /// Returns the final reply unless it is a retryable status (which is then
    /// turned into its error): callers see 2xx, 3xx and non-retryable 4xx.
    pub(super) async fn send(
        &self,
        call: &Call<'_>,
        deadline: Instant,
    ) -> Result<Reply, PlatformError> {
        let request_id = Uuid::new_v4().to_string();
        let path = call.url.path();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome =
                match tokio::time::timeout_at(deadline, self.attempt(call, &request_id)).await {
                    Ok(outcome) => outcome,
                    Err(_) => return Err(self.timeout(deadline, &request_id)),
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
                return Err(self.measured(error, deadline));
            }
            let delay = match retry_after {
                Some(wait) => wait.min(self.retry_after_cap),
                None => self.backoff(attempt),
            };
            if Instant::now()
                .checked_add(delay)
                .is_none_or(|at| at >= deadline)
            {
                // Waiting would outlive the budget: say so now, not later
                // (with the budget it could not fit in).
                return Err(PlatformError::Timeout {
                    elapsed: self.operation_deadline,
                    request_id: Some(request_id),
                });
            }
            debug!(method = %call.method, path, request_id = %request_id, attempt,
                delay_ms = delay.as_millis() as u64, "retrying platform request");
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: token, request, status, body.
    pub(super) async fn attempt(
        &self,
        call: &Call<'_>,
        request_id: &str,
    ) -> Result<Reply, Failure> {
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
                method: ClientAuthMethod::ClientSecretPost,
            } => request.form(&smartlink_contract::TokenForm {
                grant_type: Some(smartlink_contract::CLIENT_CREDENTIALS.to_owned()),
                client_id: Some((*client_id).to_owned()),
                client_secret: Some(client_secret.expose_secret()),
            }),
            CallBody::TokenForm {
                client_id,
                client_secret,
                method: ClientAuthMethod::ClientSecretBasic,
            } => {
                let mut value = HeaderValue::from_str(&basic_authorization(
                    client_id,
                    client_secret.expose_secret(),
                ))
                .map_err(|_| {
                    Failure::Fatal(PlatformError::InvalidInput(
                        "the client credentials are not a valid header value".into(),
                    ))
                })?;
                value.set_sensitive(true);
                request
                    .header(AUTHORIZATION, value)
                    .form(&smartlink_contract::TokenForm::<&str> {
                        grant_type: Some(smartlink_contract::CLIENT_CREDENTIALS.to_owned()),
                        ..Default::default()
                    })
            }
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
    pub(super) async fn read_body(
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
    pub(super) fn map_reqwest(&self, error: &reqwest::Error, request_id: &str) -> Failure {
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

    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        crate::backoff::delay(self.backoff_base, self.backoff_cap, attempt)
    }

    /// The timeout of the operation whose budget ends at `deadline`, with
    /// the time it really ran.
    pub(super) fn timeout(&self, deadline: Instant, request_id: &str) -> PlatformError {
        PlatformError::Timeout {
            elapsed: self.elapsed_before(deadline),
            request_id: Some(request_id.to_owned()),
        }
    }

    /// `error`, with a timeout's duration measured from the start of the
    /// operation whose budget ends at `deadline` (an attempt's own connect
    /// or read timeout is not how long the operation ran).
    pub(super) fn measured(&self, error: PlatformError, deadline: Instant) -> PlatformError {
        match error {
            PlatformError::Timeout { request_id, .. } => PlatformError::Timeout {
                elapsed: self.elapsed_before(deadline),
                request_id,
            },
            other => other,
        }
    }

    /// How long ago the operation whose budget ends at `deadline` started.
    fn elapsed_before(&self, deadline: Instant) -> Duration {
        match deadline.checked_sub(self.operation_deadline) {
            Some(started) => started.elapsed(),
            None => self.operation_deadline,
        }
    }

    // -- interpreting replies ------------------------------------------------

    /// The typed error of a non-2xx reply: the problem document's `code` (or
    /// OAuth2's `error`), else the status's code in the contract's table.
    pub(super) fn api_error(&self, reply: &Reply, call: &Call<'_>) -> PlatformError {
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
        // A problem document's `code` is the contract's. OAuth2's `error`
        // (the token endpoint) is taken when this version knows it
        // (`invalid_client`, `invalid_request`…); others (`server_error`,
        // `temporarily_unavailable`, `invalid_grant`…) are typed by the
        // status, so a 500 is `internal`, never `unknown`.
        let code = match (field("code"), field("error")) {
            (Some(code), _) => crate::platform::ErrorCode::parse(code),
            (None, Some(error)) => match crate::platform::ErrorCode::parse(error) {
                crate::platform::ErrorCode::Unknown => code_for_status(status),
                known => known,
            },
            (None, None) => code_for_status(status),
        };
        let secrets = self.secrets_of(reply, call);
        let known = exposed(&secrets);
        let detail = field("detail")
            .or_else(|| field("error_description"))
            .or_else(|| field("title"))
            .map(|d| excerpt(d.as_bytes(), &known));
        PlatformError::Api {
            status,
            code,
            detail,
            request_id: Some(reply.request_id.clone()),
        }
    }

    /// The secrets `call` sent and `reply` may echo: see [`Call::secrets`],
    /// and the bearer token of the attempt.
    pub(super) fn secrets_of(&self, reply: &Reply, call: &Call<'_>) -> Vec<SecretString> {
        let mut secrets = call.secrets();
        if let Some(token) = &reply.bearer {
            secrets.push(token.clone());
        }
        secrets
    }

    pub(super) fn protocol_error(
        &self,
        detail: String,
        reply: &Reply,
        call: &Call<'_>,
    ) -> PlatformError {
        PlatformError::Protocol {
            detail,
            body_excerpt: excerpt(&reply.body, &exposed(&self.secrets_of(reply, call))),
            request_id: Some(reply.request_id.clone()),
        }
    }

    /// Fails unless the reply is a 2xx.
    pub(super) fn expect_success(
        &self,
        reply: &Reply,
        call: &Call<'_>,
    ) -> Result<(), PlatformError> {
        if reply.status.is_success() {
            Ok(())
        } else {
            Err(self.api_error(reply, call))
        }
    }

    /// Decodes a 2xx reply's JSON, or returns the reply's error.
    pub(super) fn decode<T: DeserializeOwned>(
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

/// The secrets' values, for the redaction of an excerpt.
fn exposed(secrets: &[SecretString]) -> Vec<&str> {
    secrets.iter().map(|s| s.expose_secret()).collect()
}

/// What went wrong decoding, without quoting values from the body (serde's
/// messages may quote them, and they may be secrets).
pub(super) fn describe_json_error(what: &str, error: &serde_json::Error) -> String {
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

pub(super) fn str_field<'v>(document: Option<&'v Value>, name: &str) -> Option<&'v str> {
    document?.get(name)?.as_str()
}

pub(super) fn code_for_status(status: u16) -> crate::platform::ErrorCode {
    use crate::platform::ErrorCode;
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
pub(super) fn io_cause(error: &reqwest::Error) -> Option<&'static str> {
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
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installation::{ErpLine, InstallationId};
    use crate::platform::Platform;

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

    #[tokio::test]
    async fn extreme_deadlines_and_retry_caps_do_not_overflow() {
        let platform = HttpPlatform::new(
            HttpPlatformConfig::new("http://127.0.0.1:9", SecretString::from("t"))
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
}
