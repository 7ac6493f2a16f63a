//! The server: security checks on every request, the page, and the wizard's
//! API (`/api/screen`, `/api/apply`, `/api/task`). Nothing else of the
//! configurator is reachable: no secret, no token, no unbind.
//!
//! - Bound to 127.0.0.1 only, on a port the system picks.
//! - `Host` must be `127.0.0.1:<port>` (DNS rebinding): 403 otherwise.
//! - The printed URL carries a one-time login token: the first `GET /?t=`
//!   with it sets an `HttpOnly; SameSite=Strict` session cookie and
//!   redirects to `/` (the token leaves the address bar and is spent);
//!   every other request needs the cookie.
//! - Every state-changing request needs `Origin: http://127.0.0.1:<port>`
//!   and, when the browser sends it, `Sec-Fetch-Site: same-origin`; a read
//!   with a cross-site `Sec-Fetch-Site` is refused too.
//! - Every response: `Cache-Control: no-store`, `X-Content-Type-Options:
//!   nosniff`, `Referrer-Policy: no-referrer`, a strict
//!   Content-Security-Policy (the page's with a fresh nonce per response).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use smartlink_core::messages::{self, Locale, code_text, refusal_text};
use smartlink_core::wizard::{Action, ErrorReason, Screen, WizardError};
use smartlink_core::{Configurator, ConfiguratorError, DecisionError, Refusal, TaskStatus};
use tokio::sync::watch;

use super::End;
use super::assets;
use crate::exit;
use crate::texts::text;

/// The labels the page draws besides each screen's texts (column headings,
/// the copy button, the overlay, the end of the session), from the catalogue.
const LABELS: &[&str] = &[
    "web.next",
    "web.col_select",
    "web.col_name",
    "web.col_kind",
    "web.col_bindings",
    "web.col_status",
    "web.table_caption",
    "web.support_label",
    "web.copy",
    "web.copied",
    "web.working",
    "web.lost",
    "web.closed",
    "web.select_first",
    "welcome.title",
    "cli.cancelled_by_admin",
];

/// The policy of every response but the page's own.
const CSP_OTHER: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// How long the Done screen stays reachable after the page fetched it.
const DONE_GRACE: Duration = Duration::from_millis(800);
/// How long after the task's success the server waits for the page to fetch
/// the Done screen before it stops anyway.
const DONE_UNSEEN: Duration = Duration::from_secs(10);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A random value for tokens, cookies and nonces: 244 random bits in hex.
fn random_value() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The server's state.
pub(crate) struct App {
    cfg: Configurator,
    locale: Locale,
    host: String,
    origin: String,
    cookie_name: String,
    /// The login token, until it is spent.
    login: Mutex<Option<String>>,
    login_shown: String,
    /// The session cookie's value, once the token was exchanged.
    session: Mutex<Option<String>>,
    /// One action at a time.
    acting: tokio::sync::Mutex<()>,
    last_seen: Mutex<Instant>,
    idle: Duration,
    end: watch::Sender<Option<End>>,
    typed_name: Mutex<Option<String>>,
    done_shown: AtomicBool,
}

impl App {
    pub(crate) fn new(cfg: Configurator, locale: Locale, port: u16, idle: Duration) -> Self {
        let token = random_value();
        Self {
            cfg,
            locale,
            host: format!("127.0.0.1:{port}"),
            origin: format!("http://127.0.0.1:{port}"),
            cookie_name: format!("smartlink_session_{port}"),
            login_shown: token.clone(),
            login: Mutex::new(Some(token)),
            session: Mutex::new(None),
            acting: tokio::sync::Mutex::new(()),
            last_seen: Mutex::new(Instant::now()),
            idle,
            end: watch::channel(None).0,
            typed_name: Mutex::new(None),
            done_shown: AtomicBool::new(false),
        }
    }

    /// The login token, for the printed URL.
    pub(crate) fn login_token(&self) -> &str {
        &self.login_shown
    }

    /// The installation name the administrator gave, once accepted.
    pub(crate) fn typed_name(&self) -> Option<String> {
        lock(&self.typed_name).clone()
    }

    fn touch(&self) {
        *lock(&self.last_seen) = Instant::now();
    }

    fn stop(&self, end: End) {
        self.end.send_if_modified(|e| {
            if e.is_none() {
                *e = Some(end);
                true
            } else {
                false
            }
        });
    }

    fn stop_later(self: &Arc<Self>, end: End, after: Duration) {
        let app = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            app.stop(end);
        });
    }

    fn forbidden(&self) -> Response {
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text(self.locale, "web.forbidden").to_owned(),
        )
            .into_response()
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        let Some(session) = lock(&self.session).clone() else {
            return false;
        };
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == self.cookie_name && same(value, &session))
    }

    /// `GET /?t=TOKEN`: the first time, a session cookie and a redirect to
    /// `/`; afterwards (or with another token) 403.
    fn exchange(&self, token: &str) -> Response {
        let mut login = lock(&self.login);
        match login.as_deref() {
            Some(expected) if same(expected, token) => {
                *login = None;
                self.touch();
                let session = random_value();
                *lock(&self.session) = Some(session.clone());
                let cookie = format!(
                    "{}={session}; Path=/; HttpOnly; SameSite=Strict",
                    self.cookie_name
                );
                let mut res = StatusCode::SEE_OTHER.into_response();
                let headers = res.headers_mut();
                headers.insert(header::LOCATION, HeaderValue::from_static("/"));
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    headers.insert(header::SET_COOKIE, v);
                }
                res
            }
            _ => self.forbidden(),
        }
    }

    /// The screen to draw, its texts (the same as the C ABI's screen
    /// responses), the task's status and, on request, the page's labels.
    fn view(self: &Arc<Self>, screen: &Screen, labels: bool) -> Map<String, Value> {
        let loc = self.locale;
        let mut out = Map::new();
        out.insert("ok".into(), json!(true));
        out.insert("locale".into(), json!(loc.tag()));
        out.insert("screen".into(), json!(screen));
        let mut texts =
            serde_json::to_value(messages::screen_texts(loc, screen)).expect("texts serialize");
        // The error screen's `report`: the library's sentence tells an ERP's
        // administrator that the ERP makes the support report; here the
        // configurator is the host, so the page gets the terminal wizard's
        // line instead (the code, `smartlink-configurator support-report`
        // and the folder its file will be written in).
        if let (Screen::Error { support_id, .. }, Some(t)) = (screen, texts.as_object_mut()) {
            t.insert(
                "report".into(),
                json!(crate::commands::support_send(loc, &support_id.to_string())),
            );
        }
        out.insert("texts".into(), texts);
        out.insert("task".into(), json!(self.cfg.task_status()));
        if labels {
            let labels: Map<String, Value> = LABELS
                .iter()
                .map(|k| ((*k).to_owned(), json!(text(loc, k))))
                .collect();
            out.insert("labels".into(), Value::Object(labels));
        }
        if matches!(screen, Screen::Done { .. }) && !self.done_shown.swap(true, Ordering::SeqCst) {
            self.stop_later(End::Done, DONE_GRACE);
        }
        out
    }

    fn refusal(self: &Arc<Self>, status: StatusCode, code: &str, message: String) -> Response {
        let mut body = self.view(&self.cfg.screen(), false);
        body.insert("ok".into(), json!(false));
        body.insert("error".into(), json!({ "code": code, "text": message }));
        json_response(status, Value::Object(body))
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Adds the headers every response carries.
fn harden(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_OTHER),
        );
    }
}

/// The checks every request goes through, in order: Host, the login
/// exchange, the session cookie, then Origin and Sec-Fetch-Site.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let mut res = check(&app, req, next).await;
    harden(&mut res);
    res
}

async fn check(app: &Arc<App>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host != Some(app.host.as_str()) {
        return app.forbidden();
    }
    if req.method() == Method::GET
        && req.uri().path() == "/"
        && let Some(token) = query_param(req.uri().query(), "t")
    {
        return app.exchange(&token);
    }
    if !app.has_session(headers) {
        return app.forbidden();
    }
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        // A navigation typed or reloaded is `none` or `same-origin`.
        if site
            .as_deref()
            .is_some_and(|s| s != "same-origin" && s != "none")
        {
            return app.forbidden();
        }
    } else {
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if origin != Some(app.origin.as_str())
            || site.as_deref().is_some_and(|s| s != "same-origin")
        {
            return app.forbidden();
        }
    }
    // Only the page's own requests postpone the idle end: a request
    // refused above (another process knocking) does not keep the server up.
    app.touch();
    next.run(req).await
}

/// `/`: the page, with a fresh nonce in its tags and in the policy.
async fn index(State(app): State<Arc<App>>) -> Response {
    let Some(bytes) = assets::file("index.html") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let html = String::from_utf8_lossy(bytes)
        .replace(assets::NONCE_PLACEHOLDER, &nonce)
        .replacen(
            "<html lang=\"pt-BR\">",
            &format!("<html lang=\"{}\">", app.locale.tag()),
            1,
        );
    let policy = format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
    );
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&policy) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Any other `GET`: a file of the built page.
async fn asset(method: Method, uri: axum::http::Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    match assets::file(path) {
        Some(bytes) if path != "index.html" => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, assets::content_type(path))],
            Body::from(bytes),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /api/screen`: the screen, its texts, the task and the labels.
async fn screen(State(app): State<Arc<App>>) -> Response {
    let body = app.view(&app.cfg.screen(), true);
    json_response(StatusCode::OK, Value::Object(body))
}

/// `GET /api/task`: the task's status with the screen it leads to.
async fn task(State(app): State<Arc<App>>) -> Response {
    let body = app.view(&app.cfg.screen(), false);
    json_response(StatusCode::OK, Value::Object(body))
}

#[derive(Deserialize)]
struct ApplyRequest {
    action: Value,
    /// The screen the page drew when the action was taken: an action meant
    /// for another screen (a stale tab, a repeated click) is refused.
    #[serde(default)]
    screen: Option<String>,
}

/// The text of a refused action, in the administrator's language (the
/// core's sentence for each refusal).
fn refused_text(loc: Locale, e: &WizardError) -> String {
    match e {
        WizardError::Decision(DecisionError::ConfirmationMismatch(_)) => {
            text(loc, "overwrite.mismatch").to_owned()
        }
        WizardError::Decision(d) => refusal_text(loc, d),
        other => code_text(loc, Refusal::from(other).as_str()),
    }
}

/// What cancelling from `screen` means as an exit code.
fn cancel_code(screen: &Screen) -> u8 {
    match screen {
        Screen::Error {
            reason: ErrorReason::Inconsistent { .. },
            ..
        } => exit::INCONSISTENT,
        Screen::Error {
            reason: ErrorReason::Platform { code, .. } | ErrorReason::TaskFailed { code, .. },
            ..
        } => crate::report::platform_code_exit(code),
        _ => exit::DECISION,
    }
}

/// `POST /api/apply` with `{"action": {...}, "screen": "..."}`: one action
/// of the wizard (the C ABI's `apply`), one at a time.
async fn apply(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let loc = app.locale;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    let Ok(request) = serde_json::from_slice::<ApplyRequest>(&body) else {
        return app.refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            code_text(loc, "invalid_request"),
        );
    };
    let Ok(action) = serde_json::from_value::<Action>(request.action) else {
        return app.refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            code_text(loc, "invalid_request"),
        );
    };
    let Ok(_acting) = app.acting.try_lock() else {
        return app.refusal(StatusCode::CONFLICT, "busy", code_text(loc, "not_allowed"));
    };
    let before = app.cfg.screen();
    if request
        .screen
        .as_deref()
        .is_some_and(|s| s != before.name())
    {
        return app.refusal(StatusCode::CONFLICT, "stale", code_text(loc, "not_allowed"));
    }
    let cancel = matches!(action, Action::Cancel);
    let name = match &action {
        Action::SetName { name } => Some(name.clone()),
        _ => None,
    };
    match app.cfg.apply(action).await {
        Ok(screen) => {
            if let Some(name) = name {
                *lock(&app.typed_name) = Some(name);
            }
            let mut body = app.view(&screen, false);
            if cancel {
                body.insert("closed".into(), json!(true));
                app.stop_later(End::Cancelled(cancel_code(&before)), DONE_GRACE);
            }
            json_response(StatusCode::OK, Value::Object(body))
        }
        Err(ConfiguratorError::Wizard(e)) => app.refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::from(&e).as_str(),
            refused_text(loc, &e),
        ),
        Err(ConfiguratorError::Busy) => {
            app.refusal(StatusCode::CONFLICT, "busy", code_text(loc, "busy"))
        }
        Err(ConfiguratorError::State(e)) => app.refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "state",
            crate::report::state_error_text(loc, false, &e),
        ),
        Err(_) => app.refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            code_text(loc, "internal"),
        ),
    }
}

/// Serves until Done, cancel or the idle timeout, and says which.
pub(crate) async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> End {
    let router = Router::new()
        .route("/", get(index))
        .route("/api/screen", get(screen))
        .route("/api/task", get(task))
        .route("/api/apply", post(apply))
        .fallback(asset)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app.clone());

    // The idle timeout (never while the task runs), and the end after a
    // success the page did not come to see.
    let watcher = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut succeeded_at: Option<Instant> = None;
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                match app.cfg.task_status() {
                    TaskStatus::Pending { .. } | TaskStatus::Running { .. } => app.touch(),
                    TaskStatus::Succeeded { .. } => {
                        let at = *succeeded_at.get_or_insert_with(Instant::now);
                        if at.elapsed() >= DONE_UNSEEN {
                            app.stop(End::Done);
                        }
                    }
                    _ => {}
                }
                if lock(&app.last_seen).elapsed() >= app.idle {
                    app.stop(End::Idle);
                }
            }
        })
    };
    let mut ended = app.end.subscribe();
    let mut shutdown = app.end.subscribe();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = shutdown.wait_for(Option::is_some).await;
    });
    let server = tokio::spawn(async move { server.await });
    let end = match ended.wait_for(Option::is_some).await {
        Ok(end) => end.unwrap_or(End::Idle),
        Err(_) => End::Idle,
    };
    // Open connections get a moment to finish, not more.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    watcher.abort();
    end
}

#[cfg(test)]
mod tests {
    //! The security checks and the API over real HTTP on 127.0.0.1 (the
    //! browser tests in tests/browser/ drive the page itself).

    use std::sync::Arc;
    use std::time::Duration;

    use smartlink_core::{Configurator, InstallationSpec, MemoryStateStore};

    use super::*;

    struct Running {
        base: String,
        url: String,
        port: u16,
        client: reqwest::Client,
        app: Arc<App>,
    }

    async fn start() -> Running {
        let platform = Arc::new(
            smartlink_sandbox::InMemoryPlatform::from_seed(&smartlink_sandbox::demo_seed())
                .unwrap(),
        );
        let spec = InstallationSpec::parse("web-test-01", "protheus", "production", None).unwrap();
        let cfg = Configurator::new(spec, platform, Arc::new(MemoryStateStore::new())).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Arc::new(App::new(cfg, Locale::En, port, Duration::from_secs(60)));
        let url = format!("http://127.0.0.1:{port}/?t={}", app.login_token());
        tokio::spawn(serve(app.clone(), listener));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        Running {
            base: format!("http://127.0.0.1:{port}"),
            url,
            port,
            client,
            app,
        }
    }

    async fn login(r: &Running) -> String {
        let res = r.client.get(&r.url).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let cookie = res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            cookie.ends_with("; Path=/; HttpOnly; SameSite=Strict"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn the_token_works_once_and_only_with_the_right_host() {
        let r = start().await;
        let foreign = r
            .client
            .get(&r.url)
            .header(header::HOST, format!("evil.example:{}", r.port))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403);
        assert_eq!(foreign.headers()[header::CACHE_CONTROL], "no-store");
        let cookie = login(&r).await;
        let again = r.client.get(&r.url).send().await.unwrap();
        assert_eq!(again.status(), 403, "the token is spent");
        let none = r
            .client
            .get(format!("{}/api/screen", r.base))
            .send()
            .await
            .unwrap();
        assert_eq!(none.status(), 403, "no cookie");
        let screen = r
            .client
            .get(format!("{}/api/screen", r.base))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(screen.status(), 200);
        assert_eq!(screen.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(screen.headers()[header::REFERRER_POLICY], "no-referrer");
        let body: Value = screen.json().await.unwrap();
        assert_eq!(body["screen"]["screen"], "welcome");
        assert_eq!(body["texts"]["start"], "Start");
        assert_eq!(body["labels"]["web.next"], "Next");
    }

    /// Refused requests do not postpone the idle end; the page's do.
    #[tokio::test]
    async fn only_the_pages_requests_keep_the_server_up() {
        let r = start().await;
        let seen = || *lock(&r.app.last_seen);
        let at_start = seen();
        let cookie = login(&r).await;
        let after_login = seen();
        assert!(after_login > at_start, "the login is a use");
        let screen = format!("{}/api/screen", r.base);
        let refused = [
            r.client.get(&screen),
            r.client.get(format!("{}/?t=not-the-token", r.base)),
            r.client.get(&r.url),
            r.client
                .get(&screen)
                .header(header::COOKIE, "smartlink_session_1=forged"),
            r.client
                .get(&screen)
                .header(header::COOKIE, &cookie)
                .header("sec-fetch-site", "cross-site"),
            r.client
                .post(format!("{}/api/apply", r.base))
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, "http://evil.example"),
            r.client
                .get(&screen)
                .header(header::COOKIE, &cookie)
                .header(header::HOST, "localhost"),
        ];
        for req in refused {
            assert_eq!(req.send().await.unwrap().status(), 403);
        }
        assert_eq!(seen(), after_login, "no refused request is a use");
        let ok = r
            .client
            .get(&screen)
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert!(seen() > after_login);
    }

    #[tokio::test]
    async fn actions_need_the_origin_and_are_the_wizards_only() {
        let r = start().await;
        let cookie = login(&r).await;
        let origin = r.base.clone();
        let post = |body: &'static str, origin: Option<&str>, site: Option<&str>| {
            let mut req = r
                .client
                .post(format!("{}/api/apply", r.base))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
            if let Some(o) = origin {
                req = req.header(header::ORIGIN, o.to_owned());
            }
            if let Some(s) = site {
                req = req.header("sec-fetch-site", s.to_owned());
            }
            req.send()
        };
        let start = r#"{"action": {"action": "start"}, "screen": "welcome"}"#;
        assert_eq!(post(start, None, None).await.unwrap().status(), 403);
        let evil = post(start, Some("http://evil.example"), None)
            .await
            .unwrap();
        assert_eq!(evil.status(), 403);
        let site = post(start, Some(&origin), Some("cross-site"))
            .await
            .unwrap();
        assert_eq!(site.status(), 403);
        let stale = r#"{"action": {"action": "start"}, "screen": "done"}"#;
        let stale = post(stale, Some(&origin), None).await.unwrap();
        assert_eq!(stale.status(), 409);
        let unbind = r#"{"action": {"action": "unbind"}}"#;
        let unbind = post(unbind, Some(&origin), None).await.unwrap();
        assert_eq!(unbind.status(), 400);
        let ok = post(start, Some(&origin), Some("same-origin"))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["screen"]["screen"], "name_installation");
        let empty = r#"{"action": {"action": "set_name", "name": "  "}}"#;
        let empty = post(empty, Some(&origin), None).await.unwrap();
        assert_eq!(empty.status(), 422);
        let body: Value = empty.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_name");
        assert!(body["texts"]["error"].is_string(), "{body}");
        let text = body.to_string();
        assert!(
            !text.contains("secret") && !text.contains("access_token"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_page_gets_a_fresh_nonce_in_its_tags_and_its_policy() {
        let r = start().await;
        let cookie = login(&r).await;
        let mut policies = Vec::new();
        for _ in 0..2 {
            let res = r
                .client
                .get(format!("{}/", r.base))
                .header(header::COOKIE, &cookie)
                .send()
                .await
                .unwrap();
            let policy = res.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            let html = res.text().await.unwrap();
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap();
            assert!(
                html.contains(&format!("ngcspnonce=\"{nonce}\""))
                    || html.contains(&format!("ngCspNonce=\"{nonce}\"")),
                "{html}"
            );
            assert!(!html.contains(assets::NONCE_PLACEHOLDER));
            assert!(html.contains("<html lang=\"en\">"), "{html}");
            policies.push(policy);
        }
        assert_ne!(policies[0], policies[1]);
    }
}
