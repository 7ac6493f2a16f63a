//! The JSON entry point: `{"op": "...", ...}` in, `{"ok": true, ...}` or
//! `{"ok": false, "error": {...}}` out. The operations themselves are
//! described in [`crate::operations`]; the typed C functions and
//! `ExecInClientDLL` call into the same code.

use std::time::Duration;

use serde_json::{Map, Value, json};
use smartlink_core::messages::{Locale, code_text};

use crate::error::{FfiError, set_last_error, smartlink_result};
use crate::handle::HandleInner;
use crate::operations::{self, Answer, Operation, Request};

/// A response: the JSON text, and the code the call maps to (OK when
/// `"ok": true`).
pub struct Response {
    /// The JSON text.
    pub body: String,
    /// `Ok`, or the error's code.
    pub code: smartlink_result,
    /// The body holds a secret (the `credentials` or `access_token`
    /// answers, see [`Operation::secret`]). Such a response is never kept
    /// for a retry with a bigger buffer (asking again runs the read again
    /// and changes nothing, and a kept token could be stale by then), and
    /// its text is wiped once copied out.
    pub holds_secret: bool,
}

/// Handles one request. Never fails: every error becomes an `"ok": false`
/// body (and the thread's last error). Panics are left to the caller's
/// boundary.
pub fn handle_request(handle: &HandleInner, request: &str) -> Response {
    let mut holds_secret = false;
    match dispatch(handle, request, &mut holds_secret) {
        Ok(mut body) => {
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

fn invalid_request(msg: impl Into<String>) -> FfiError {
    FfiError::new(smartlink_result::InvalidRequest, msg)
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

/// Refuses a field the operation does not read.
fn check_fields(op: &Operation, req: &Map<String, Value>) -> Result<(), FfiError> {
    let own = op.fields;
    match req
        .keys()
        .find(|k| !matches!(k.as_str(), "op" | "deadline_ms") && !own.contains(&k.as_str()))
    {
        None => Ok(()),
        Some(unknown) => {
            let mut expected = vec!["op", "deadline_ms"];
            expected.extend_from_slice(own);
            Err(invalid_request(format!(
                "`{unknown}`: unknown field for `{}`; its fields are {}",
                op.name,
                expected
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }
}

fn dispatch(handle: &HandleInner, request: &str, holds_secret: &mut bool) -> Answer {
    let plain = |e: FfiError| (e, None);
    let value: Value = serde_json::from_str(crate::de::without_bom(request)).map_err(|e| {
        plain(FfiError::new(
            smartlink_result::InvalidJson,
            format!("request: {e}"),
        ))
    })?;
    let Value::Object(req) = value else {
        return Err(plain(invalid_request("the request must be a JSON object")));
    };
    let name = req
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| plain(invalid_request("`op` (a string) is required")))?;
    let op = operations::find(name);
    if let Some(op) = op {
        check_fields(op, &req).map_err(plain)?;
    }
    let deadline = deadline_of(&req).map_err(plain)?;
    let op = op.ok_or_else(|| {
        plain(
            FfiError::new(
                smartlink_result::UnknownOperation,
                format!("unknown operation {name:?}"),
            )
            .with_sub_code("unknown_operation"),
        )
    })?;
    *holds_secret = op.secret;
    (op.handler)(&Request {
        handle,
        fields: &req,
        deadline,
    })
}
