//! Bad input on the core's parsers of outside data: the platform's responses
//! (`HttpPlatform` against a mockito server answering random and hostile
//! bodies), the state file (`FileStateStore::load` of random bytes and
//! damaged envelopes) and the serde of the domain types. Properties: no
//! panic, every failure a typed error, no secret of the body or the file in
//! an error's text, corrupt files kept aside byte for byte.
//!
//! Cases: 256–512 per property (`SMARTLINK_LONG=1`: 10,000). See
//! `docs/reliability.md`, "Bad input".

use smartlink_testkit::corpus;

use std::io::Write;
use std::time::Duration;

use mockito::{Matcher, Server, ServerGuard};
use proptest::prelude::*;
use proptest::test_runner::Config;
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use smartlink_core::wizard::Action;
use smartlink_core::{
    BindTarget, ClientId, CreateEnvironment, Credentials, Environment, EnvironmentId,
    EnvironmentName, ErpLine, Etag, FileStateStore, HttpPlatform, HttpPlatformConfig,
    IdempotencyKey, Installation, InstallationId, InstallationName, IssueCredentials,
    IssuedCredentials, Kind, LocalState, Platform, PlatformError, StateError, StateStore,
};
use smartlink_sandbox::InMemoryPlatform;
use smartlink_sandbox::Seed;
use uuid::Uuid;

const TOKEN: &str = "tok-BEARER-51c9e2a7";
const VERIFY_SECRET: &str = "verify-SECRET-0b7d44e1";
const STATE_SECRET: &str = "state-SECRET-9d8e7f60";

fn cases(bounded: u32) -> Config {
    Config::with_cases(corpus::cases(bounded, 10_000))
}

// ---------------------------------------------------------------------------
// JSON strategies and a generic mutator
// ---------------------------------------------------------------------------

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,24}",
        "[a-z_]{0,12}",
        Just(String::new()),
        Just("\u{0}".to_owned()),
        Just("x".repeat(300)),
        Just("2026-11-28T12:00:00Z".to_owned()),
        Just("6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f0".to_owned()),
        Just("production".to_owned()),
        Just("protheus".to_owned()),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    corpus::random::number()
}

fn leaf() -> BoxedStrategy<Value> {
    corpus::random::leaf(any_string().boxed())
}

fn json_value() -> BoxedStrategy<Value> {
    corpus::random::tree(any_string().boxed(), any_string().boxed())
}

/// One change somewhere in a JSON tree: the node is found by walking
/// `path` (each step indexes the children modulo their number).
#[derive(Debug, Clone)]
enum Mutation {
    Remove(Vec<usize>),
    Replace(Vec<usize>, Value),
    AddField(Vec<usize>, String, Value),
    /// A number as a string, a string as a number, an object as an array…
    ChangeType(Vec<usize>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let path = prop::collection::vec(any::<usize>(), 0..5);
    prop_oneof![
        2 => path.clone().prop_map(Mutation::Remove),
        4 => (path.clone(), json_value()).prop_map(|(p, v)| Mutation::Replace(p, v)),
        1 => (path.clone(), any_string(), json_value())
            .prop_map(|(p, k, v)| Mutation::AddField(p, k, v)),
        2 => path.prop_map(Mutation::ChangeType),
    ]
}

fn path_of(m: &Mutation) -> &[usize] {
    match m {
        Mutation::Remove(p)
        | Mutation::Replace(p, _)
        | Mutation::AddField(p, _, _)
        | Mutation::ChangeType(p) => p,
    }
}

fn change_type(v: &Value) -> Value {
    match v {
        Value::Null => json!(0),
        Value::Bool(b) => json!(if *b { "true" } else { "false" }),
        Value::Number(n) => json!(n.to_string()),
        Value::String(s) => s.parse::<f64>().map_or(json!([s]), |f| json!(f)),
        Value::Array(a) => Value::Object(
            a.iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
        ),
        Value::Object(o) => Value::Array(o.values().cloned().collect()),
    }
}

/// Applies `m` to `root`. The walk stops early at a leaf; removing the root
/// replaces it by `null`.
fn mutate(root: &mut Value, m: &Mutation) {
    fn walk<'v>(v: &'v mut Value, path: &[usize]) -> (&'v mut Value, Option<usize>) {
        // Returns the parent of the target and the target's index in it,
        // or the target itself (None) when the path ends or hits a leaf.
        let Some((&step, rest)) = path.split_first() else {
            return (v, None);
        };
        let len = match v {
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            _ => 0,
        };
        if len == 0 {
            return (v, None);
        }
        let i = step % len;
        let descend = match &v {
            Value::Array(a) => matches!(a[i], Value::Array(_) | Value::Object(_)),
            Value::Object(o) => {
                matches!(o.values().nth(i), Some(Value::Array(_) | Value::Object(_)))
            }
            _ => false,
        };
        if rest.is_empty() || !descend {
            return (v, Some(i));
        }
        let child = match v {
            Value::Array(a) => &mut a[i],
            Value::Object(o) => o.values_mut().nth(i).unwrap(),
            _ => unreachable!(),
        };
        walk(child, rest)
    }
    let (parent, index) = walk(root, path_of(m));
    let target: &mut Value = match index {
        None => parent,
        Some(i) => {
            if let Mutation::Remove(_) = m {
                match parent {
                    Value::Array(a) => {
                        a.remove(i);
                    }
                    Value::Object(o) => {
                        let k = o.keys().nth(i).unwrap().clone();
                        o.remove(&k);
                    }
                    _ => {}
                }
                return;
            }
            match parent {
                Value::Array(a) => &mut a[i],
                Value::Object(o) => o.values_mut().nth(i).unwrap(),
                _ => unreachable!(),
            }
        }
    };
    match m {
        Mutation::Remove(_) => *target = Value::Null,
        Mutation::Replace(_, v) => *target = v.clone(),
        Mutation::AddField(_, k, v) => match target {
            Value::Object(o) => {
                o.insert(k.clone(), v.clone());
            }
            Value::Array(a) => a.push(v.clone()),
            other => *other = v.clone(),
        },
        Mutation::ChangeType(_) => *target = change_type(target),
    }
}

/// Byte-level damage: bit flips, cuts, inserted and replaced bytes.
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

/// `base` damaged: JSON mutations, bytes damage, random bytes or JSON.
fn hostile(base: Value) -> BoxedStrategy<Vec<u8>> {
    let text = base.to_string().into_bytes();
    let b = base.clone();
    prop_oneof![
        5 => prop::collection::vec(mutation(), 1..4).prop_map(move |ms| {
            let mut v = b.clone();
            for m in &ms {
                mutate(&mut v, m);
            }
            v.to_string().into_bytes()
        }),
        2 => damage(text),
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------
// Valid documents the mutations start from
// ---------------------------------------------------------------------------

fn env_json(id: &str) -> Value {
    json!({"id": id, "name": "Produção", "kind": "production", "etag": "\"7\"",
           "bindings": [{"installation_id": "inst-1", "installation_name": "Filial São Paulo",
                         "line": "protheus", "bound_at": "2026-11-28T12:00:00Z"}]})
}

fn issued_json() -> Value {
    json!({"client_id": "cli_1", "client_secret": "issued-SECRET-3c2b1a09",
           "tenant_id": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f0",
           "environment_id": "env_1", "expires_at": "2027-11-28T12:00:00Z", "reused": false})
}

fn seed_json() -> Value {
    json!({"environments": [
        {"id": "env_1", "name": "Produção", "kind": "production",
         "bindings": [{"installation_id": "inst-1", "installation_name": "Matriz",
                       "line": "protheus", "bound_at": "2026-11-28T12:00:00Z"}]},
        {"name": "Dev", "kind": "development"}]})
}

fn state_json() -> Value {
    json!({"format": "smartlink-state", "version": 1, "state": {
        "installation_id": "inst-1", "line": "protheus",
        "binding": {"environment_id": "env_1", "environment_name": "Produção",
                    "environment_kind": "production", "bound_at": "2026-11-28T12:00:00Z"},
        "credentials": {"client_id": "cli_1", "client_secret": STATE_SECRET,
                        "tenant_id": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f0",
                        "environment_id": "env_1", "expires_at": "2027-11-28T12:00:00Z"},
        "pending": {"task_id": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f2",
                    "installation": {"id": "inst-1", "name": "Matriz", "line": "protheus",
                                     "kind": "production"},
                    "target": {"target": "existing", "environment_id": "env_1",
                               "environment_name": "Produção", "etag": "\"7\"",
                               "overwrite": false},
                    "create_key": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f3",
                    "issue_key": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f4",
                    "started_at": "2026-11-28T12:00:00Z"},
        "last_task": {"task_id": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f1",
                      "outcome": {"outcome": "failed", "code": "transport", "detail": "x"},
                      "finished_at": "2026-11-28T12:00:01Z"}}})
}

fn action_json() -> Value {
    json!({"action": "set_name", "name": "Filial"})
}

#[test]
fn the_valid_documents_the_mutations_start_from_parse() {
    serde_json::from_value::<Environment>(env_json("env_1")).unwrap();
    serde_json::from_value::<IssuedCredentials>(issued_json()).unwrap();
    let seed: Seed = serde_json::from_value(seed_json()).unwrap();
    InMemoryPlatform::from_seed(&seed).unwrap();
    serde_json::from_value::<Action>(action_json()).unwrap();
    serde_json::from_value::<LocalState>(state_json()["state"].clone()).unwrap();
    let (_dir, store) = state_file(state_json().to_string().as_bytes());
    assert!(store.load().unwrap().is_some());
}

// ---------------------------------------------------------------------------
// (a) the platform's responses
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    List,
    Create,
    Bind,
    Issue,
    Verify,
    Unbind,
}

const ENDPOINTS: [Endpoint; 6] = [
    Endpoint::List,
    Endpoint::Create,
    Endpoint::Bind,
    Endpoint::Issue,
    Endpoint::Verify,
    Endpoint::Unbind,
];

impl Endpoint {
    fn method(self) -> &'static str {
        match self {
            Endpoint::List => "GET",
            Endpoint::Bind => "PUT",
            Endpoint::Unbind => "DELETE",
            _ => "POST",
        }
    }

    /// A valid 2xx body of the endpoint.
    fn valid_body(self) -> Value {
        match self {
            Endpoint::List => json!({"environments": [env_json("env_1"), env_json("env_2")],
                                     "next_cursor": null}),
            Endpoint::Create | Endpoint::Bind => env_json("env_1"),
            Endpoint::Issue => issued_json(),
            Endpoint::Verify => json!({"access_token": "access-SECRET-77aa01",
                                       "token_type": "Bearer", "expires_in": 3600}),
            Endpoint::Unbind => json!({}),
        }
    }
}

struct Mock {
    server: ServerGuard,
    runtime: tokio::runtime::Runtime,
    platform: HttpPlatform,
}

impl Mock {
    fn new() -> Self {
        let server = Server::new();
        let platform = HttpPlatform::new(
            HttpPlatformConfig::new(server.url(), SecretString::from(TOKEN))
                .with_max_attempts(1)
                .with_operation_deadline(Duration::from_secs(5))
                .without_proxy(),
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            server,
            runtime,
            platform,
        }
    }

    /// Makes the server answer `status` and `body` to the endpoint, calls
    /// it, and checks the outcome; `secrets` must not appear in an error.
    fn answer(
        &mut self,
        endpoint: Endpoint,
        status: usize,
        body: &[u8],
        secrets: &[&str],
        what: &str,
    ) -> Result<(), PlatformError> {
        self.server.reset();
        let _mock = self
            .server
            .mock(endpoint.method(), Matcher::Any)
            .with_status(status)
            .with_header("content-type", "application/json")
            .with_body(body)
            .create();
        let p = &self.platform;
        let result: Result<(), PlatformError> = self.runtime.block_on(async {
            match endpoint {
                Endpoint::List => p
                    .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
                    .await
                    .map(drop),
                Endpoint::Create => p
                    .create_environment(&CreateEnvironment {
                        name: EnvironmentName::new("Homologação").unwrap(),
                        kind: Kind::Homologation,
                        idempotency_key: IdempotencyKey::new(),
                    })
                    .await
                    .map(drop),
                Endpoint::Bind => p
                    .bind(
                        &installation(),
                        &BindTarget::with_etag(
                            EnvironmentId::new("env_1").unwrap(),
                            Etag::new("\"7\"").unwrap(),
                        ),
                    )
                    .await
                    .map(drop),
                Endpoint::Issue => p
                    .issue_credentials(&IssueCredentials {
                        environment_id: EnvironmentId::new("env_1").unwrap(),
                        installation_id: InstallationId::new("inst-1").unwrap(),
                        reuse_if_valid: true,
                        idempotency_key: IdempotencyKey::new(),
                    })
                    .await
                    .map(drop),
                Endpoint::Verify => p.verify_credentials(&verify_credentials()).await,
                Endpoint::Unbind => {
                    p.unbind(&smartlink_core::Unbind {
                        environment_id: EnvironmentId::new("env_1").unwrap(),
                        line: ErpLine::Protheus,
                        installation_id: InstallationId::new("inst-1").unwrap(),
                        etag: Etag::new("\"7\"").unwrap(),
                    })
                    .await
                }
            }
        });
        if let Err(e) = &result {
            let typed = match e {
                PlatformError::Api { status: s, .. } => *s as usize == status,
                PlatformError::Protocol { .. } | PlatformError::ResponseTooLarge { .. } => true,
                _ => false,
            };
            assert!(
                typed,
                "{what}: {endpoint:?} HTTP {status}: untyped error {e:?}"
            );
            // Display and Debug (which shows the body excerpt, "secrets
            // redacted").
            let shown = format!("{e} {e:?}");
            for secret in secrets.iter().chain(&[TOKEN, VERIFY_SECRET]) {
                assert!(
                    !shown.contains(secret),
                    "{what}: {endpoint:?}: secret {secret:?} in the error: {shown}"
                );
            }
        } else {
            assert!(
                (200..300).contains(&status),
                "{what}: {endpoint:?} succeeded on HTTP {status}"
            );
        }
        result
    }
}

fn installation() -> Installation {
    Installation::new(
        InstallationId::new("inst-1").unwrap(),
        InstallationName::new("Filial").unwrap(),
        ErpLine::Protheus,
        Kind::Production,
    )
}

fn verify_credentials() -> Credentials {
    Credentials {
        client_id: ClientId::new("cli_1").unwrap(),
        client_secret: SecretString::from(VERIFY_SECRET),
        tenant_id: Uuid::nil(),
        environment_id: EnvironmentId::new("env_1").unwrap(),
        expires_at: None,
    }
}

fn status() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => Just(200usize),
        1 => prop::sample::select(vec![201usize, 202, 204, 206, 299]),
        2 => prop::sample::select(vec![
            300usize, 301, 302, 304, 307, 400, 401, 403, 404, 405, 409, 412, 413, 418, 422,
            428, 429, 451, 500, 501, 502, 503, 504, 599,
        ]),
    ]
}

const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
];

/// A secret value as JSON string content: random words (the parts checked
/// for leaks) joined by separators a JSON string may hold.
fn secret_words() -> impl Strategy<Value = (Vec<String>, String)> {
    let word = "[A-Za-z0-9]{10,14}".prop_map(|w| format!("Q{w}"));
    let sep = prop::sample::select(vec![
        "", " ", "  ", "\\t", "\\n", ",", "}", "]", ";", "&", "'", "\\\"", "\\\\", "\\u0020", "=",
    ]);
    (
        word.clone(),
        prop::collection::vec((sep, word), 0..3),
        any::<bool>(),
    )
        .prop_map(|(first, rest, space_first)| {
            let mut words = vec![first.clone()];
            let mut text = if space_first {
                format!(" {first}")
            } else {
                first
            };
            for (sep, w) in rest {
                text.push_str(sep);
                text.push_str(&w);
                words.push(w);
            }
            (words, text)
        })
}

/// A body holding a secret field (at the top or nested), otherwise valid or
/// broken, so that errors are likely to quote the body's start.
fn body_with_secret(endpoint: Endpoint) -> impl Strategy<Value = (Vec<String>, Vec<u8>)> {
    (
        prop::sample::select(SECRET_KEYS.to_vec()),
        secret_words(),
        0usize..3,
        prop::collection::vec(mutation(), 0..3),
        prop::sample::select(vec![": ", ":", " : ", "=", ":\n"]),
    )
        .prop_map(move |(key, (words, text), place, mutations, colon)| {
            let mut v = endpoint.valid_body();
            for m in &mutations {
                mutate(&mut v, m);
            }
            let marker = "\u{1}SECRET\u{1}";
            let mut field = Map::new();
            field.insert(key.to_owned(), json!(marker));
            let field = Value::Object(field);
            match (&mut v, place) {
                (Value::Object(o), 0) => {
                    // First, so it sits in the excerpt.
                    let mut first = Map::new();
                    first.insert(key.to_owned(), json!(marker));
                    first.extend(std::mem::take(o));
                    *o = first;
                }
                (Value::Object(o), 1) => {
                    o.insert("nested".into(), json!({"deeper": [field]}));
                }
                _ => {
                    let mut o = Map::new();
                    o.insert("error".into(), json!("x"));
                    o.insert("detail".into(), field);
                    o.insert(key.to_owned(), json!(marker));
                    v = Value::Object(o);
                }
            }
            let serialized = v.to_string();
            let body = serialized.replace(
                &format!("\"{key}\":\"\\u0001SECRET\\u0001\""),
                &format!("\"{key}\"{colon}\"{text}\""),
            );
            (words, body.into_bytes())
        })
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop::sample::select(ENDPOINTS.to_vec())
}

fn platform_case() -> impl Strategy<Value = (Endpoint, usize, Vec<u8>, Vec<String>)> {
    endpoint().prop_flat_map(|e| {
        prop_oneof![
            3 => (status(), hostile(e.valid_body()))
                .prop_map(move |(s, body)| (e, s, body, Vec::new())),
            2 => (status(), body_with_secret(e))
                .prop_map(move |(s, (words, body))| (e, s, body, words)),
            1 => (status(), "[ -~]{0,64}")
                .prop_map(move |(s, text)| {
                    // The server echoing the secret it was sent.
                    let sent = if matches!(e, Endpoint::Verify) { VERIFY_SECRET } else { TOKEN };
                    let body = format!("{{\"detail\":\"{text} {sent}\",\
                        \"error_description\":\"Bearer {sent}\",\"title\":\"{sent}\"}}");
                    (e, s, body.into_bytes(), Vec::new())
                }),
        ]
    })
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_platform_answer_is_a_typed_error_without_secrets(
        (endpoint, status, body, secrets) in platform_case()
    ) {
        let mut mock = MOCK.with(|m| m.take()).unwrap_or_else(Mock::new);
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let _ = mock.answer(endpoint, status, &body, &secrets, "random answer");
        MOCK.with(|m| m.set(Some(mock)));
    }
}

thread_local! {
    /// One mock server per test thread, reused by the property's cases.
    static MOCK: std::cell::Cell<Option<Mock>> = const { std::cell::Cell::new(None) };
}

#[test]
fn the_valid_bodies_the_mutations_start_from_are_accepted() {
    let mut mock = Mock::new();
    for e in ENDPOINTS {
        let body = e.valid_body().to_string();
        mock.answer(e, 200, body.as_bytes(), &[], "valid body")
            .unwrap_or_else(|err| panic!("{e:?}: {err}"));
    }
}

#[test]
fn nasty_platform_answers_are_typed_errors() {
    let mut mock = Mock::new();
    for doc in corpus::documents() {
        for e in ENDPOINTS {
            for status in [200, 400, 503] {
                let r = mock.answer(e, status, &doc.bytes, &[], doc.name);
                if !matches!(e, Endpoint::Unbind) {
                    assert!(r.is_err(), "{}: {e:?} accepted", doc.name);
                }
            }
        }
    }
    // Nasty values in the fields of valid bodies.
    for e in ENDPOINTS {
        let template = {
            let mut v = e.valid_body();
            let marker = json!("\u{1}AT\u{1}");
            match e {
                Endpoint::List => v["environments"][0]["name"] = marker,
                Endpoint::Create | Endpoint::Bind => v["id"] = marker,
                Endpoint::Issue => v["tenant_id"] = marker,
                Endpoint::Verify => v["access_token"] = marker,
                Endpoint::Unbind => v["x"] = marker,
            }
            v.to_string().replace("\"\\u0001AT\\u0001\"", "@")
        };
        for value in corpus::values(true) {
            let body = corpus::splice(&template, &value.bytes);
            mock.answer(e, 200, &body, &[], value.name).ok();
            // And as the problem document's detail.
            let problem = corpus::splice(r#"{"code":"conflict","detail":@}"#, &value.bytes);
            mock.answer(e, 409, &problem, &[], value.name).ok();
        }
    }
}

#[test]
fn secrets_with_spaces_and_escapes_are_not_quoted_in_errors() {
    // Hand-made: secret values the key-based redaction must cover whole.
    let mut mock = Mock::new();
    for value in [
        "abcdef ghijkl",
        "abcdef\\\"ghijkl",
        "abcdef,ghijkl",
        "abcdef}ghijkl",
        " abcdefghijkl",
        "abcdef\\u0020ghijkl",
        "abcdef\\\\ ghijkl",
    ] {
        for key in SECRET_KEYS {
            let body = format!(r#"{{"{key}":"{value}","id":7}}"#);
            let r = mock.answer(Endpoint::Create, 200, body.as_bytes(), &[], value);
            let e = r.expect_err("a wrong body");
            let shown = format!("{e} {e:?}");
            for word in ["abcdef", "ghijkl"] {
                assert!(!shown.contains(word), "{key}={value}: {shown}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// (b) the state file
// ---------------------------------------------------------------------------

fn state_file(bytes: &[u8]) -> (tempfile::TempDir, FileStateStore) {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(windows)]
    {
        // The store creates the directory and the file with their
        // owner-only DACLs; the bytes under test then replace the contents
        // in place (which keeps the DACL).
        let path = dir.path().join("private").join("state.json");
        let store = FileStateStore::open(&path).unwrap();
        store
            .save(&smartlink_core::LocalState::new(
                smartlink_core::InstallationId::new("bad-input-win").unwrap(),
                smartlink_core::ErpLine::Rm,
            ))
            .unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        (dir, store)
    }
    #[cfg(not(windows))]
    let path = dir.path().join("state.json");
    #[cfg(not(windows))]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(not(windows))]
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(windows))]
    {
        options.open(&path).unwrap().write_all(bytes).unwrap();
        let store = FileStateStore::open(&path).unwrap();
        (dir, store)
    }
}

/// Loads `bytes` from a state file and checks the outcome.
fn load(bytes: &[u8], what: &str) -> Result<LocalState, String> {
    let (_dir, store) = state_file(bytes);
    match store.load() {
        Ok(Some(state)) => {
            assert!(store.path().exists(), "{what}: loaded file removed");
            // What was read is written back and read again, unchanged.
            store.save(&state).unwrap();
            assert_eq!(store.load().unwrap(), Some(state.clone()), "{what}");
            Ok(state)
        }
        Ok(None) => panic!("{what}: Ok(None) though the file exists"),
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains(STATE_SECRET), "{what}: secret in {shown}");
            let kept = match &e {
                StateError::Corrupt { kept_at, .. } => kept_at,
                StateError::UnsupportedVersion { kept_at, found, .. } => {
                    assert!(*found > 1, "{what}: version {found} called unsupported");
                    kept_at
                }
                other => panic!("{what}: untyped error {other:?}"),
            };
            assert!(!store.path().exists(), "{what}: corrupt file left in place");
            assert_eq!(
                std::fs::read(kept).unwrap(),
                bytes,
                "{what}: the file kept aside differs"
            );
            Err(shown)
        }
    }
}

fn envelope() -> BoxedStrategy<Vec<u8>> {
    let base = state_json();
    let bare = base["state"].clone();
    prop_oneof![
        6 => hostile(base),
        1 => hostile(bare),
        2 => (
            prop_oneof![
                number(),
                Just(json!("1")),
                Just(json!(1.0)),
                Just(json!(0)),
                Just(json!(2)),
                Just(Value::Null),
            ],
            prop_oneof![
                Just(json!("smartlink-state")),
                Just(json!("SMARTLINK-STATE")),
                leaf(),
            ],
        )
            .prop_map(|(version, format)| {
                let mut v = state_json();
                v["version"] = version;
                v["format"] = format;
                v.to_string().into_bytes()
            }),
        1 => Just(b"{\"format\":\"smartlink-state\",\"version\":18446744073709551616,\"state\":{}}".to_vec()),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_state_file_loads_or_is_kept_aside(bytes in envelope()) {
        let _ = load(&bytes, "random state file");
    }
}

#[test]
fn nasty_state_files_load_or_are_kept_aside() {
    for doc in corpus::documents() {
        let r = load(&doc.bytes, doc.name);
        assert!(r.is_err(), "{}: loaded", doc.name);
    }
    let template = {
        let mut v = state_json();
        v["state"]["credentials"]["client_secret"] = json!("\u{1}AT\u{1}");
        v.to_string().replace("\"\\u0001AT\\u0001\"", "@")
    };
    let version =
        r#"{"format":"smartlink-state","version":@,"state":{"installation_id":"i","line":"rm"}}"#;
    for value in corpus::values(true) {
        let _ = load(&corpus::splice(&template, &value.bytes), value.name);
        let _ = load(&corpus::splice(version, &value.bytes), value.name);
    }
    // Past the size limit, without being read whole.
    let mut big = state_json().to_string().into_bytes();
    big.resize(16 * 1024 * 1024 + 1, b' ');
    let e = load(&big, "17 MB").unwrap_err();
    assert!(e.contains("larger than"), "{e}");
}

// ---------------------------------------------------------------------------
// (c) serde of the domain types
// ---------------------------------------------------------------------------

/// Parses `bytes` as `T` (from text and from a `Value`); what parses must
/// serialize and parse back to the same value.
fn roundtrip<T>(bytes: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    // Through a `Value` too (duplicate keys may then parse: the last wins).
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        let _ = serde_json::from_value::<T>(v);
    }
    let t = serde_json::from_slice::<T>(bytes).ok()?;
    let again: T = serde_json::from_str(&serde_json::to_string(&t).unwrap())
        .expect("a parsed value serializes to a parsable one");
    assert_eq!(again, t);
    Some(t)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn environments_parse_or_refuse(bytes in hostile(env_json("env_1"))) {
        roundtrip::<Environment>(&bytes);
    }

    #[test]
    fn issued_credentials_parse_or_refuse(bytes in hostile(issued_json())) {
        roundtrip::<IssuedCredentials>(&bytes);
    }

    #[test]
    fn actions_parse_or_refuse(bytes in hostile(action_json())) {
        roundtrip::<Action>(&bytes);
    }

    #[test]
    fn seeds_parse_or_refuse_and_build_or_refuse(bytes in hostile(seed_json())) {
        if let Some(seed) = roundtrip::<Seed>(&bytes) {
            let _ = InMemoryPlatform::from_seed(&seed);
        }
    }

    #[test]
    fn local_states_parse_or_refuse(bytes in hostile(state_json()["state"].clone())) {
        roundtrip::<LocalState>(&bytes);
    }
}

#[test]
fn nasty_documents_are_refused_by_every_domain_type() {
    for doc in corpus::documents() {
        assert!(
            roundtrip::<Environment>(&doc.bytes).is_none(),
            "{}",
            doc.name
        );
        assert!(
            roundtrip::<IssuedCredentials>(&doc.bytes).is_none(),
            "{}",
            doc.name
        );
        assert!(
            roundtrip::<LocalState>(&doc.bytes).is_none(),
            "{}",
            doc.name
        );
        // `{}` is an empty seed; `{"action": ...}` duplicates are not actions.
        let _ = roundtrip::<Action>(&doc.bytes);
        if let Some(seed) = roundtrip::<Seed>(&doc.bytes) {
            let _ = InMemoryPlatform::from_seed(&seed);
        }
    }
    let fields = [
        (env_json("env_1"), "id"),
        (env_json("env_1"), "name"),
        (env_json("env_1"), "etag"),
        (issued_json(), "client_id"),
        (issued_json(), "expires_at"),
        (action_json(), "name"),
    ];
    for (base, field) in fields {
        let mut v = base;
        v[field] = json!("\u{1}AT\u{1}");
        let template = v.to_string().replace("\"\\u0001AT\\u0001\"", "@");
        for value in corpus::values(true) {
            let bytes = corpus::splice(&template, &value.bytes);
            roundtrip::<Environment>(&bytes);
            roundtrip::<IssuedCredentials>(&bytes);
            roundtrip::<Action>(&bytes);
        }
    }
}
