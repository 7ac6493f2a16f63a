//! The JSON operations: `{"op": "...", ...}` in, `{"ok": true, ...}` or
//! `{"ok": false, "error": {...}}` out. Every operation of the C ABI is here;
//! the typed C functions and `ExecInClientDLL` call into the same code.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use smartlink_core::configurator::{ConfiguratorError, UnattendedRequest};
use smartlink_core::messages::{self, Locale, code_text, text};
use smartlink_core::wizard::{Action, Screen};
use smartlink_core::{AccessToken, TokenError};

use crate::error::{FfiError, set_last_error, smartlink_result};
use crate::handle::HandleInner;

/// The environment variable that enables the test-only operations.
pub const TEST_HOOKS_ENV: &str = "SMARTLINK_TEST_HOOKS";

/// Every operation's name (the `messages` and `version` ones need no handle
/// state, but still go through a handle for one uniform entry point).
pub const OPERATIONS: &[&str] = &[
    "version",
    "needs_configuration",
    "ensure_configured",
    "screen",
    "apply",
    "task_status",
    "wait_task",
    "credentials",
    "status",
    "configure_unattended",
    "forget_local",
    "unbind",
    "rotate_credentials",
    "messages",
    "cancel",
    "access_token",
    "invalidate_token",
    "whoami",
];

/// A response: the JSON text, and the code the call maps to (OK when
/// `"ok": true`).
pub struct Response {
    /// The JSON text.
    pub body: String,
    /// `Ok`, or the error's code.
    pub code: smartlink_result,
    /// The body holds a secret (the `credentials` or `access_token`
    /// answers). Such a response is never kept for a retry with a bigger
    /// buffer (asking again runs the read again and changes nothing, and a
    /// kept token could be stale by then), and its text is wiped once
    /// copied out.
    pub holds_secret: bool,
}

/// The answer fields that carry a secret.
const SECRET_FIELDS: [&str; 2] = ["credentials", "access_token"];

/// Handles one request. Never fails: every error becomes an `"ok": false`
/// body (and the thread's last error). Panics are left to the caller's
/// boundary.
pub fn handle_request(handle: &HandleInner, request: &str) -> Response {
    match dispatch(handle, request) {
        Ok(mut body) => {
            let holds_secret = SECRET_FIELDS
                .iter()
                .any(|f| body.get(*f).is_some_and(|v| !v.is_null()));
            body.insert("ok".into(), Value::Bool(true));
            Response {
                body: Value::Object(body).to_string(),
                code: smartlink_result::Ok,
                holds_secret,
            }
        }
        Err((e, extra)) => {
            set_last_error(e.code, &e.to_string());
            Response {
                body: error_body(&e, handle.locale(), extra).to_string(),
                code: e.code,
                holds_secret: false,
            }
        }
    }
}

/// `{"ok": false, "error": {...}}` (plus `extra` fields, e.g. the screen).
pub fn error_body(e: &FfiError, locale: Locale, extra: Option<Map<String, Value>>) -> Value {
    let mut error = Map::new();
    error.insert("result".into(), json!(e.code as u32));
    error.insert("kind".into(), json!(e.code.name()));
    let code = e
        .sub_code
        .clone()
        .unwrap_or_else(|| e.code.name().to_owned());
    error.insert("text".into(), json!(code_text(locale, &code)));
    error.insert("code".into(), json!(code));
    error.insert("message".into(), json!(e.message));
    if let Some(id) = &e.support_id {
        error.insert("support_id".into(), json!(id));
    }
    let mut body = extra.unwrap_or_default();
    body.insert("ok".into(), Value::Bool(false));
    body.insert("error".into(), Value::Object(error));
    Value::Object(body)
}

type OpResult = Result<Map<String, Value>, (FfiError, Option<Map<String, Value>>)>;

fn invalid_request(msg: impl Into<String>) -> FfiError {
    FfiError::new(smartlink_result::InvalidRequest, msg)
}

/// Maps a token error to a code, keeping the stable sub-code and support id.
/// Its message never holds the token.
pub fn from_token_error(e: TokenError) -> FfiError {
    let message = e.to_string();
    let sub = e.code();
    match e {
        TokenError::NotConfigured => FfiError::new(smartlink_result::NotConfigured, message),
        TokenError::Revoked { .. } => {
            FfiError::new(smartlink_result::CredentialsRevoked, message).with_sub_code(sub)
        }
        TokenError::Platform(p) => {
            let mut out = FfiError::new(smartlink_result::Platform, message).with_sub_code(sub);
            if let Some(id) = p.request_id() {
                out = out.with_support_id(id);
            }
            out
        }
        TokenError::State(_) => FfiError::new(smartlink_result::State, message).with_sub_code(sub),
        TokenError::Abandoned => {
            FfiError::new(smartlink_result::Runtime, message).with_sub_code(sub)
        }
        _ => FfiError::new(smartlink_result::Internal, message),
    }
}

/// The access token: from the cache without blocking when it holds a valid
/// one, else by waiting (up to `deadline`) for the one request.
pub fn access_token(
    handle: &HandleInner,
    deadline: Option<Duration>,
) -> Result<AccessToken, FfiError> {
    let cfg = handle.configurator();
    match cfg.cached_access_token() {
        Some(token) => Ok(token),
        None => handle
            .block_on(deadline, cfg.access_token())?
            .map_err(from_token_error),
    }
}

/// Maps a facade error to a code, keeping the stable sub-code and support id.
pub fn from_configurator(e: ConfiguratorError) -> FfiError {
    let message = e.to_string();
    match e {
        ConfiguratorError::Wizard(w) => {
            FfiError::new(smartlink_result::WizardRefused, message).with_sub_code(w.code())
        }
        ConfiguratorError::Decision(d) => {
            FfiError::new(smartlink_result::DecisionRefused, message).with_sub_code(d.code())
        }
        ConfiguratorError::Platform(p) => {
            let mut out =
                FfiError::new(smartlink_result::Platform, message).with_sub_code(p.code());
            if let Some(id) = p.request_id() {
                out = out.with_support_id(id);
            }
            out
        }
        ConfiguratorError::State(_) => {
            FfiError::new(smartlink_result::State, message).with_sub_code("state")
        }
        ConfiguratorError::Busy => {
            FfiError::new(smartlink_result::Busy, message).with_sub_code("busy")
        }
        ConfiguratorError::NotConfigured => FfiError::new(smartlink_result::NotConfigured, message),
        ConfiguratorError::NoRuntime => FfiError::new(smartlink_result::Runtime, message),
        ConfiguratorError::TaskFailed { task_id, code, .. } => {
            FfiError::new(smartlink_result::TaskFailed, message)
                .with_sub_code(code.as_str())
                .with_support_id(task_id.to_string())
        }
        _ => FfiError::new(smartlink_result::Internal, message),
    }
}

fn deadline_of(req: &Map<String, Value>) -> Result<Option<Duration>, FfiError> {
    match req.get("deadline_ms") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Ok(Some(Duration::from_millis(n))),
            _ => Err(invalid_request("`deadline_ms` must be a positive integer")),
        },
    }
}

/// Deserializes `value`, naming the field at fault in the error
/// (`deadline_ms: invalid type: string "abc", expected u64`).
pub(crate) fn from_value_named<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            inner.to_string()
        } else {
            format!("`{path}`: {inner}")
        }
    })
}

fn to_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
    }
}

fn plain(e: FfiError) -> (FfiError, Option<Map<String, Value>>) {
    (e, None)
}

/// The fields each operation reads besides `op` and `deadline_ms`. A field
/// it does not read is refused: a misspelt `confirm` or a `locale` sent
/// with `screen` would otherwise be ignored without a word.
fn fields_of(op: &str) -> Option<&'static [&'static str]> {
    Some(match op {
        "apply" => &["action"],
        "wait_task" => &["timeout_ms"],
        "configure_unattended" => &["target", "installation_name", "confirm"],
        "messages" => &["locale"],
        "invalidate_token" => &["access_token"],
        // Unknown operations are refused by the dispatch with their own code.
        _ if !OPERATIONS.contains(&op) => return None,
        _ => &[],
    })
}

fn check_fields(op: &str, req: &Map<String, Value>) -> Result<(), FfiError> {
    let Some(own) = fields_of(op) else {
        return Ok(());
    };
    match req
        .keys()
        .find(|k| !matches!(k.as_str(), "op" | "deadline_ms") && !own.contains(&k.as_str()))
    {
        None => Ok(()),
        Some(unknown) => {
            let mut expected = vec!["op", "deadline_ms"];
            expected.extend_from_slice(own);
            Err(invalid_request(format!(
                "`{unknown}`: unknown field for `{op}`; its fields are {}",
                expected
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }
}

fn dispatch(handle: &HandleInner, request: &str) -> OpResult {
    let value: Value = serde_json::from_str(request).map_err(|e| {
        plain(FfiError::new(
            smartlink_result::InvalidJson,
            format!("request: {e}"),
        ))
    })?;
    let Value::Object(req) = value else {
        return Err(plain(invalid_request("the request must be a JSON object")));
    };
    let op = req
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| plain(invalid_request("`op` (a string) is required")))?
        .to_owned();
    check_fields(&op, &req).map_err(plain)?;
    let deadline = deadline_of(&req).map_err(plain)?;
    let cfg = handle.configurator();
    let locale = handle.locale();
    let mut out = Map::new();
    match op.as_str() {
        "version" => {
            out.insert("version".into(), json!(crate::VERSION));
            out.insert("major".into(), json!(crate::SMARTLINK_VERSION_MAJOR));
            out.insert("minor".into(), json!(crate::SMARTLINK_VERSION_MINOR));
            out.insert("patch".into(), json!(crate::SMARTLINK_VERSION_PATCH));
        }
        "needs_configuration" => {
            out.insert(
                "needs_configuration".into(),
                json!(cfg.needs_configuration()),
            );
            // A state file set aside (corrupt, newer version) or refused is
            // told to the host, which shows and logs it.
            if let Some(problem) = cfg.state_problem() {
                out.insert("state_problem".into(), json!(problem));
            }
        }
        "ensure_configured" => {
            let outcome = handle
                .block_on(deadline, cfg.ensure_configured())
                .map_err(plain)?
                .map_err(|e| plain(from_configurator(e)))?;
            out = to_map(serde_json::to_value(outcome).expect("outcomes serialize"));
        }
        "screen" => {
            screen_response(&mut out, &cfg.screen(), locale);
        }
        "apply" => {
            let action: Action = req
                .get("action")
                .cloned()
                .ok_or_else(|| plain(invalid_request("`action` is required")))
                .and_then(|a| {
                    from_value_named(a).map_err(|e| plain(invalid_request(format!("action: {e}"))))
                })?;
            match handle
                .block_on(deadline, cfg.apply(action))
                .map_err(plain)?
            {
                Ok(screen) => screen_response(&mut out, &screen, locale),
                Err(e) => {
                    // The refused action leaves a screen to draw (with the
                    // name's error, for instance): send it along.
                    let mut extra = Map::new();
                    screen_response(&mut extra, &cfg.screen(), locale);
                    return Err((from_configurator(e), Some(extra)));
                }
            }
        }
        "task_status" => {
            out.insert("task".into(), json!(cfg.task_status()));
        }
        "wait_task" => {
            let timeout = match req.get("timeout_ms") {
                None | Some(Value::Null) => deadline,
                Some(v) => match v.as_u64() {
                    Some(n) if n > 0 => Some(Duration::from_millis(n)),
                    _ => {
                        return Err(plain(invalid_request(
                            "`timeout_ms` must be a positive integer",
                        )));
                    }
                },
            };
            let status = handle
                .block_on(timeout, cfg.wait_for_task())
                .map_err(plain)?;
            out.insert("task".into(), json!(status));
        }
        "credentials" => {
            // The one response that carries the secret, on purpose: the host
            // stores it. Never log this response.
            let creds = cfg
                .credentials()
                .map_err(|e| plain(from_configurator(ConfiguratorError::State(e))))?;
            out.insert(
                "credentials".into(),
                match creds {
                    Some(c) => serde_json::to_value(&c).expect("credentials serialize"),
                    None => Value::Null,
                },
            );
        }
        "status" => {
            let status = cfg
                .status()
                .map_err(|e| plain(from_configurator(ConfiguratorError::State(e))))?;
            out.insert("status".into(), json!(status));
        }
        "configure_unattended" => {
            let request: UnattendedRequest = from_value_named(Value::Object(req.clone()))
                .map_err(|e| plain(invalid_request(format!("configure_unattended: {e}"))))?;
            let outcome = handle
                .block_on(deadline, cfg.configure_unattended(&request))
                .map_err(plain)?
                .map_err(|e| plain(from_configurator(e)))?;
            out.insert("task".into(), json!(outcome.status));
            out.insert("nothing_to_do".into(), json!(outcome.nothing_to_do));
            out.insert("resumed".into(), json!(outcome.resumed));
        }
        "forget_local" => {
            cfg.forget_local()
                .map_err(|e| plain(from_configurator(e)))?;
        }
        "unbind" => {
            handle
                .block_on(deadline, cfg.unbind())
                .map_err(plain)?
                .map_err(|e| plain(from_configurator(e)))?;
        }
        "rotate_credentials" => {
            // The new secret is not in this response: read it with
            // `credentials`, the one operation that hands it out.
            let creds = handle
                .block_on(deadline, cfg.rotate_credentials())
                .map_err(plain)?
                .map_err(|e| plain(from_configurator(e)))?;
            out.insert("client_id".into(), json!(creds.client_id.as_str()));
            out.insert("environment_id".into(), json!(creds.environment_id));
            out.insert("expires_at".into(), json!(creds.expires_at));
        }
        "messages" => {
            #[derive(Deserialize)]
            struct Req {
                #[serde(default)]
                locale: Option<String>,
            }
            let r: Req = from_value_named(Value::Object(req.clone()))
                .map_err(|e| plain(invalid_request(format!("messages: {e}"))))?;
            let loc = match r.locale.as_deref() {
                None => locale,
                Some(tag) => Locale::try_parse(tag).ok_or_else(|| {
                    plain(invalid_request(format!(
                        "`locale`: {tag:?} is not a language of the catalogue (pt-BR, es, en)"
                    )))
                })?,
            };
            let catalogue: Map<String, Value> = messages::keys()
                .map(|k| (k.to_owned(), json!(text(loc, k))))
                .collect();
            out.insert("locale".into(), json!(loc.tag()));
            out.insert("messages".into(), Value::Object(catalogue));
        }
        "cancel" => {
            handle.cancel();
        }
        "access_token" => {
            // Holds the token: never log this response.
            let token = access_token(handle, deadline).map_err(plain)?;
            out.insert("access_token".into(), json!(token.expose_secret()));
            out.insert("expires_at".into(), json!(token.expires_at()));
        }
        "invalidate_token" => {
            let value = req
                .get("access_token")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    plain(invalid_request(
                        "`access_token` (the token the platform refused, a non-empty string) is required",
                    ))
                })?;
            out.insert(
                "invalidated".into(),
                json!(cfg.invalidate_token_value(value)),
            );
        }
        "whoami" => {
            let who = handle
                .block_on(deadline, cfg.whoami())
                .map_err(plain)?
                .map_err(|e| plain(from_token_error(e)))?;
            out.insert("whoami".into(), json!(who));
        }
        "__test_panic" if std::env::var(TEST_HOOKS_ENV).as_deref() == Ok("1") => {
            panic!("test hook: deliberate panic inside the library");
        }
        other => {
            return Err(plain(
                FfiError::new(
                    smartlink_result::UnknownOperation,
                    format!("unknown operation {other:?}"),
                )
                .with_sub_code("unknown_operation"),
            ));
        }
    }
    Ok(out)
}

/// Fills `out` with `screen` and its texts in `locale` (the core's
/// [`messages::screen_texts`], the same the terminal configurator draws).
pub fn screen_response(out: &mut Map<String, Value>, screen: &Screen, locale: Locale) {
    out.insert("screen".into(), json!(screen));
    out.insert(
        "texts".into(),
        serde_json::to_value(messages::screen_texts(locale, screen)).expect("texts serialize"),
    );
}
