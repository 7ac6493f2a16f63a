//! The JSON operations, each described once: its name (`op`), its
//! `ExecInClientDLL` id, the fields it accepts and its handler. The refusal
//! of unknown fields, the id table of `ExecInClientDLL` (and the header's
//! `SMARTLINK_EXEC_*` ids, generated from [`OPERATIONS`]) and the dispatch
//! all follow from [`OPERATIONS`]: adding an operation is one entry there
//! (and its handler).

use std::ffi::c_int;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use smartlink_core::messages::{self, Locale, text};
use smartlink_core::wizard::{Action, Screen};
use smartlink_core::{AccessToken, AdministratorName, Configurator, EnsureOutcome, HISTORY_LIMIT};
use smartlink_core::{ConfiguratorError, UnattendedRequest};

use crate::de::{from_value_named, unread_field};
use crate::error::{FfiError, smartlink_result};
use crate::handle::HandleInner;

/// One JSON operation.
pub struct Operation {
    /// Its name, the request's `op`.
    pub name: &'static str,
    /// Its `ExecInClientDLL` id (`SMARTLINK_EXEC_<NAME>` in the header).
    pub id: c_int,
    /// The fields it reads besides `op` and `deadline_ms`; any other field
    /// is refused, so a misspelt `confirm` is never ignored without a word.
    pub fields: &'static [&'static str],
    /// Its response holds a secret (the client secret, an access token):
    /// never kept for a retry with a bigger buffer, wiped once copied out.
    pub secret: bool,
    pub(crate) handler: Handler,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("fields", &self.fields)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// What a handler gets: the handle, the request's fields, its deadline.
pub(crate) struct Request<'a> {
    pub(crate) handle: &'a HandleInner,
    pub(crate) fields: &'a Map<String, Value>,
    pub(crate) deadline: Option<Duration>,
}

/// A failed operation: its error, and fields to send along (a screen).
pub(crate) type Failure = (FfiError, Option<Map<String, Value>>);
/// An operation's answer: the response's fields (without `ok`).
pub(crate) type Answer = Result<Map<String, Value>, Failure>;
pub(crate) type Handler = fn(&Request<'_>) -> Answer;

/// Every operation of the C ABI.
pub static OPERATIONS: &[Operation] = &[
    op("version", 10, &[], version),
    op("needs_configuration", 11, &[], needs_configuration),
    op("ensure_configured", 12, &[], ensure_configured),
    op("screen", 13, &[], screen),
    op("apply", 14, &["action", "administrator"], apply),
    op("task_status", 15, &[], task_status),
    op("wait_task", 16, &["timeout_ms"], wait_task),
    secret(op("credentials", 17, &[], credentials)),
    op("status", 18, &[], status),
    op(
        "configure_unattended",
        19,
        &["target", "installation_name", "confirm", "administrator"],
        configure_unattended,
    ),
    op("forget_local", 20, &["administrator"], forget_local),
    op("unbind", 21, &["administrator"], unbind),
    op(
        "rotate_credentials",
        22,
        &["administrator"],
        rotate_credentials,
    ),
    op("messages", 23, &["locale"], messages),
    op("cancel", 24, &[], cancel),
    secret(op("access_token", 25, &[], access_token)),
    op("invalidate_token", 26, &["access_token"], invalidate_token),
    op("whoami", 27, &[], whoami),
    op(
        "reverify_credentials",
        28,
        &["administrator"],
        reverify_credentials,
    ),
    op("history", 29, &["offset", "limit"], history),
    op(
        "support_report",
        30,
        &["host_name", "host_version"],
        support_report,
    ),
];

const fn op(
    name: &'static str,
    id: c_int,
    fields: &'static [&'static str],
    handler: Handler,
) -> Operation {
    Operation {
        name,
        id,
        fields,
        secret: false,
        handler,
    }
}

const fn secret(operation: Operation) -> Operation {
    Operation {
        secret: true,
        ..operation
    }
}

/// The operation named `name`.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|o| o.name == name)
        .or_else(|| test_hooks::find(name))
}

/// The operation of an `ExecInClientDLL` id (without the CP1252 offset).
pub fn by_id(id: c_int) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.id == id)
}

/// The `ExecInClientDLL` id of the operation named `name`.
pub fn exec_id(name: &str) -> Option<c_int> {
    OPERATIONS.iter().find(|o| o.name == name).map(|o| o.id)
}

/// The header's `#define`s of the operations' `ExecInClientDLL` ids
/// (`SMARTLINK_EXEC_SCREEN 13`, …), in the header's comment style.
pub fn header_defines() -> String {
    let mut out = String::from(
        "\n// The JSON operations' `ExecInClientDLL` ids (each also runs with\n// `SMARTLINK_EXEC_CALL` and its `op` name).\n",
    );
    for o in OPERATIONS {
        let note = if o.secret {
            " (the response holds a secret: never log it)"
        } else {
            ""
        };
        out.push_str(&format!(
            "\n// `ExecInClientDLL` id: the `{}` operation{note}.\n#define SMARTLINK_EXEC_{} {}\n",
            o.name,
            o.name.to_ascii_uppercase(),
            o.id
        ));
    }
    out
}

/// The test-only operation that panics inside the library, to prove the
/// panic boundary. It exists only in builds with the `test-hooks` feature,
/// which only the test build of these sources (`smartlink-ffi-rlib`, never
/// published) turns on: `smartlink-ffi`, the library that ships, has no
/// such feature. Even there it answers only when `SMARTLINK_TEST_HOOKS=1`.
#[cfg(feature = "test-hooks")]
mod test_hooks {
    use super::*;

    /// The environment variable that enables the test-only operations.
    pub const TEST_HOOKS_ENV: &str = "SMARTLINK_TEST_HOOKS";

    static TEST_PANIC: Operation = op("__test_panic", 0, &[], |_| {
        panic!("test hook: deliberate panic inside the library");
    });

    pub(super) fn find(name: &str) -> Option<&'static Operation> {
        (name == TEST_PANIC.name && std::env::var(TEST_HOOKS_ENV).as_deref() == Ok("1"))
            .then_some(&TEST_PANIC)
    }
}

#[cfg(not(feature = "test-hooks"))]
mod test_hooks {
    pub(super) fn find(_: &str) -> Option<&'static super::Operation> {
        None
    }
}

// ---------------------------------------------------------------------------
// The handlers, in the order of the table.
// ---------------------------------------------------------------------------

fn invalid_request(msg: impl Into<String>) -> FfiError {
    FfiError::new(smartlink_result::InvalidRequest, msg)
}

fn plain(e: FfiError) -> Failure {
    (e, None)
}

fn one(key: &str, value: Value) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(key.into(), value);
    out
}

/// The configurator acting for the request's `administrator` (a name, or
/// `null`/absent for none): the binding history records the change as
/// theirs. The name applies to this call only.
fn acting(r: &Request<'_>) -> Result<Configurator, Failure> {
    let name = match r.fields.get("administrator") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(
            AdministratorName::new(name)
                .map_err(|e| plain(invalid_request(format!("`administrator`: {e}"))))?,
        ),
        Some(_) => {
            return Err(plain(invalid_request(
                "`administrator` must be a string (the administrator's name) or null",
            )));
        }
    };
    Ok(r.handle.configurator().with_administrator(name))
}

/// The request's fields without `administrator` (read by [`acting`]).
fn without_administrator(r: &Request<'_>) -> Map<String, Value> {
    let mut fields = r.fields.clone();
    fields.remove("administrator");
    fields
}

fn version(_: &Request<'_>) -> Answer {
    let mut out = Map::new();
    out.insert("version".into(), json!(crate::version::SMARTLINK_VERSION));
    out.insert(
        "major".into(),
        json!(crate::version::SMARTLINK_VERSION_MAJOR),
    );
    out.insert(
        "minor".into(),
        json!(crate::version::SMARTLINK_VERSION_MINOR),
    );
    out.insert(
        "patch".into(),
        json!(crate::version::SMARTLINK_VERSION_PATCH),
    );
    Ok(out)
}

fn needs_configuration(r: &Request<'_>) -> Answer {
    let cfg = r.handle.configurator();
    let mut out = one("needs_configuration", json!(cfg.needs_configuration()));
    // A state file set aside (corrupt, newer version) or refused is told to
    // the host, which shows and logs it.
    if let Some(problem) = cfg.state_problem() {
        out.insert("state_problem".into(), json!(problem));
    }
    Ok(out)
}

/// `ensure_configured`'s outcome, shared with `smartlink_ensure_configured`.
pub(crate) fn ensure(
    handle: &HandleInner,
    deadline: Option<Duration>,
) -> Result<EnsureOutcome, FfiError> {
    handle
        .block_on(deadline, handle.configurator().ensure_configured())?
        .map_err(FfiError::from)
}

fn ensure_configured(r: &Request<'_>) -> Answer {
    let outcome = ensure(r.handle, r.deadline).map_err(plain)?;
    match serde_json::to_value(outcome).expect("outcomes serialize") {
        Value::Object(m) => Ok(m),
        other => Ok(one("value", other)),
    }
}

fn screen(r: &Request<'_>) -> Answer {
    let mut out = Map::new();
    screen_response(
        &mut out,
        &r.handle.configurator().screen(),
        r.handle.locale(),
    );
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

fn apply(r: &Request<'_>) -> Answer {
    let cfg = &acting(r)?;
    let locale = r.handle.locale();
    let given = r
        .fields
        .get("action")
        .ok_or_else(|| plain(invalid_request("`action` is required")))?;
    let action: Action = from_value_named(given.clone())
        .map_err(|e| plain(invalid_request(format!("action: {e}"))))?;
    unread_field("action", given, &action).map_err(|e| plain(invalid_request(e)))?;
    let mut out = Map::new();
    match r
        .handle
        .block_on(r.deadline, cfg.apply(action))
        .map_err(plain)?
    {
        Ok(screen) => screen_response(&mut out, &screen, locale),
        Err(e) => {
            // The refused action leaves a screen to draw (with the name's
            // error, for instance): send it along.
            screen_response(&mut out, &cfg.screen(), locale);
            return Err((FfiError::from(e), Some(out)));
        }
    }
    Ok(out)
}

fn task_status(r: &Request<'_>) -> Answer {
    Ok(one("task", json!(r.handle.configurator().task_status())))
}

fn wait_task(r: &Request<'_>) -> Answer {
    let timeout = match r.fields.get("timeout_ms") {
        None | Some(Value::Null) => r.deadline,
        Some(v) => match v.as_u64() {
            // The request's `deadline_ms` bounds the call whatever it does:
            // the shorter of the two ends the wait.
            Some(n) if n > 0 => Some(r.deadline.map_or(Duration::from_millis(n), |d| {
                d.min(Duration::from_millis(n))
            })),
            _ => {
                return Err(plain(invalid_request(
                    "`timeout_ms` must be a positive integer",
                )));
            }
        },
    };
    let status = r
        .handle
        .block_on(timeout, r.handle.configurator().wait_for_task())
        .map_err(plain)?;
    Ok(one("task", json!(status)))
}

fn credentials(r: &Request<'_>) -> Answer {
    // The one response that carries the secret, on purpose: the host stores
    // it. Never log this response.
    let creds = r
        .handle
        .configurator()
        .credentials()
        .map_err(|e| plain(FfiError::from(ConfiguratorError::State(e))))?;
    Ok(one(
        "credentials",
        match creds {
            Some(c) => serde_json::to_value(&c).expect("credentials serialize"),
            None => Value::Null,
        },
    ))
}

fn status(r: &Request<'_>) -> Answer {
    let status = r
        .handle
        .configurator()
        .status()
        .map_err(|e| plain(FfiError::from(ConfiguratorError::State(e))))?;
    let store =
        crate::store_config::store_status(r.handle.store().as_ref(), status.state_problem.as_ref());
    let mut status = json!(status);
    if let Value::Object(fields) = &mut status {
        fields.insert("store".into(), store);
    }
    Ok(one("status", status))
}

/// The support report (`smartlink_core::support`): never a secret, and
/// made whatever state the installation is in (what cannot be read says
/// why). `host_name` and `host_version` name the ERP.
fn support_report(r: &Request<'_>) -> Answer {
    #[derive(Deserialize)]
    struct Req {
        #[serde(default)]
        host_name: Option<String>,
        #[serde(default)]
        host_version: Option<String>,
    }
    let req: Req = from_value_named(Value::Object(r.fields.clone()))
        .map_err(|e| plain(invalid_request(format!("support_report: {e}"))))?;
    let host = req.host_name.map(|name| smartlink_core::support::HostInfo {
        name,
        version: req.host_version,
    });
    let cfg = r.handle.configurator();
    let report = smartlink_core::support::report(cfg, host);
    let secrets: Vec<&str> = r
        .handle
        .secrets()
        .iter()
        .map(secrecy::ExposeSecret::expose_secret)
        .collect();
    let json = report.to_json(cfg, &secrets);
    // Redaction replaces whole JSON string spellings, so the text stays
    // JSON; should it not, say so rather than answer half a report.
    let value: Value = serde_json::from_str(&json).map_err(|e| {
        plain(FfiError::new(
            smartlink_result::Internal,
            format!("support_report: the redacted report is not JSON: {e}"),
        ))
    })?;
    Ok(one("report", value))
}

fn configure_unattended(r: &Request<'_>) -> Answer {
    let cfg = acting(r)?;
    let request: UnattendedRequest = from_value_named(Value::Object(without_administrator(r)))
        .map_err(|e| plain(invalid_request(format!("configure_unattended: {e}"))))?;
    if let Some(target) = r.fields.get("target") {
        unread_field("target", target, &request.target).map_err(|e| plain(invalid_request(e)))?;
    }
    let outcome = r
        .handle
        .block_on(r.deadline, cfg.configure_unattended(&request))
        .map_err(plain)?
        .map_err(|e| plain(FfiError::from(e)))?;
    let mut out = one("task", json!(outcome.status));
    out.insert("nothing_to_do".into(), json!(outcome.nothing_to_do));
    out.insert("resumed".into(), json!(outcome.resumed));
    Ok(out)
}

fn forget_local(r: &Request<'_>) -> Answer {
    acting(r)?
        .forget_local()
        .map_err(|e| plain(FfiError::from(e)))?;
    Ok(Map::new())
}

fn unbind(r: &Request<'_>) -> Answer {
    r.handle
        .block_on(r.deadline, acting(r)?.unbind())
        .map_err(plain)?
        .map_err(|e| plain(FfiError::from(e)))?;
    Ok(Map::new())
}

fn rotate_credentials(r: &Request<'_>) -> Answer {
    // The new secret is not in this response: read it with `credentials`,
    // the one operation that hands it out.
    let creds = r
        .handle
        .block_on(r.deadline, acting(r)?.rotate_credentials())
        .map_err(plain)?
        .map_err(|e| plain(FfiError::from(e)))?;
    let mut out = one("client_id", json!(creds.client_id.as_str()));
    out.insert("environment_id".into(), json!(creds.environment_id));
    out.insert("expires_at".into(), json!(creds.expires_at));
    Ok(out)
}

fn messages(r: &Request<'_>) -> Answer {
    #[derive(Deserialize)]
    struct Req {
        #[serde(default)]
        locale: Option<String>,
    }
    let req: Req = from_value_named(Value::Object(r.fields.clone()))
        .map_err(|e| plain(invalid_request(format!("messages: {e}"))))?;
    let loc = match req.locale.as_deref() {
        None => r.handle.locale(),
        Some(tag) => Locale::try_parse(tag).ok_or_else(|| {
            plain(invalid_request(format!(
                "`locale`: {tag:?} is not a language of the catalogue (pt-BR, es, en)"
            )))
        })?,
    };
    let catalogue: Map<String, Value> = messages::keys()
        .map(|k| (k.to_owned(), json!(text(loc, k))))
        .collect();
    let mut out = one("locale", json!(loc.tag()));
    out.insert("messages".into(), Value::Object(catalogue));
    Ok(out)
}

fn cancel(r: &Request<'_>) -> Answer {
    r.handle.cancel();
    Ok(Map::new())
}

/// The access token: from the cache without blocking when it holds a valid
/// one, else by waiting (up to `deadline`) for the one request. Shared with
/// `smartlink_access_token`.
pub(crate) fn token(
    handle: &HandleInner,
    deadline: Option<Duration>,
) -> Result<AccessToken, FfiError> {
    let cfg = handle.configurator();
    match cfg.cached_access_token() {
        Some(token) => Ok(token),
        None => handle
            .block_on(deadline, cfg.access_token())?
            .map_err(FfiError::from),
    }
}

fn access_token(r: &Request<'_>) -> Answer {
    // Holds the token: never log this response.
    let token = token(r.handle, r.deadline).map_err(plain)?;
    let mut out = one("access_token", json!(token.expose_secret()));
    out.insert("expires_at".into(), json!(token.expires_at()));
    Ok(out)
}

fn invalidate_token(r: &Request<'_>) -> Answer {
    let value = r
        .fields
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            plain(invalid_request(
                "`access_token` (the token the platform refused, a non-empty string) is required",
            ))
        })?;
    Ok(one(
        "invalidated",
        json!(r.handle.configurator().invalidate_token_value(value)),
    ))
}

fn whoami(r: &Request<'_>) -> Answer {
    let who = r
        .handle
        .block_on(r.deadline, r.handle.configurator().whoami())
        .map_err(plain)?
        .map_err(|e| plain(FfiError::from(e)))?;
    Ok(one("whoami", json!(who)))
}

/// One new token request with the stored credentials, refused ones
/// included (after the host fixed `token_url` or `client_auth`): a success
/// clears the refusal.
fn reverify_credentials(r: &Request<'_>) -> Answer {
    let check = r
        .handle
        .block_on(r.deadline, acting(r)?.reverify_credentials())
        .map_err(plain)?
        .map_err(|e| plain(FfiError::from(e)))?;
    Ok(one(
        "reverified",
        json!({
            "client_id": check.client_id,
            "refusal_cleared": check.refusal_cleared,
            "token_expires_at": check.token_expires_at,
            "elapsed_ms": u64::try_from(check.elapsed.as_millis()).unwrap_or(u64::MAX),
        }),
    ))
}

/// The binding history, newest first, one page: `offset` (default 0) and
/// `limit` (1 to the history's bound, default 50).
fn history(r: &Request<'_>) -> Answer {
    let number =
        |key: &str, default: u64, range: std::ops::RangeInclusive<u64>| match r.fields.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_u64().filter(|n| range.contains(n)).ok_or_else(|| {
                plain(invalid_request(format!(
                    "`{key}` must be an integer from {} to {}",
                    range.start(),
                    range.end()
                )))
            }),
        };
    let bound = HISTORY_LIMIT as u64;
    let offset = number("offset", 0, 0..=bound)? as usize;
    let limit = number("limit", 50, 1..=bound)? as usize;
    let entries = r
        .handle
        .configurator()
        .history()
        .map_err(|e| plain(FfiError::from(ConfiguratorError::State(e))))?;
    let total = entries.len();
    let page: Vec<_> = entries.into_iter().skip(offset).take(limit).collect();
    let next = offset + page.len();
    let mut out = one("history", json!(page));
    out.insert("total".into(), json!(total));
    out.insert("offset".into(), json!(offset));
    out.insert(
        "next_offset".into(),
        if next < total {
            json!(next)
        } else {
            Value::Null
        },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_unique_and_ids_in_their_range() {
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for o in OPERATIONS {
            assert!(names.insert(o.name), "{}", o.name);
            assert!(ids.insert(o.id), "{}", o.id);
            // 1-3 are OPEN/CLOSE/CALL; 100 is the CP1252 offset.
            assert!((10..100).contains(&o.id), "{o:?}");
            assert!(!o.fields.contains(&"op") && !o.fields.contains(&"deadline_ms"));
            assert_eq!(find(o.name).map(|f| f.id), Some(o.id));
            assert_eq!(by_id(o.id).map(|f| f.name), Some(o.name));
        }
    }

    #[test]
    fn the_test_panic_does_not_exist_in_the_library_that_ships() {
        // `cargo test -p smartlink-ffi` builds the shipped crate's own
        // configuration, which cannot have the `test-hooks` feature (its
        // Cargo.toml declares none): the operation is not compiled in, so
        // no variable can reach it.
        const { assert!(!cfg!(feature = "test-hooks")) };
        assert!(find("__test_panic").is_none());
        assert!(OPERATIONS.iter().all(|o| !o.name.starts_with("__")));
    }
}
