//! The token code against a real, independent OAuth2 server: Authlib's
//! `AuthorizationServer` with its client-credentials grant
//! (`tests/oauth/authlib_server.py`), through the Rust API and the C ABI.
//! Both client authentication methods, the mismatch and its repair (the
//! credentials are kept, marked refused, and the mark is cleared by a later
//! success), `invalid_client` with 401 and 400, a 500, slow and malformed
//! answers, a missing `expires_in`, a lower-case `bearer`.
//!
//! python3 with Authlib is a prerequisite (scripts/install-test-deps.sh): a
//! test fails, never skips, without it.

use std::ffi::{CStr, CString, c_char};
use std::ptr::null_mut;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use smartlink_core::*;
use smartlink_core::{DEFAULT_TOKEN_LIFETIME, TokenClock};
use smartlink_testkit::authlib::{AuthlibServer, CLIENT_ID, CLIENT_SECRET, bound_state};

const BEARER: &str = "authlib-platform-token";
const BASIC: ClientAuthMethod = ClientAuthMethod::ClientSecretBasic;
const POST: ClientAuthMethod = ClientAuthMethod::ClientSecretPost;

fn platform(server: &AuthlibServer, method: ClientAuthMethod) -> Arc<HttpPlatform> {
    platform_with(server, method, |c| c)
}

fn platform_with(
    server: &AuthlibServer,
    method: ClientAuthMethod,
    tune: impl FnOnce(HttpPlatformConfig) -> HttpPlatformConfig,
) -> Arc<HttpPlatform> {
    let config = HttpPlatformConfig::new(&server.url, SecretString::from(BEARER))
        .with_token_url(server.token_url())
        .with_client_auth(method)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
        .with_operation_deadline(Duration::from_secs(20))
        .without_proxy();
    Arc::new(HttpPlatform::new(tune(config)).unwrap())
}

fn configurator(id: &str, platform: Arc<HttpPlatform>, store: &MemoryStateStore) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse(id, "protheus", "production", None).unwrap(),
        platform,
        Arc::new(store.clone()),
    )
    .runtime(tokio::runtime::Handle::current())
    .build()
    .unwrap()
}

fn stored(store: &MemoryStateStore) -> LocalState {
    store.load().unwrap().unwrap()
}

/// The last request's (method, status) at the server.
fn last(server: &AuthlibServer) -> (String, u64) {
    let log = server.log();
    let entry = log.last().expect("a request arrived");
    (
        entry["method"].as_str().unwrap().to_owned(),
        entry["status"].as_u64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_client_authentication_methods_get_tokens_from_authlib() {
    for (method, registered) in [(BASIC, "client_secret_basic"), (POST, "client_secret_post")] {
        let server = AuthlibServer::start(&["--auth-method", registered]);
        let store = MemoryStateStore::with_state(bound_state("authlib-both"));
        let cfg = configurator("authlib-both", platform(&server, method), &store);
        let token = cfg.access_token().await.unwrap();
        assert!(token.expose_secret().starts_with("at_"));
        assert!(token.expires_at() > Utc::now() + TimeDelta::minutes(59));
        assert_eq!(last(&server), (registered.to_owned(), 200));
        // From the cache afterwards.
        assert_eq!(cfg.access_token().await.unwrap(), token);
        assert_eq!(server.requests(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lower_case_bearer_and_a_missing_expires_in_are_accepted_other_types_are_not() {
    let server = AuthlibServer::start(&["--mode", "lowercase_bearer"]);
    let store = MemoryStateStore::with_state(bound_state("authlib-types"));
    let cfg = configurator("authlib-types", platform(&server, BASIC), &store);
    cfg.access_token().await.unwrap();

    server.control(json!({"mode": "no_expires_in"}));
    let started = Utc::now();
    let grant = platform(&server, BASIC)
        .request_token(stored(&store).credentials.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(grant.expires_in, DEFAULT_TOKEN_LIFETIME.as_secs());
    let fresh = configurator(
        "authlib-types",
        platform(&server, BASIC),
        &MemoryStateStore::with_state(bound_state("authlib-types")),
    );
    let token = fresh.access_token().await.unwrap();
    let lifetime = token.expires_at() - started;
    assert!(
        lifetime <= TimeDelta::seconds(302) && lifetime >= TimeDelta::seconds(300),
        "{lifetime}"
    );

    server.control(json!({"mode": "mac"}));
    let err = platform(&server, BASIC)
        .request_token(stored(&store).credentials.as_ref().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("not Bearer"), "{err}");
}

/// The credentials the mismatch left in `store`: kept, marked refused.
fn assert_kept_and_marked(store: &MemoryStateStore, status: u16, setup_starts: &str) {
    let state = stored(store);
    let kept = state
        .refused_credentials()
        .expect("the credentials are kept, marked refused");
    assert_eq!(kept.secret(), CLIENT_SECRET);
    assert_eq!(kept.client_id.as_str(), CLIENT_ID);
    let mark = state.revocation.as_ref().unwrap();
    assert_eq!(mark.status, Some(status));
    assert!(
        mark.token_request_setup
            .as_deref()
            .is_some_and(|s| s.starts_with(setup_starts)),
        "{mark:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_mismatch_keeps_the_credentials_and_the_fixed_setup_clears_the_mark() {
    // Authlib's default: the client is registered for client_secret_basic.
    let server = AuthlibServer::start(&[]);
    let store = MemoryStateStore::with_state(bound_state("authlib-mismatch"));
    let wrong = configurator("authlib-mismatch", platform(&server, POST), &store);
    let err = wrong.access_token().await.unwrap_err();
    assert!(matches!(err, TokenError::Revoked { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));
    assert_eq!(last(&server), ("client_secret_post".to_owned(), 401));
    assert_kept_and_marked(&store, 401, "client_secret_post ");
    // The gate is open and says why; nobody gets the refused secret, and
    // no further request is made with the setup that was refused.
    assert!(wrong.needs_configuration());
    let status = wrong.status().unwrap();
    assert_eq!(status.reason, Some(NeedsReason::CredentialsRevoked));
    assert!(status.credentials_revoked.is_some());
    assert!(wrong.credentials().unwrap().is_none());
    for _ in 0..20 {
        assert!(matches!(
            wrong.access_token().await,
            Err(TokenError::Revoked { .. })
        ));
    }
    assert_eq!(server.requests(), 1);

    // A host that runs the transparent configuration first: the fixed
    // setup (HTTP Basic) proves the kept credentials, nothing else is done.
    let other_store = MemoryStateStore::with_state(stored(&store));
    let transparent = configurator("authlib-mismatch", platform(&server, BASIC), &other_store);
    assert!(transparent.needs_configuration());
    assert!(matches!(
        transparent.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    ));
    assert!(!transparent.needs_configuration());
    assert!(stored(&other_store).revocation.is_none());
    assert_eq!(server.requests(), 2);

    // The host fixes its configuration (HTTP Basic): the first caller makes
    // one token request with the kept credentials; it succeeds, the mark is
    // cleared, the gate closes.
    let fixed = configurator("authlib-mismatch", platform(&server, BASIC), &store);
    let token = fixed.access_token().await.unwrap();
    assert!(token.expose_secret().starts_with("at_"));
    assert_eq!(last(&server), ("client_secret_basic".to_owned(), 200));
    assert_eq!(server.requests(), 3);
    let state = stored(&store);
    assert!(state.revocation.is_none(), "{:?}", state.revocation);
    assert_eq!(state.credentials.as_ref().unwrap().secret(), CLIENT_SECRET);
    assert!(!fixed.needs_configuration());
    assert_eq!(fixed.access_token().await.unwrap(), token);
    assert_eq!(server.requests(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_fixed_at_the_server_is_cleared_by_an_explicit_reverification() {
    let server = AuthlibServer::start(&["--auth-method", "client_secret_post"]);
    let store = MemoryStateStore::with_state(bound_state("authlib-reverify"));
    let cfg = configurator("authlib-reverify", platform(&server, BASIC), &store);
    assert!(matches!(
        cfg.access_token().await,
        Err(TokenError::Revoked { .. })
    ));
    assert_kept_and_marked(&store, 401, "client_secret_basic ");
    // Re-verifying before the server is fixed renews the mark.
    assert!(matches!(
        cfg.reverify_credentials().await,
        Err(TokenError::Revoked { .. })
    ));
    assert_kept_and_marked(&store, 401, "client_secret_basic ");
    // The server's administrator registers the client for HTTP Basic too;
    // the same setup would never try again by itself...
    server.control(json!({"auth_method": "both"}));
    let before = server.requests();
    assert!(cfg.access_token().await.is_err());
    assert_eq!(server.requests(), before);
    // ...an explicit re-verification does, and clears the mark.
    let check = cfg.reverify_credentials().await.unwrap();
    assert!(check.refusal_cleared);
    assert_eq!(check.client_id.as_str(), CLIENT_ID);
    assert!(stored(&store).revocation.is_none());
    assert!(!cfg.needs_configuration());
    // The token it obtained is the cached one.
    cfg.access_token().await.unwrap();
    assert_eq!(server.requests(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_client_with_401_and_with_400_keeps_the_credentials() {
    // A disabled client authenticated with HTTP Basic: Authlib answers 401.
    let server = AuthlibServer::start(&["--disabled"]);
    let store = MemoryStateStore::with_state(bound_state("authlib-401"));
    let cfg = configurator("authlib-401", platform(&server, BASIC), &store);
    let err = cfg.access_token().await.unwrap_err();
    assert!(matches!(err, TokenError::Revoked { .. }), "{err:?}");
    assert_eq!(last(&server).1, 401);
    assert_kept_and_marked(&store, 401, "client_secret_basic ");

    // A disabled client authenticated in the body, when the grant takes
    // client_secret_post only: Authlib answers 400 (RFC 6749 §5.2).
    let server = AuthlibServer::start(&[
        "--disabled",
        "--auth-method",
        "client_secret_post",
        "--grant-methods",
        "client_secret_post",
    ]);
    let store = MemoryStateStore::with_state(bound_state("authlib-400"));
    let cfg = configurator("authlib-400", platform(&server, POST), &store);
    let err = cfg.access_token().await.unwrap_err();
    assert!(matches!(err, TokenError::Revoked { .. }), "{err:?}");
    assert_eq!(last(&server).1, 400);
    assert_kept_and_marked(&store, 400, "client_secret_post ");
    // The client is enabled again: re-verification clears the mark.
    server.control(json!({"disabled": false}));
    assert!(cfg.reverify_credentials().await.unwrap().refusal_cleared);
    assert!(!cfg.needs_configuration());
}

/// A clock the test moves (the token cache's pauses), on top of real time.
fn manual_clock() -> (TokenClock, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let seen = offset.clone();
    let clock: TokenClock =
        Arc::new(move || Utc::now() + TimeDelta::milliseconds(seen.load(Ordering::SeqCst)));
    (clock, offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_by_the_http_client_only_and_recovery_is_served_within_the_pause() {
    let server = AuthlibServer::start(&["--mode", "error500"]);
    let store = MemoryStateStore::with_state(bound_state("authlib-500"));
    let (clock, offset) = manual_clock();
    let cfg = Configurator::builder(
        InstallationSpec::parse("authlib-500", "protheus", "production", None).unwrap(),
        platform_with(&server, BASIC, |c| c.with_max_attempts(3)),
        Arc::new(store.clone()),
    )
    .runtime(tokio::runtime::Handle::current())
    .token_options(TokenOptions {
        clock: Some(clock),
        ..TokenOptions::default()
    })
    .build()
    .unwrap();
    let err = cfg.access_token().await.unwrap_err();
    match &err {
        TokenError::Platform(p) => {
            assert_eq!(FailureCode::from(p), "internal", "{p:?}");
            assert!(p.is_transient());
        }
        other => panic!("a 500 is no refusal: {other:?}"),
    }
    // One token request = the HTTP client's 3 attempts, no more.
    assert_eq!(server.requests(), 3);
    assert!(stored(&store).revocation.is_none());
    // Within the pause, callers get the error without a request.
    for _ in 0..20 {
        assert_eq!(cfg.access_token().await.unwrap_err(), err);
    }
    assert_eq!(server.requests(), 3);
    // The endpoint recovers. The pauses double up to 4 s: however many
    // failures came before, a caller after at most 4 s gets a token.
    for _ in 0..4 {
        offset.fetch_add(4_001, Ordering::SeqCst);
        assert!(cfg.access_token().await.is_err());
    }
    assert_eq!(server.requests(), 15);
    server.control(json!({"mode": "normal"}));
    offset.fetch_add(3_800, Ordering::SeqCst);
    assert!(cfg.access_token().await.is_err(), "still in the pause");
    assert_eq!(server.requests(), 15);
    offset.fetch_add(201, Ordering::SeqCst);
    cfg.access_token().await.unwrap();
    assert_eq!(server.requests(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_malformed_answers_are_typed_errors_that_keep_the_credentials_usable() {
    let server = AuthlibServer::start(&["--mode", "slow", "--slow-seconds", "3"]);
    let store = MemoryStateStore::with_state(bound_state("authlib-slow"));
    let cfg = configurator(
        "authlib-slow",
        platform_with(&server, BASIC, |c| {
            c.with_read_timeout(Duration::from_millis(1_500))
                .with_max_attempts(1)
        }),
        &store,
    );
    let err = cfg.access_token().await.unwrap_err();
    let TokenError::Platform(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(FailureCode::from(p), "timeout", "{p:?}");
    // The duration as configured and measured, not rounded to "1s".
    assert!(err.to_string().contains("(1.5 s)"), "{err}");
    assert!(!cfg.needs_configuration());

    for (mode, says) in [
        ("malformed", "token response"),
        ("no_access_token", "access_token"),
    ] {
        server.control(json!({"mode": mode}));
        let err = platform(&server, BASIC)
            .request_token(stored(&store).credentials.as_ref().unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(err, PlatformError::Protocol { .. }),
            "{mode}: {err:?}"
        );
        assert!(err.to_string().contains(says), "{mode}: {err}");
        assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));
    }
    assert!(stored(&store).revocation.is_none());
    server.control(json!({"mode": "normal"}));
    assert!(cfg.reverify_credentials().await.is_ok());
}

// ---------------------------------------------------------------- C ABI

struct Handle(*mut smartlink::smartlink_configurator);
unsafe impl Send for Handle {}
impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { smartlink::smartlink_configurator_free(self.0) };
    }
}

fn open(server: &AuthlibServer, state_file: &std::path::Path, client_auth: Option<&str>) -> Handle {
    let mut config = json!({
        "platform_url": server.url,
        "token": BEARER,
        "token_url": server.token_url(),
        "state_file": state_file,
        "installation": {"id": "authlib-abi", "line": "protheus", "kind": "production"},
        "locale": "en",
        "proxy": "none",
    });
    if let Some(method) = client_auth {
        config["client_auth"] = json!(method);
    }
    let config = CString::new(config.to_string()).unwrap();
    let mut h = null_mut();
    let rc = unsafe { smartlink::smartlink_configurator_new(config.as_ptr(), &mut h) };
    assert_eq!(rc, smartlink::error::smartlink_result::Ok);
    Handle(h)
}

fn call(h: &Handle, request: &str) -> Value {
    let req = CString::new(request).unwrap();
    let mut out: *mut c_char = null_mut();
    let rc = unsafe { smartlink::smartlink_call_alloc(h.0, req.as_ptr(), &mut out) };
    assert_eq!(rc, smartlink::error::smartlink_result::Ok);
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    unsafe { smartlink::smartlink_string_free(out) };
    serde_json::from_str(&text).unwrap()
}

fn file_state(path: &std::path::Path) -> LocalState {
    FileStateStore::open(path).unwrap().load().unwrap().unwrap()
}

#[test]
fn the_c_abi_chooses_the_method_keeps_refused_credentials_and_reverifies() {
    let server = AuthlibServer::start(&["--auth-method", "client_secret_post"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    FileStateStore::open(&path)
        .unwrap()
        .save(&bound_state("authlib-abi"))
        .unwrap();

    // The default, HTTP Basic, is refused by a server registered for post.
    let h = open(&server, &path, None);
    let r = call(&h, r#"{"op":"access_token"}"#);
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"]["result"], 7021, "{r}");
    assert_eq!(r["error"]["code"], "credentials_revoked");
    assert!(!r.to_string().contains(CLIENT_SECRET));
    let state = file_state(&path);
    assert_eq!(state.refused_credentials().unwrap().secret(), CLIENT_SECRET);
    let status = call(&h, r#"{"op":"status"}"#);
    assert_eq!(
        status["status"]["reason"], "credentials_revoked",
        "{status}"
    );
    let r = call(&h, r#"{"op":"credentials"}"#);
    assert!(r["credentials"].is_null(), "{r}");
    assert_eq!(server.requests(), 1);
    drop(h);

    // A wrong name is refused at creation.
    let bad = CString::new(
        json!({"platform_url": server.url, "token": BEARER, "state": "memory",
               "client_auth": "client_secret_jwt",
               "installation": {"id": "x", "line": "protheus", "kind": "production"}})
        .to_string(),
    )
    .unwrap();
    let mut raw = null_mut();
    let rc = unsafe { smartlink::smartlink_configurator_new(bad.as_ptr(), &mut raw) };
    assert_eq!(rc, smartlink::error::smartlink_result::InvalidConfig);

    // The host configures client_secret_post: the next access_token makes
    // one request with the kept credentials, and the mark is gone.
    let h = open(&server, &path, Some("client_secret_post"));
    let r = call(&h, r#"{"op":"access_token"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(last(&server), ("client_secret_post".to_owned(), 200));
    assert!(file_state(&path).revocation.is_none());
    let r = call(&h, r#"{"op":"needs_configuration"}"#);
    assert_eq!(r["needs_configuration"], false, "{r}");

    // A disabled client with the grant taking the body only: 400.
    server.control(json!({"disabled": true, "grant_methods": "client_secret_post"}));
    let r = call(&h, r#"{"op":"reverify_credentials"}"#);
    assert_eq!(r["error"]["result"], 7021, "{r}");
    assert_eq!(last(&server).1, 400);
    assert_eq!(
        file_state(&path).revocation.as_ref().unwrap().status,
        Some(400)
    );
    // A 500 is a platform error, never a refusal; the mark stays as it was.
    server.control(json!({"disabled": false, "mode": "error500"}));
    let r = call(&h, r#"{"op":"reverify_credentials","deadline_ms":20000}"#);
    assert_eq!(r["error"]["result"], 7013, "{r}");
    assert_eq!(r["error"]["code"], "internal", "{r}");
    // Fixed: lower-case bearer, no expires_in; re-verification clears it.
    server.control(json!({"mode": "no_expires_in"}));
    let r = call(&h, r#"{"op":"reverify_credentials"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["reverified"]["refusal_cleared"], true, "{r}");
    let expires: DateTime<Utc> =
        serde_json::from_value(r["reverified"]["token_expires_at"].clone()).unwrap();
    assert!(expires <= Utc::now() + TimeDelta::seconds(300));
    server.control(json!({"mode": "lowercase_bearer"}));
    let r = call(&h, r#"{"op":"reverify_credentials"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["reverified"]["refusal_cleared"], false, "{r}");
    let r = call(&h, r#"{"op":"access_token"}"#);
    assert_eq!(r["ok"], true, "{r}");
}
