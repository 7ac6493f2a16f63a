//! # smartlink-sandbox
//!
//! The in-memory platform ([`InMemoryPlatform`], module [`memory`]: every
//! rule of the platform contract, `docs/platform-api.md`, with seeds,
//! snapshots, call counters and fault injection) and the contract served
//! over HTTP on it ([`Sandbox`]), for tests, demos and ERP teams developing
//! offline. Every rule is the in-memory platform's; the HTTP layer only
//! translates HTTP (headers, bodies, problem+json) to its endpoints.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use smartlink_sandbox::{Sandbox, demo_seed};
//! let sandbox = Sandbox::from_seed(&demo_seed(), "dev-token").unwrap();
//! let running = sandbox.serve("127.0.0.1:0").await?;
//! println!("platform at {}", running.url());
//! running.shutdown().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
// Handlers return early with a ready `Response` as their error: the size of
// that value is irrelevant next to the I/O it answers.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use smartlink_contract::{
    CLIENT_CREDENTIALS, CreateBody, IssueBody, ListQuery, TokenForm, UnbindBody,
};
use smartlink_core::{
    ClientAuthMethod, ErpLine, ErrorCode, IdempotencyKey, InstallationId, Kind, PlatformError,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod demo;
pub mod memory;
pub use demo::demo_seed;
use memory::wire::BindBody;
pub use memory::{Clock, InMemoryPlatform, Operation, Seed, SeedEnvironment};

/// Requests and TCP connections the sandbox has served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// HTTP requests received.
    pub requests: u64,
    /// Distinct TCP connections they arrived on.
    pub connections: u64,
}

/// The sandbox: an in-memory platform, the bearer token it accepts, and
/// optionally a file its state is persisted to after every change.
pub struct Sandbox {
    platform: Arc<InMemoryPlatform>,
    token: String,
    state_file: Option<PathBuf>,
    requests: AtomicU64,
    peers: Mutex<HashSet<SocketAddr>>,
    persist_lock: Mutex<()>,
    /// The one client authentication method the token endpoint takes, when
    /// restricted (both by default).
    client_auth: Mutex<Option<ClientAuthMethod>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("token", &"[redacted]")
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

/// Why the sandbox could not start.
#[derive(Debug)]
pub enum SandboxError {
    /// The seed breaks a rule of the platform.
    Seed(PlatformError),
    /// The state file could not be read or parsed.
    State(String),
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SandboxError::Seed(e) => write!(f, "invalid seed: {e}"),
            SandboxError::State(e) => write!(f, "invalid state file: {e}"),
        }
    }
}

impl std::error::Error for SandboxError {}

impl Sandbox {
    /// A sandbox serving `platform`, accepting `token`.
    pub fn new(platform: Arc<InMemoryPlatform>, token: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            platform,
            token: token.into(),
            state_file: None,
            requests: AtomicU64::new(0),
            peers: Mutex::new(HashSet::new()),
            persist_lock: Mutex::new(()),
            client_auth: Mutex::new(None),
        })
    }

    /// A sandbox seeded with `seed`.
    pub fn from_seed(seed: &Seed, token: impl Into<String>) -> Result<Arc<Self>, SandboxError> {
        let platform = InMemoryPlatform::from_seed(seed).map_err(SandboxError::Seed)?;
        Ok(Self::new(Arc::new(platform), token))
    }

    /// A sandbox persisted to `state_file`: restored from it when it exists,
    /// otherwise seeded with `seed` and written there after every change.
    pub fn persistent(
        seed: &Seed,
        token: impl Into<String>,
        state_file: PathBuf,
    ) -> Result<Arc<Self>, SandboxError> {
        let platform = match std::fs::read(&state_file) {
            // The error names what is wrong and its line and column in the
            // file, never a value: the file holds the issued secrets.
            Ok(bytes) => InMemoryPlatform::restore_json(&bytes)
                .map_err(|e| SandboxError::State(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                InMemoryPlatform::from_seed(seed).map_err(SandboxError::Seed)?
            }
            Err(e) => return Err(SandboxError::State(e.to_string())),
        };
        Ok(Arc::new(Self {
            platform: Arc::new(platform),
            token: token.into(),
            state_file: Some(state_file),
            requests: AtomicU64::new(0),
            peers: Mutex::new(HashSet::new()),
            persist_lock: Mutex::new(()),
            client_auth: Mutex::new(None),
        }))
    }

    /// The platform behind the HTTP surface (for tests to inspect).
    pub fn platform(&self) -> &Arc<InMemoryPlatform> {
        &self.platform
    }

    /// Restricts the token endpoint to one client authentication method, as
    /// a server whose client is registered for it (`401 invalid_client` for
    /// the other); `None` (the default) takes both `client_secret_basic`
    /// and `client_secret_post`.
    pub fn set_client_auth(&self, only: Option<ClientAuthMethod>) {
        *self.client_auth.lock().unwrap_or_else(|e| e.into_inner()) = only;
    }

    fn client_auth(&self) -> Option<ClientAuthMethod> {
        *self.client_auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests and connections served so far.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            connections: self.peers.lock().map(|p| p.len() as u64).unwrap_or(0),
        }
    }

    /// Resets the request and connection counters.
    pub fn reset_stats(&self) {
        self.requests.store(0, Ordering::Relaxed);
        if let Ok(mut p) = self.peers.lock() {
            p.clear();
        }
    }

    /// The HTTP routes of the contract.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/v1/environments", get(list).post(create))
            .route(
                "/v1/environments/{id}/bindings/{line}",
                put(binding).delete(binding),
            )
            .route("/v1/environments/{id}/credentials", post(issue))
            .route_layer(middleware::from_fn_with_state(self.clone(), require_bearer))
            .route("/oauth2/token", post(token))
            // Authenticated by the installation's access token, not the
            // configurator's bearer token.
            .route("/v1/whoami", get(whoami))
            .layer(middleware::from_fn_with_state(self.clone(), count_and_echo))
            .with_state(self.clone())
    }

    /// Serves on `addr` (port 0 picks a free one) until shut down.
    pub async fn serve(self: &Arc<Self>, addr: &str) -> std::io::Result<RunningSandbox> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let join = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(RunningSandbox {
            addr: local,
            shutdown: Some(tx),
            join: Some(join),
            sandbox: self.clone(),
        })
    }

    /// Serves on `addr` from a runtime of its own (one worker thread), for
    /// a program or test without a tokio runtime (a C host's test harness,
    /// a synchronous test). It stops when the returned value is dropped.
    pub fn serve_in_background(self: &Arc<Self>, addr: &str) -> std::io::Result<BackgroundSandbox> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let running = runtime.block_on(self.serve(addr))?;
        Ok(BackgroundSandbox {
            running: Some(running),
            runtime: Some(runtime),
        })
    }

    fn persist(&self) {
        let Some(path) = &self.state_file else { return };
        let _guard = self.persist_lock.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = self.platform.snapshot();
        let result = (|| -> std::io::Result<()> {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = dir.unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::Builder::new()
                .prefix(".sandbox-state-")
                .tempfile_in(dir)?;
            serde_json::to_writer_pretty(&mut tmp, &snapshot)?;
            tmp.as_file().sync_all()?;
            tmp.persist(path).map_err(|e| e.error)?;
            Ok(())
        })();
        if let Err(e) = result {
            tracing::error!(error = %e, "could not persist the sandbox state");
        }
    }
}

/// A sandbox serving on a socket.
pub struct RunningSandbox {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    join: Option<JoinHandle<()>>,
    sandbox: Arc<Sandbox>,
}

impl RunningSandbox {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// Stops accepting, finishes requests under way, and returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(join) = self.join.take() {
            let _ = join.await;
        }
    }
}

/// A sandbox served from a runtime of its own
/// ([`Sandbox::serve_in_background`]). Dropping it stops the server, lets
/// the requests under way finish, and stops the runtime.
pub struct BackgroundSandbox {
    running: Option<RunningSandbox>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl BackgroundSandbox {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running().addr()
    }

    /// Its base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.running().url()
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        self.running().sandbox()
    }

    fn running(&self) -> &RunningSandbox {
        // Taken only by `drop`.
        self.running
            .as_ref()
            .expect("a BackgroundSandbox serves until dropped")
    }
}

impl std::fmt::Debug for BackgroundSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundSandbox")
            .field("addr", &self.running.as_ref().map(RunningSandbox::addr))
            .finish_non_exhaustive()
    }
}

impl Drop for BackgroundSandbox {
    fn drop(&mut self) {
        let (Some(running), Some(runtime)) = (self.running.take(), self.runtime.take()) else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Inside another runtime, blocking on this one is not allowed:
            // stop without waiting for requests under way.
            drop(running);
            runtime.shutdown_background();
        } else {
            runtime.block_on(running.shutdown());
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

const REQUEST_ID: &str = "x-request-id";

async fn count_and_echo(State(sb): State<Arc<Sandbox>>, request: Request, next: Next) -> Response {
    sb.requests.fetch_add(1, Ordering::Relaxed);
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Ok(mut peers) = sb.peers.lock()
    {
        peers.insert(*peer);
    }
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .filter(|v| v.len() <= 128)
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static("unknown"))
        });
    let mutating = request.method() != axum::http::Method::GET;
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, request_id);
    if mutating && response.status().is_success() {
        sb.persist();
    }
    response
}

async fn require_bearer(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if presented.is_some_and(|t| constant_time_eq(t.as_bytes(), sb.token.as_bytes())) {
        next.run(request).await
    } else {
        problem(ErrorCode::Unauthorized, "a valid bearer token is required")
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

/// A problem+json response for a contract code.
fn problem(code: ErrorCode, detail: &str) -> Response {
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({
        "type": format!("https://smartlink.invalid/problems/{}", code.as_str()),
        "title": status.canonical_reason().unwrap_or("error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code.as_str(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn platform_problem(e: PlatformError) -> Response {
    match &e {
        PlatformError::Api { code, detail, .. } => {
            problem(code.clone(), detail.as_deref().unwrap_or(code.as_str()))
        }
        PlatformError::InvalidInput(d) => problem(ErrorCode::InvalidRequest, d),
        other => problem(ErrorCode::Internal, &other.to_string()),
    }
}

fn bad_request(detail: &str) -> Response {
    problem(ErrorCode::InvalidRequest, detail)
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("invalid JSON body: {e}")))
}

fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, Response> {
    let raw = headers
        .get("idempotency-key")
        .ok_or_else(|| bad_request("Idempotency-Key header is required"))?;
    raw.to_str()
        .ok()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(IdempotencyKey::from_uuid)
        .ok_or_else(|| bad_request("Idempotency-Key must be a UUID"))
}

fn if_match(headers: &HeaderMap) -> Result<Option<&str>, Response> {
    headers
        .get(header::IF_MATCH)
        .map(|v| {
            v.to_str()
                .map_err(|_| bad_request("If-Match must be ASCII"))
        })
        .transpose()
}

fn parse_line(line: &str) -> Result<ErpLine, Response> {
    line.parse()
        .map_err(|_| problem(ErrorCode::NotFound, "unknown ERP line"))
}

async fn list(
    State(sb): State<Arc<Sandbox>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return bad_request("invalid query string");
    };
    let Some(line) = q.line.as_deref().and_then(|l| l.parse::<ErpLine>().ok()) else {
        return bad_request("query parameter 'line' is required: protheus, rm or datasul");
    };
    let Some(installation_id) = q
        .installation_id
        .as_deref()
        .and_then(|i| InstallationId::new(i).ok())
    else {
        return bad_request("query parameter 'installation_id' is required and must be valid");
    };
    match sb
        .platform
        .endpoints()
        .list(line, &installation_id, q.cursor.as_deref())
    {
        Ok(page) => Json(page).into_response(),
        Err(e) => platform_problem(e),
    }
}

async fn create(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let key = idempotency_key(&headers)?;
    let body: CreateBody<String, Kind> = parse_json(&body)?;
    let env = sb
        .platform
        .endpoints()
        .create(&body.name, body.kind, key)
        .map_err(platform_problem)?;
    Ok((StatusCode::CREATED, Json(env)).into_response())
}

/// `PUT` (bind) and `DELETE` (unbind) of
/// `/v1/environments/{id}/bindings/{line}`, with `If-Match`.
async fn binding(
    State(sb): State<Arc<Sandbox>>,
    method: axum::http::Method,
    Path((id, line)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let line = parse_line(&line)?;
    let if_match = if_match(&headers)?;
    let endpoints = sb.platform.endpoints();
    if method == axum::http::Method::DELETE {
        let body: UnbindBody<InstallationId> = parse_json(&body)?;
        endpoints
            .unbind(&id, line, &body.installation_id, if_match)
            .map_err(platform_problem)?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let body: BindBody = parse_json(&body)?;
    let env = endpoints
        .bind(&id, line, &body, if_match)
        .map_err(platform_problem)?;
    Ok(Json(env).into_response())
}

async fn issue(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let key = idempotency_key(&headers)?;
    let body: IssueBody<InstallationId> = parse_json(&body)?;
    let issued = sb
        .platform
        .endpoints()
        .issue(&id, &body.installation_id, body.reuse_if_valid, key)
        .map_err(platform_problem)?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

/// The client credentials of HTTP Basic authentication (RFC 6749 §2.3.1):
/// `None` without a Basic `Authorization` header, `Some(None)` for one that
/// does not decode, else the id and secret, each form-urldecoded.
fn basic_credentials(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decode = || {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let unescape = |part: &str| -> String {
            url::form_urlencoded::parse(format!("x={part}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        Some((unescape(id), unescape(secret)))
    };
    Some(decode())
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}

async fn token(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    form: Result<Form<TokenForm<String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if form.grant_type.as_deref() != Some(CLIENT_CREDENTIALS) {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    // Either method (client_secret_basic, client_secret_post), never both
    // in one request (RFC 6749 §2.3).
    let in_body = form.client_secret.is_some();
    let pair = match (
        basic_credentials(&headers),
        form.client_id,
        form.client_secret,
    ) {
        (Some(_), _, Some(_)) => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
        }
        (Some(basic), _, None) => basic,
        (None, Some(id), Some(secret)) => Some((id, secret)),
        (None, _, _) => None,
    };
    let Some((id, secret)) = pair else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    if sb.client_auth().is_some_and(|only| {
        only != if in_body {
            ClientAuthMethod::ClientSecretPost
        } else {
            ClientAuthMethod::ClientSecretBasic
        }
    }) {
        // A server registered for the other method, as real ones are.
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    match sb.platform.endpoints().token(&id, &secret) {
        Ok(token) => Json(token).into_response(),
        Err(_) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"),
    }
}

/// `GET /v1/whoami`: whose access token this is; `401 invalid_token` (with
/// `WWW-Authenticate`) when it is missing, unknown, expired or revoked.
async fn whoami(State(sb): State<Arc<Sandbox>>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let answer = match presented {
        Some(token) => sb.platform.endpoints().whoami(token.trim()),
        None => Err(PlatformError::api(ErrorCode::InvalidToken)),
    };
    match answer {
        Ok(who) => Json(who).into_response(),
        Err(e) if e.is(ErrorCode::InvalidToken) => {
            let mut response = problem(
                ErrorCode::InvalidToken,
                "the access token is missing, unknown, expired, or its credentials were revoked",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            response
        }
        Err(e) => platform_problem(e),
    }
}
