//! Bad input on the C ABI, called in-process: random and hand-made hostile
//! configurations, requests and `ExecInClientDLL` calls. Properties: never
//! `SMARTLINK_RESULT_PANIC`, every failure a typed code, outputs only on
//! success, responses always JSON with `ok`, no write past a buffer, no
//! token in an error, no database password in a refused connection string.
//!
//! Cases: 256–512 per property (`SMARTLINK_LONG=1`: 10,000). Most cases stop
//! at parsing or validation; the few that reach the network go to the
//! in-process sandbox or to `127.0.0.1:9` (refused at once) under a short
//! deadline. See `docs/reliability.md`, "Bad input".

mod common;
use smartlink_testkit::corpus;

use std::ffi::{CStr, c_char};
use std::ptr::null_mut;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use smartlink::error::smartlink_result as R;
use smartlink::*;
use smartlink_testkit::ffi::Handle;

/// The token of the configurations: must never appear in an error.
const SECRET_TOKEN: &str = "tok-SECRET-7f3a9c41d2";
/// Nothing listens on the discard port: connections are refused at once.
const DEAD_URL: &str = "http://127.0.0.1:9";

const ACTIONS: &[&str] = &[
    "start",
    "set_name",
    "select",
    "create",
    "type_confirmation",
    "confirm",
    "back",
    "cancel",
];

/// The codes a configuration may be refused with.
const CONFIG_CODES: &[R] = &[
    R::Ok,
    R::InvalidUtf8,
    R::InvalidJson,
    R::InvalidConfig,
    R::InvalidInstallation,
];

/// Every JSON operation's name.
fn operation_names() -> Vec<&'static str> {
    smartlink::operations::OPERATIONS
        .iter()
        .map(|o| o.name)
        .collect()
}

fn cases(bounded: u32) -> Config {
    Config::with_cases(corpus::cases(bounded, 10_000))
}

/// The bytes a C caller would pass: the prefix up to the first NUL, plus NUL.
fn c_bytes(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let mut v = bytes[..end].to_vec();
    v.push(0);
    v
}

fn last_error_message() -> String {
    let mut s = null_mut();
    assert_eq!(unsafe { smartlink_last_error_message_alloc(&mut s) }, R::Ok);
    let text = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    unsafe { smartlink_string_free(s) };
    text
}

fn base_config(url: &str, installation_id: &str, deadline_ms: u64) -> Map<String, Value> {
    let v = json!({
        "platform_url": url,
        "token": SECRET_TOKEN,
        "state": "memory",
        "installation": {"id": installation_id, "line": "rm", "kind": "development", "name": "Fuzz RM"},
        "locale": "en",
        "connect_timeout_ms": 200,
        "read_timeout_ms": 500,
        "deadline_ms": deadline_ms,
        "proxy": "none",
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// Creates a handle from raw configuration bytes and checks the contract;
/// frees it when one was made. Returns the code.
fn try_config(bytes: &[u8], what: &str) -> R {
    let c = c_bytes(bytes);
    let mut h: *mut smartlink_configurator = null_mut();
    let rc = unsafe { smartlink_configurator_new(c.as_ptr().cast(), &mut h) };
    assert_ne!(rc, R::Panic, "{what}: panic: {}", last_error_message());
    assert!(CONFIG_CODES.contains(&rc), "{what}: unexpected code {rc:?}");
    if rc == R::Ok {
        assert!(!h.is_null(), "{what}: OK without a handle");
        unsafe { smartlink_configurator_free(h) };
    } else {
        assert!(h.is_null(), "{what}: a handle was written on failure");
        assert_eq!(smartlink_last_error_code(), rc, "{what}");
        let msg = last_error_message();
        assert!(!msg.contains(SECRET_TOKEN), "{what}: token in error: {msg}");
    }
    if std::str::from_utf8(&c[..c.len() - 1]).is_err() {
        assert_eq!(rc, R::InvalidUtf8, "{what}");
    }
    rc
}

/// A handle on the C ABI for `config`, freed on drop.
fn handle(config: &Map<String, Value>) -> Handle {
    Handle::new(&Value::Object(config.clone()).to_string())
}

/// Checks one response body against the contract; returns `ok`.
fn check_response(body: &str, what: &str) -> bool {
    let v: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{what}: response is not JSON ({e}): {body:.200}"));
    let ok = v["ok"]
        .as_bool()
        .unwrap_or_else(|| panic!("{what}: no boolean `ok`: {body:.200}"));
    if !ok {
        let code = v["error"]["result"]
            .as_u64()
            .and_then(|n| R::from_u32(n as u32))
            .unwrap_or_else(|| panic!("{what}: no known error.result: {body:.300}"));
        assert_ne!(code, R::Panic, "{what}: {body:.300}");
        assert_ne!(code, R::Ok, "{what}: ok false with result 0");
        assert_eq!(v["error"]["kind"], code.name(), "{what}");
        assert!(v["error"]["message"].is_string(), "{what}");
        assert!(v["error"]["text"].is_string(), "{what}");
    }
    assert!(!body.contains(SECRET_TOKEN), "{what}: token in a response");
    ok
}

/// `smartlink_call_alloc` with raw request bytes: checks the contract and
/// returns the response (None when the call itself was refused).
fn call_alloc(h: &Handle, request: &[u8], what: &str) -> Option<Value> {
    let c = c_bytes(request);
    let mut out: *mut c_char = null_mut();
    let rc = unsafe { smartlink_call_alloc(h.0, c.as_ptr().cast(), &mut out) };
    assert_ne!(rc, R::Panic, "{what}: panic: {}", last_error_message());
    if std::str::from_utf8(&c[..c.len() - 1]).is_err() {
        assert_eq!(rc, R::InvalidUtf8, "{what}");
        assert!(out.is_null(), "{what}: output written on failure");
        return None;
    }
    assert_eq!(rc, R::Ok, "{what}: {}", last_error_message());
    assert!(!out.is_null());
    let body = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("responses are UTF-8")
        .to_owned();
    unsafe { smartlink_string_free(out) };
    check_response(&body, what);
    Some(serde_json::from_str(&body).unwrap())
}

const CANARY: u8 = 0xA5;
const GUARD: usize = 64;

/// `smartlink_call` into a buffer of `out_len` bytes surrounded by canaries:
/// nothing may be written outside it, nor into it when it is too small.
fn call_buffer(h: &Handle, request: &[u8], out_len: usize, what: &str) {
    let c = c_bytes(request);
    let mut buf = vec![CANARY; out_len + 2 * GUARD];
    let out = if out_len == 0 {
        null_mut()
    } else {
        unsafe { buf.as_mut_ptr().add(GUARD) }.cast::<c_char>()
    };
    let mut needed = usize::MAX;
    let rc = unsafe { smartlink_call(h.0, c.as_ptr().cast(), out, out_len, &mut needed) };
    assert_ne!(rc, R::Panic, "{what}: panic: {}", last_error_message());
    assert!(
        buf.iter().all(|b| *b == CANARY) || rc == R::Ok,
        "{what}: buffer touched though {rc:?}"
    );
    assert!(
        buf[..GUARD].iter().all(|b| *b == CANARY)
            && buf[GUARD + out_len..].iter().all(|b| *b == CANARY),
        "{what}: write outside the buffer (out_len {out_len})"
    );
    match rc {
        R::Ok => {
            assert!(needed >= 1 && needed <= out_len, "{what}: needed {needed}");
            assert_eq!(buf[GUARD + needed - 1], 0, "{what}: no NUL at needed-1");
            let body = std::str::from_utf8(&buf[GUARD..GUARD + needed - 1]).expect("UTF-8");
            check_response(body, what);
        }
        R::BufferTooSmall => {
            assert!(needed > out_len && needed != usize::MAX, "{what}");
            // The kept response is delivered on the retry.
            let mut big = vec![CANARY; needed + 2 * GUARD];
            let mut needed2 = 0;
            let rc = unsafe {
                smartlink_call(
                    h.0,
                    c.as_ptr().cast(),
                    big.as_mut_ptr().add(GUARD).cast(),
                    needed,
                    &mut needed2,
                )
            };
            assert_eq!(rc, R::Ok, "{what}: retry");
            assert_eq!(needed2, needed, "{what}: retry size");
            assert!(big[..GUARD].iter().all(|b| *b == CANARY));
            assert!(big[GUARD + needed..].iter().all(|b| *b == CANARY));
            let body = std::str::from_utf8(&big[GUARD..GUARD + needed - 1]).expect("UTF-8");
            check_response(body, what);
        }
        R::InvalidUtf8 => {
            assert!(std::str::from_utf8(&c[..c.len() - 1]).is_err(), "{what}");
        }
        other => panic!("{what}: unexpected code {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,24}",
        "[a-z_]{0,12}",
        Just(String::new()),
        Just("\u{0}".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("x".repeat(300)),
        Just("\u{202e}\u{200b}\u{FEFF}".to_owned()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "op", "action", "name", "environment_id", "text", "deadline_ms", "timeout_ms",
            "locale", "installation_name", "target", "mode", "confirm", "handle", "token",
            "platform_url", "installation", "id", "line", "kind", "state", "state_file",
        ])
        .prop_map(str::to_owned),
        1 => any_string(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    corpus::random::number()
}

fn leaf() -> BoxedStrategy<Value> {
    corpus::random::leaf(any_string().boxed())
}

fn json_value() -> BoxedStrategy<Value> {
    corpus::random::tree(any_string().boxed(), key().boxed())
}

/// A field path of the configuration (one or two levels).
fn config_field() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "platform_url", "token", "token_url", "state", "state_file", "installation",
            "locale", "connect_timeout_ms", "read_timeout_ms", "deadline_ms", "proxy",
            "ca_file", "client_auth",
        ])
        .prop_map(|k| vec![k.to_owned()]),
        3 => prop::sample::select(vec!["id", "line", "kind", "name"])
            .prop_map(|k| vec!["installation".to_owned(), k.to_owned()]),
        1 => any_string().prop_map(|k| vec![k]),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Remove(Vec<String>),
    Set(Vec<String>, Value),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => config_field().prop_map(Edit::Remove),
        4 => (config_field(), json_value()).prop_map(|(f, v)| Edit::Set(f, v)),
    ]
}

fn apply_edits(mut base: Map<String, Value>, edits: &[Edit]) -> Value {
    for e in edits {
        match e {
            Edit::Remove(path) | Edit::Set(path, _) if path.len() == 2 => {
                let Some(Value::Object(inner)) = base.get_mut(&path[0]) else {
                    continue;
                };
                match e {
                    Edit::Remove(_) => {
                        inner.remove(&path[1]);
                    }
                    Edit::Set(_, v) => {
                        inner.insert(path[1].clone(), v.clone());
                    }
                }
            }
            Edit::Remove(path) => {
                base.remove(&path[0]);
            }
            Edit::Set(path, v) => {
                base.insert(path[0].clone(), v.clone());
            }
        }
    }
    Value::Object(base)
}

/// Byte-level damage to a text: flips, cuts, inserted bytes.
fn damage(text: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = text.len().max(1);
    prop::collection::vec((0..len, any::<u8>(), 0u8..4), 1..4).prop_map(move |ops| {
        let mut t = text.clone();
        for (at, byte, kind) in ops {
            if t.is_empty() {
                break;
            }
            let at = at % t.len();
            match kind {
                0 => t[at] ^= 1 << (byte % 8),
                1 => t.truncate(at),
                2 => t.insert(at, byte),
                _ => t[at] = byte,
            }
        }
        t
    })
}

fn config_bytes() -> impl Strategy<Value = Vec<u8>> {
    let base = base_config(DEAD_URL, "fuzz-config", 200);
    let valid = Value::Object(base.clone()).to_string().into_bytes();
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        4 => prop::collection::vec(edit(), 1..4)
            .prop_map(move |edits| apply_edits(base.clone(), &edits).to_string().into_bytes()),
        2 => damage(valid),
    ]
}

fn action() -> impl Strategy<Value = Value> {
    let tag = prop_oneof![
        4 => prop::sample::select(ACTIONS.to_vec()).prop_map(Value::from),
        1 => leaf(),
    ];
    let field = prop_oneof![
        prop::sample::select(vec!["name", "environment_id", "text"]).prop_map(str::to_owned),
        key(),
    ];
    let value = prop_oneof![
        3 => prop::sample::select(vec![
            "Fuzz RM", "Desenvolvimento", "Produção", "env_dev", "env_prd", "env_1", "", " ",
        ])
        .prop_map(Value::from),
        2 => json_value(),
    ];
    (
        tag,
        prop::collection::vec((field, value), 0..3),
        any::<bool>(),
    )
        .prop_map(|(tag, fields, with_tag)| {
            let mut m = Map::new();
            if with_tag {
                m.insert("action".into(), tag);
            }
            for (k, v) in fields {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

fn op() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(operation_names()).prop_map(Value::from),
        1 => prop::sample::select(vec!["__test_panic", "VERSION", "version ", "", "op"])
            .prop_map(Value::from),
        1 => leaf(),
    ]
}

/// Short deadlines mostly, so that cases reaching the network end quickly.
fn deadline() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (1u64..300).prop_map(Value::from),
        1 => number(),
        1 => leaf(),
    ]
}

fn request_value() -> impl Strategy<Value = Value> {
    let optional = |s: BoxedStrategy<Value>| prop::option::weighted(0.4, s);
    (
        prop::option::weighted(0.95, op()),
        optional(action().boxed()),
        optional(deadline().boxed()),
        optional(deadline().boxed()),
        optional(leaf().boxed()),
        optional(json_value().boxed()),
        prop::collection::vec((key(), json_value()), 0..2),
    )
        .prop_map(|(op, action, deadline, timeout, locale, target, extra)| {
            let mut m = Map::new();
            for (k, v) in extra {
                m.insert(k, v);
            }
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            };
            put("op", op);
            put("action", action);
            put("deadline_ms", deadline);
            put("timeout_ms", timeout);
            put("locale", locale);
            if let Some(t) = target {
                m.insert("target".into(), t);
                m.insert("installation_name".into(), json!("Fuzz RM"));
            }
            Value::Object(m)
        })
}

fn request_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => request_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..128),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        2 => request_value().prop_flat_map(|v| damage(v.to_string().into_bytes())),
    ]
}

fn out_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        Just(1),
        2usize..64,
        64usize..4096,
        Just(64 * 1024),
    ]
}

// ---------------------------------------------------------------------------
// (a) configuration
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_configuration_is_a_handle_or_a_typed_error(bytes in config_bytes()) {
        try_config(&bytes, "random configuration");
    }
}

#[test]
fn the_valid_base_configuration_makes_a_handle() {
    // The mutations start from a configuration that works.
    let base = Value::Object(base_config(DEAD_URL, "fuzz-config", 200)).to_string();
    assert_eq!(try_config(base.as_bytes(), "base"), R::Ok);
}

#[test]
fn nasty_configurations_are_typed_errors() {
    for doc in corpus::documents() {
        try_config(&doc.bytes, doc.name);
    }
    // Every nasty value in every field (the huge ones in a few fields).
    let fields: &[&[&str]] = &[
        &["platform_url"],
        &["token"],
        &["token_url"],
        &["state"],
        &["state_file"],
        &["installation"],
        &["installation", "id"],
        &["installation", "line"],
        &["installation", "kind"],
        &["installation", "name"],
        &["locale"],
        &["connect_timeout_ms"],
        &["read_timeout_ms"],
        &["deadline_ms"],
        &["proxy"],
        &["ca_file"],
        &["client_auth"],
        &["\u{0}unknown"],
    ];
    let placeholder = "\u{1}PLACEHOLDER\u{1}";
    for (i, field) in fields.iter().enumerate() {
        let mut config = base_config(DEAD_URL, "fuzz-config", 200);
        if field.len() == 2 {
            config["installation"][field[1]] = json!(placeholder);
        } else {
            config.insert(field[0].to_owned(), json!(placeholder));
        }
        let template = Value::Object(config)
            .to_string()
            .replace(&format!("\"{}\"", "\\u0001PLACEHOLDER\\u0001"), "@");
        let huge = i < 3 || field == &["installation", "id"];
        for value in corpus::values(huge) {
            let doc = corpus::splice(&template, &value.bytes);
            try_config(&doc, &format!("{} in {field:?}", value.name));
        }
    }
}

/// A PostgreSQL connection string that cannot be used: a typed code, the
/// last error naming `state.url` and what is wrong, never the password
/// (raw bytes that are not UTF-8, JSON escapes, broken `%` escapes, an
/// unknown `sslmode`, an unclosed quote, a NUL).
#[test]
fn odd_connection_strings_are_typed_errors_naming_the_problem_never_the_password() {
    const PASSWORD: &str = "PGPASS-canary-5d1e";
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("seal.key");
    let c = std::ffi::CString::new(key.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { smartlink_seal_key_create(c.as_ptr()) }, R::Ok);
    let mut config = base_config(DEAD_URL, "fuzz-pg-url", 200);
    config.insert(
        "state".into(),
        json!({"kind": "postgres", "url": "\u{1}URL\u{1}", "seal_key_file": key}),
    );
    let template = Value::Object(config)
        .to_string()
        .replace("\"\\u0001URL\\u0001\"", "@");
    assert!(template.contains('@'), "{template}");
    let pw = PASSWORD;
    // (`None`: any typed code; a NUL in a password is the server's to
    // refuse.)
    let cases: Vec<(Vec<u8>, Option<R>, &str)> = vec![
        (b"\"\"".to_vec(), Some(R::InvalidConfig), "empty"),
        (
            format!("\"postgres://u:{pw}%ZZ@db/erp\"").into(),
            Some(R::InvalidConfig),
            "%25",
        ),
        (
            format!("\"postgres://u:{pw}@db/erp?sslmode=bogus\"").into(),
            Some(R::InvalidConfig),
            "`sslmode` must be",
        ),
        (
            format!("\"host=db password='{pw} sslmode=require\"").into(),
            Some(R::InvalidConfig),
            "not closed",
        ),
        (
            format!("\"host=db password={pw} sslmode=require sslkey=/k\"").into(),
            Some(R::InvalidConfig),
            "unknown option `sslkey`",
        ),
        (
            format!("\"postgres://u:{pw}@db/erp?sslmode=require&sslrootcert=%FF\"").into(),
            Some(R::InvalidConfig),
            "not UTF-8",
        ),
        (
            [&b"\"postgres://u:"[..], pw.as_bytes(), b"\xff\xfe@db/erp\""].concat(),
            Some(R::InvalidUtf8),
            "config_json",
        ),
        (
            format!("\"postgres://u:{pw}\\udc80@db/erp\"").into(),
            Some(R::InvalidJson),
            "",
        ),
        (
            format!("\"host=db password={pw}\\u0000 sslmode=require\"").into(),
            None,
            "",
        ),
        (
            format!("\"host=db password={pw} sslmode=require sslrootcert=/nonexistent/ca.pem\"")
                .into(),
            Some(R::InvalidConfig),
            "/nonexistent/ca.pem",
        ),
    ];
    for (value, code, says) in cases {
        let what = String::from_utf8_lossy(&value).into_owned();
        let doc = corpus::splice(&template, &value);
        let rc = try_config(&doc, &what);
        if rc == R::Ok {
            assert_eq!(code, None, "{what}");
            continue;
        }
        let msg = last_error_message();
        assert!(code.is_none_or(|c| c == rc), "{what}: {rc:?} {msg}");
        assert!(msg.contains(says), "{what}: {msg}");
        if rc == R::InvalidConfig {
            assert!(msg.contains("`state"), "{what}: {msg}");
        }
        assert!(!msg.contains(PASSWORD), "{what}: password in error: {msg}");
    }
}

// ---------------------------------------------------------------------------
// (b) requests
// ---------------------------------------------------------------------------

fn dead_handle(id: &str) -> Handle {
    handle(&base_config(DEAD_URL, id, 200))
}

proptest! {
    #![proptest_config(cases(256))]

    /// Against a platform that refuses connections: every request is
    /// answered, in JSON, and garbage operations never succeed.
    #[test]
    fn any_request_gets_a_json_response(
        requests in prop::collection::vec((request_bytes(), out_len(), any::<bool>()), 1..4)
    ) {
        let h = dead_handle("fuzz-requests");
        for (request, len, alloc) in requests {
            if alloc {
                if let Some(v) = call_alloc(&h, &request, "request") {
                    let c = c_bytes(&request);
                    let op = serde_json::from_slice::<Value>(&c[..c.len() - 1])
                        .ok()
                        .and_then(|r| r.get("op").and_then(Value::as_str).map(str::to_owned));
                    if v["ok"] == true {
                        let op = op.expect("ok without an op");
                        prop_assert!(operation_names().contains(&op.as_str()), "{op:?} succeeded");
                    }
                }
            } else {
                call_buffer(&h, &request, len, "request into buffer");
            }
        }
    }
}

struct SandboxHandle {
    handle: Handle,
    _sandbox: smartlink_sandbox::BackgroundSandbox,
}

fn sandbox_handle(id: &str) -> SandboxHandle {
    let sandbox = common::sandbox();
    let mut config = base_config(&sandbox.url(), id, 3000);
    config.insert("token".into(), json!(common::TOKEN));
    SandboxHandle {
        handle: handle(&config),
        _sandbox: sandbox,
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Against the sandbox, so that the wizard moves (lists, selects, binds):
    /// random walks of mostly-valid actions mixed with garbage.
    #[test]
    fn random_walks_on_the_sandbox_get_json_responses(
        requests in prop::collection::vec(request_bytes(), 1..8)
    ) {
        let s = sandbox_handle("fuzz-walk");
        for request in requests {
            call_alloc(&s.handle, &request, "sandbox request");
        }
    }
}

/// `template` with every `@` replaced by `value`.
fn splice_all(template: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in template.split('@').enumerate() {
        if i > 0 {
            out.extend_from_slice(value);
        }
        out.extend_from_slice(part.as_bytes());
    }
    out
}

#[test]
fn nasty_requests_get_json_responses() {
    let h = dead_handle("fuzz-nasty-requests");
    for doc in corpus::documents() {
        call_alloc(&h, &doc.bytes, doc.name);
    }
    let templates = [
        r#"{"op":@}"#,
        r#"{"op":"version","deadline_ms":@}"#,
        r#"{"op":"wait_task","timeout_ms":@}"#,
        r#"{"op":"messages","locale":@}"#,
        r#"{"op":"apply","action":@}"#,
        r#"{"op":"apply","action":{"action":@}}"#,
        r#"{"op":"apply","action":{"action":"set_name","name":@}}"#,
        r#"{"op":"apply","action":{"action":"select","environment_id":@}}"#,
        r#"{"op":"apply","action":{"action":"create","name":@}}"#,
        r#"{"op":"apply","action":{"action":"type_confirmation","text":@}}"#,
        r#"{"op":"configure_unattended","installation_name":@,"target":{"mode":"create","name":"X"}}"#,
        r#"{"op":"configure_unattended","installation_name":"X","target":@}"#,
        r#"{"op":"configure_unattended","installation_name":"X","target":{"mode":"environment","name":@},"confirm":@}"#,
        r#"{@:"version"}"#,
    ];
    for (i, template) in templates.iter().enumerate() {
        // Start the wizard so that set_name and friends are allowed.
        call_alloc(
            &h,
            br#"{"op":"apply","action":{"action":"start"}}"#,
            "start",
        );
        for value in corpus::values(i < 2) {
            let doc = splice_all(template, &value.bytes);
            call_alloc(&h, &doc, &format!("{} in {template}", value.name));
            call_buffer(
                &h,
                &doc,
                16,
                &format!("{} in {template} (buffer)", value.name),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// (c) ExecInClientDLL
// ---------------------------------------------------------------------------

/// Calls `ExecInClientDLL` with `out_size` bytes between canaries and checks
/// that nothing was written outside, that what was written is one JSON
/// document, and the code. Returns (code, response if written).
fn exec(id: i32, input: &[u8], out_size: i32, null_out: bool, what: &str) -> (i32, Option<Value>) {
    let mut c = c_bytes(input);
    let len = usize::try_from(out_size).unwrap_or(0);
    let mut buf = vec![CANARY; len + 2 * GUARD];
    let out = if null_out {
        null_mut()
    } else {
        unsafe { buf.as_mut_ptr().add(GUARD) }.cast::<c_char>()
    };
    let rc = unsafe { ExecInClientDLL(id, c.as_mut_ptr().cast(), out, out_size) };
    assert_ne!(
        rc,
        R::Panic as i32,
        "{what}: panic: {}",
        last_error_message()
    );
    let code = R::from_u32(rc as u32).unwrap_or_else(|| panic!("{what}: unknown code {rc}"));
    assert!(
        buf[..GUARD].iter().all(|b| *b == CANARY),
        "{what}: write before the buffer"
    );
    assert!(
        buf[GUARD + len..].iter().all(|b| *b == CANARY),
        "{what}: write past out_size {out_size}"
    );
    if null_out && len != 0 {
        assert_eq!(code, R::NullArgument, "{what}");
    }
    let written = &buf[GUARD..GUARD + len];
    let response = match written.iter().position(|b| *b == 0) {
        Some(end) => {
            let body = std::str::from_utf8(&written[..end]).expect("UTF-8 response");
            Some(serde_json::from_str::<Value>(body).unwrap_or_else(|e| {
                panic!("{what}: written response is not JSON ({e}): {body:.200}")
            }))
        }
        None => {
            assert!(
                written.iter().all(|b| *b == CANARY),
                "{what}: bytes written without a terminating NUL"
            );
            None
        }
    };
    if let Some(v) = &response {
        assert!(!v.to_string().contains(SECRET_TOKEN), "{what}: token");
        let ok = v["ok"].as_bool().expect("ok");
        assert_eq!(ok, code == R::Ok, "{what}: ok {ok} with code {code:?}");
        if !ok {
            assert_eq!(v["error"]["result"], json!(rc), "{what}");
        }
    }
    (rc, response)
}

fn exec_config(id: &str) -> String {
    Value::Object(base_config(DEAD_URL, id, 200)).to_string()
}

/// Opens (or finds) the integer handle of the base configuration.
fn exec_open(id: &str) -> i64 {
    let (rc, v) = exec(1, exec_config(id).as_bytes(), 4096, false, "OPEN");
    assert_eq!(rc, 0);
    v.unwrap()["handle"].as_i64().unwrap()
}

fn exec_id() -> impl Strategy<Value = i32> {
    let ops: Vec<i32> = smartlink::operations::OPERATIONS
        .iter()
        .map(|o| o.id)
        .collect();
    let last = ops.iter().copied().max().unwrap_or(27);
    prop_oneof![
        // Every id: OPEN, CLOSE, CALL and the operations' (10 up).
        6 => prop::sample::select([1, 2, 3].into_iter().chain(ops).collect::<Vec<i32>>()),
        1 => any::<i32>(),
        1 => prop::sample::select(vec![0, -1, 4, 9, last + 1, 100, last + 101, i32::MIN, i32::MAX]),
    ]
}

fn exec_out_size() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        Just(1),
        2i32..80,
        80i32..2048,
        Just(64 * 1024),
        Just(-1),
        Just(i32::MIN),
    ]
}

#[derive(Debug, Clone)]
enum HandleChoice {
    Real,
    Number(Value),
    Missing,
}

fn handle_choice() -> impl Strategy<Value = HandleChoice> {
    prop_oneof![
        4 => Just(HandleChoice::Real),
        2 => number().prop_map(HandleChoice::Number),
        1 => leaf().prop_map(HandleChoice::Number),
        1 => Just(HandleChoice::Missing),
    ]
}

fn exec_input() -> impl Strategy<Value = (HandleChoice, Vec<u8>)> {
    prop_oneof![
        6 => (handle_choice(), request_value()).prop_map(|(h, v)| (h, v.to_string().into_bytes())),
        1 => (Just(HandleChoice::Missing), prop::collection::vec(any::<u8>(), 0..128)),
        1 => (Just(HandleChoice::Missing), config_bytes()),
    ]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn exec_in_client_dll_never_writes_past_out_size(
        id in exec_id(),
        (choice, input) in exec_input(),
        out_size in exec_out_size(),
        null_out in prop::bool::weighted(0.1),
    ) {
        let real = exec_open("fuzz-exec");
        // Put the handle number into the request.
        let input = match (&choice, serde_json::from_slice::<Value>(&input)) {
            (HandleChoice::Missing, _) | (_, Err(_)) => input,
            (_, Ok(Value::Object(mut m))) => {
                let n = match &choice {
                    HandleChoice::Real => json!(real),
                    HandleChoice::Number(v) => v.clone(),
                    HandleChoice::Missing => unreachable!(),
                };
                m.insert("handle".into(), n);
                Value::Object(m).to_string().into_bytes()
            }
            (_, Ok(_)) => input,
        };
        let (rc, response) = exec(id, &input, out_size, null_out, "ExecInClientDLL");
        // A handle OPEN made from a random configuration is closed again
        // (never the shared one).
        if id == 1 && rc == 0 {
            let n = response.expect("OPEN response")["handle"].as_i64().expect("handle number");
            if n != real {
                let close = format!("{{\"handle\":{n}}}");
                prop_assert_eq!(exec(2, close.as_bytes(), 256, false, "CLOSE").0, 0);
            }
        }
    }
}

#[test]
fn exec_reports_the_size_it_needs_and_keeps_the_response() {
    // Every size from 0 to the full response: canaries intact, and the
    // short "needed" answer whenever it fits.
    let real = exec_open("fuzz-exec-sizes");
    let input = format!("{{\"handle\":{real},\"locale\":\"es\"}}");
    let (rc, full) = exec(23, input.as_bytes(), 1 << 20, false, "MESSAGES");
    assert_eq!(rc, 0);
    let need = full.unwrap().to_string().len() + 1;
    for size in (0..need as i32 + 2)
        .step_by(97)
        .chain([need as i32 - 1, need as i32])
    {
        let (rc, v) = exec(23, input.as_bytes(), size, false, "MESSAGES sized");
        if size as usize >= need {
            assert_eq!(rc, 0);
        } else {
            assert_eq!(rc, R::BufferTooSmall as i32);
            if let Some(v) = v {
                assert_eq!(v["error"]["needed"], json!(need));
            }
        }
    }
    let close = format!("{{\"handle\":{real}}}");
    assert_eq!(exec(2, close.as_bytes(), 256, false, "CLOSE").0, 0);
}

#[test]
fn nasty_exec_inputs_are_typed_errors() {
    let mut real = exec_open("fuzz-exec-nasty");
    for doc in corpus::documents() {
        for id in [1, 2, 3, 14, 99] {
            for size in [0, 1, 64, 4096] {
                let (rc, v) = exec(id, &doc.bytes, size, false, doc.name);
                if id == 1 && rc == 0 {
                    let n = v.unwrap()["handle"].as_i64().unwrap();
                    let close = format!("{{\"handle\":{n}}}");
                    exec(2, close.as_bytes(), 256, false, "CLOSE");
                }
            }
        }
    }
    let templates = [
        r#"{"handle":@,"op":"version"}"#,
        "{\"handle\":HANDLE,\"op\":@}",
        "{\"handle\":HANDLE,\"action\":@}",
    ];
    for (i, template) in templates.iter().enumerate() {
        let template = template.replace("HANDLE", &real.to_string());
        for value in corpus::values(i == 0) {
            let doc = corpus::splice(&template, &value.bytes);
            for id in [2, 3, 10, 14, 19] {
                if id == 2 && i != 0 {
                    continue; // would close the shared handle
                }
                exec(
                    id,
                    &doc,
                    512,
                    false,
                    &format!("{} in {template} (id {id})", value.name),
                );
            }
        }
        // A valid handle number may have been guessed and closed: reopen.
        real = exec_open("fuzz-exec-nasty");
    }
}
