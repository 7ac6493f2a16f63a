//! `HttpPlatform`'s retry rules: what is retried, how often, how long it
//! waits, and that one logical operation keeps its request id and
//! idempotency key across attempts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use mockito::{Matcher, Mock, Server, ServerGuard};
use secrecy::SecretString;
use serde_json::json;
use smartlink_core::{
    BindTarget, CreateEnvironment, EnvironmentId, EnvironmentName, ErpLine, ErrorCode, Etag,
    HttpPlatform, HttpPlatformConfig, IdempotencyKey, Installation, InstallationId,
    InstallationName, Kind, Platform, PlatformError, TokenSource,
};

const TOKEN: &str = "tok-retry-1";
/// "Did not hang": far above any legitimate run of these tests.
const HANG: Duration = Duration::from_secs(20);

fn config(server: &ServerGuard) -> HttpPlatformConfig {
    HttpPlatformConfig::new(server.url(), SecretString::from(TOKEN))
        .with_backoff(Duration::from_millis(1), Duration::from_millis(10))
        .without_proxy()
}

fn platform(server: &ServerGuard) -> HttpPlatform {
    HttpPlatform::new(config(server)).unwrap()
}

fn installation_id() -> InstallationId {
    InstallationId::new("inst-1").unwrap()
}

fn create_request() -> CreateEnvironment {
    CreateEnvironment {
        name: EnvironmentName::new("Dev").unwrap(),
        kind: Kind::Development,
        idempotency_key: IdempotencyKey::new(),
    }
}

fn created_body() -> String {
    json!({"id": "env_9", "name": "Dev", "kind": "development", "etag": "\"1\"", "bindings": []})
        .to_string()
}

fn empty_list() -> String {
    json!({"environments": [], "next_cursor": null}).to_string()
}

/// The `(x-request-id, idempotency-key)` of every request a mock answered.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String)>>>);

impl Seen {
    /// Records each answered request (the callback runs once per response).
    fn record(&self, mock: Mock) -> Mock {
        let seen = self.0.clone();
        mock.with_header_from_request("x-recorded", move |request| {
            let header = |name: &str| {
                request
                    .header(name)
                    .first()
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            };
            seen.lock()
                .unwrap()
                .push((header("x-request-id"), header("idempotency-key")));
            "1".into()
        })
    }

    fn all(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().clone()
    }
}

async fn list(platform: &HttpPlatform) -> Result<Vec<smartlink_core::Environment>, PlatformError> {
    platform
        .list_environments(ErpLine::Protheus, &installation_id())
        .await
}

fn list_mock(server: &mut ServerGuard) -> Mock {
    server
        .mock("GET", "/v1/environments")
        .match_query(Matcher::UrlEncoded("line".into(), "protheus".into()))
}

#[tokio::test]
async fn unavailable_then_ok_keeps_request_id_and_idempotency_key() {
    let mut server = Server::new_async().await;
    let seen = Seen::default();
    let request = create_request();
    let key = request.idempotency_key.to_string();
    let failing = seen
        .record(server.mock("POST", "/v1/environments"))
        .match_header("idempotency-key", key.as_str())
        .with_status(503)
        .with_body(r#"{"code":"unavailable","status":503}"#)
        .expect(1)
        .create_async()
        .await;
    let ok = seen
        .record(server.mock("POST", "/v1/environments"))
        .match_header("idempotency-key", key.as_str())
        .with_status(201)
        .with_body(created_body())
        .expect(1)
        .create_async()
        .await;

    let created = platform(&server)
        .create_environment(&request)
        .await
        .unwrap();

    failing.assert_async().await;
    ok.assert_async().await;
    assert_eq!(created.id.as_str(), "env_9");
    let seen = seen.all();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], seen[1], "same X-Request-Id and Idempotency-Key");
    assert!(uuid::Uuid::parse_str(&seen[0].0).is_ok());
    assert_eq!(seen[0].1, key);
}

#[tokio::test]
async fn every_retryable_status_is_retried() {
    for status in [408, 429, 500, 502, 503, 504] {
        let mut server = Server::new_async().await;
        let failing = list_mock(&mut server)
            .with_status(status)
            .expect(1)
            .create_async()
            .await;
        let ok = list_mock(&mut server)
            .with_status(200)
            .with_body(empty_list())
            .expect(1)
            .create_async()
            .await;
        list(&platform(&server)).await.unwrap();
        failing.assert_async().await;
        ok.assert_async().await;
    }
}

#[tokio::test]
async fn rate_limited_waits_for_retry_after_seconds() {
    let mut server = Server::new_async().await;
    let limited = list_mock(&mut server)
        .with_status(429)
        .with_header("retry-after", "1")
        .with_body(r#"{"code":"rate_limited","status":429}"#)
        .expect(1)
        .create_async()
        .await;
    let ok = list_mock(&mut server)
        .with_status(200)
        .with_body(empty_list())
        .expect(1)
        .create_async()
        .await;
    let started = Instant::now();
    list(&platform(&server)).await.unwrap();
    assert!(started.elapsed() < HANG);
    limited.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn rate_limited_waits_for_retry_after_http_date() {
    let mut server = Server::new_async().await;
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1));
    let limited = list_mock(&mut server)
        .with_status(429)
        .with_header("retry-after", &at)
        .expect(1)
        .create_async()
        .await;
    let ok = list_mock(&mut server)
        .with_status(200)
        .with_body(empty_list())
        .expect(1)
        .create_async()
        .await;
    let started = Instant::now();
    list(&platform(&server)).await.unwrap();
    assert!(started.elapsed() < HANG);
    limited.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn retry_after_is_capped() {
    let mut server = Server::new_async().await;
    let limited = list_mock(&mut server)
        .with_status(503)
        .with_header("retry-after", "3600")
        .expect(1)
        .create_async()
        .await;
    let ok = list_mock(&mut server)
        .with_status(200)
        .with_body(empty_list())
        .expect(1)
        .create_async()
        .await;
    let platform =
        HttpPlatform::new(config(&server).with_retry_after_cap(Duration::from_millis(20))).unwrap();
    let started = Instant::now();
    list(&platform).await.unwrap();
    assert!(started.elapsed() < HANG);
    limited.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    // 400 on a GET.
    let mut server = Server::new_async().await;
    let bad = list_mock(&mut server)
        .with_status(400)
        .with_body(r#"{"code":"invalid_request","status":400}"#)
        .expect(1)
        .create_async()
        .await;
    let err = list(&platform(&server)).await.unwrap_err();
    bad.assert_async().await;
    assert!(err.is(ErrorCode::InvalidRequest));

    // 409 and 412 on a PUT with If-Match (a request that is safe to repeat).
    let installation = Installation::new(
        installation_id(),
        InstallationName::new("Filial").unwrap(),
        ErpLine::Protheus,
        Kind::Production,
    );
    let target = BindTarget::with_etag(
        EnvironmentId::new("env_1").unwrap(),
        Etag::new("\"1\"").unwrap(),
    );
    for (status, code, expected) in [
        (409, "binding_exists", ErrorCode::BindingExists),
        (412, "precondition_failed", ErrorCode::PreconditionFailed),
    ] {
        let mut server = Server::new_async().await;
        let refused = server
            .mock("PUT", "/v1/environments/env_1/bindings/protheus")
            .with_status(status)
            .with_body(json!({"code": code, "status": status}).to_string())
            .expect(1)
            .create_async()
            .await;
        let err = platform(&server)
            .bind(&installation, &target)
            .await
            .unwrap_err();
        refused.assert_async().await;
        assert!(err.is(expected), "{err:?}");
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn the_status_decides_not_the_body_code() {
    // A 4xx whose body claims a transient code, and the 5xx statuses no
    // retry changes: one request each, on a POST with an idempotency key
    // (safe to repeat, so only the status can stop the retry).
    for (status, code) in [
        (401, "unavailable"),
        (403, "rate_limited"),
        (409, "internal"),
        (501, "unavailable"),
        (505, "unavailable"),
    ] {
        let mut server = Server::new_async().await;
        let refused = server
            .mock("POST", "/v1/environments")
            .with_status(status)
            .with_header("content-type", "application/problem+json")
            .with_body(json!({"code": code, "status": status}).to_string())
            .expect(1)
            .create_async()
            .await;
        let err = platform(&server)
            .create_environment(&create_request())
            .await
            .unwrap_err();
        refused.assert_async().await;
        assert!(!err.is_transient(), "{status} {code}: {err:?}");
    }
}

#[tokio::test]
async fn attempts_stop_at_the_configured_maximum() {
    let mut server = Server::new_async().await;
    let seen = Seen::default();
    let failing = seen
        .record(list_mock(&mut server))
        .with_status(503)
        .with_header("x-request-id", "srv-503")
        .with_body(r#"{"code":"unavailable","status":503}"#)
        .expect(3)
        .create_async()
        .await;
    let platform = HttpPlatform::new(config(&server).with_max_attempts(3)).unwrap();
    let err = list(&platform).await.unwrap_err();
    failing.assert_async().await;
    assert_eq!(
        err,
        PlatformError::Api {
            status: 503,
            code: ErrorCode::Unavailable,
            detail: None,
            request_id: Some("srv-503".into()),
        }
    );
    assert!(err.is_transient());
    let seen = seen.all();
    assert!(seen.iter().all(|s| s.0 == seen[0].0), "one request id");
}

#[tokio::test]
async fn default_budget_is_four_attempts() {
    let mut server = Server::new_async().await;
    let failing = list_mock(&mut server)
        .with_status(500)
        .expect(4)
        .create_async()
        .await;
    let err = list(&platform(&server)).await.unwrap_err();
    failing.assert_async().await;
    assert!(err.is(ErrorCode::Internal), "{err:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_times_out_promptly() {
    let mut server = Server::new_async().await;
    let failing = list_mock(&mut server)
        .with_status(503)
        .with_header("retry-after", "120")
        .expect(1)
        .create_async()
        .await;
    let platform = HttpPlatform::new(
        config(&server)
            .with_operation_deadline(Duration::from_millis(500))
            .with_max_attempts(10),
    )
    .unwrap();
    let started = Instant::now();
    let err = list(&platform).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "did not wait");
    failing.assert_async().await;
    assert!(
        matches!(err, PlatformError::Timeout { elapsed, .. } if elapsed == Duration::from_millis(500)),
        "{err:?}"
    );
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn backoff_never_runs_past_the_deadline() {
    let mut server = Server::new_async().await;
    let failing = list_mock(&mut server)
        .with_status(503)
        .expect_at_least(1)
        .create_async()
        .await;
    let platform = HttpPlatform::new(
        config(&server)
            .with_operation_deadline(Duration::from_millis(300))
            .with_max_attempts(1000)
            .with_backoff(Duration::from_millis(20), Duration::from_millis(80)),
    )
    .unwrap();
    let started = Instant::now();
    let err = list(&platform).await.unwrap_err();
    assert!(started.elapsed() < HANG);
    failing.assert_async().await;
    assert!(matches!(err, PlatformError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_cut_body_is_retried() {
    let mut server = Server::new_async().await;
    let cut = list_mock(&mut server)
        .with_status(200)
        .with_chunked_body(|w| {
            w.write_all(br#"{"environments": ["#)?;
            Err(std::io::Error::other("connection dropped"))
        })
        .expect(1)
        .create_async()
        .await;
    let ok = list_mock(&mut server)
        .with_status(200)
        .with_body(empty_list())
        .expect(1)
        .create_async()
        .await;
    list(&platform(&server)).await.unwrap();
    cut.assert_async().await;
    ok.assert_async().await;
}

/// Hands out `tok-1`, `tok-2`, ... and counts the calls.
#[derive(Default)]
struct CountingTokens(AtomicUsize);

#[async_trait]
impl TokenSource for CountingTokens {
    async fn token(&self) -> Result<SecretString, PlatformError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(SecretString::from(format!("tok-{n}")))
    }
}

#[tokio::test]
async fn the_token_is_fetched_again_for_each_attempt() {
    let mut server = Server::new_async().await;
    let first = list_mock(&mut server)
        .match_header("authorization", "Bearer tok-1")
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let second = list_mock(&mut server)
        .match_header("authorization", "Bearer tok-2")
        .with_status(200)
        .with_body(empty_list())
        .expect(1)
        .create_async()
        .await;
    let tokens = Arc::new(CountingTokens::default());
    let platform = HttpPlatform::new(
        HttpPlatformConfig::with_source(server.url(), tokens.clone())
            .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
            .without_proxy(),
    )
    .unwrap();
    list(&platform).await.unwrap();
    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(tokens.0.load(Ordering::SeqCst), 2);
}

/// A token source that fails: its error ends the operation untouched.
struct NoToken;

#[async_trait]
impl TokenSource for NoToken {
    async fn token(&self) -> Result<SecretString, PlatformError> {
        Err(PlatformError::Cancelled)
    }
}

#[tokio::test]
async fn a_failing_token_source_stops_before_sending() {
    let mut server = Server::new_async().await;
    let never = list_mock(&mut server).expect(0).create_async().await;
    let platform = HttpPlatform::new(HttpPlatformConfig::with_source(
        server.url(),
        Arc::new(NoToken),
    ))
    .unwrap();
    assert_eq!(list(&platform).await.unwrap_err(), PlatformError::Cancelled);
    never.assert_async().await;
}

#[tokio::test]
async fn one_client_serves_many_calls() {
    let mut server = Server::new_async().await;
    let ok = list_mock(&mut server)
        .with_status(200)
        .with_body(empty_list())
        .expect(5)
        .create_async()
        .await;
    let platform = Arc::new(platform(&server));
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let platform = platform.clone();
            tokio::spawn(async move { list(&platform).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    ok.assert_async().await;
}
