//! Where a handle keeps its state: the configuration's `state_file` and
//! `state` forms, the store they build, and the `store` object of the
//! `status` operation (docs/c-api.md, *The state store*).
//!
//! The forms:
//! - `"state_file": PATH` (or with `"state": "file"`): the local file, in
//!   clear, as before;
//! - `"state": "memory"`: nothing survives the handle (tests);
//! - `"state": {"kind": ...}`: every option, the seal key included, in one
//!   object, with `kind` `file`, `postgres` or `memory`. `state_file` and
//!   the object exclude each other.
//!
//! Errors are `SMARTLINK_RESULT_INVALID_CONFIG` and never hold the
//! PostgreSQL URL (its password): the URL is a [`SecretString`] from the
//! moment it is read, errors about it name the field and the parser's
//! complaint only, and a URL found where a path or a `state` name was
//! expected is refused without being echoed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use smartlink_core::{
    FileStateStore, FileStoreOptions, HostStoreOptions, HostedStateStore, InstallationSpec,
    MemoryStateStore, PgStateStore, PgStoreOptions, PgTarget, SealKey, SealedDocument, StateError,
    StateProblem, StateProblemCode, StateStore,
};

use crate::error::{FfiError, smartlink_result};

fn invalid_config(msg: impl Into<String>) -> FfiError {
    FfiError::new(smartlink_result::InvalidConfig, msg)
}

/// The `state` value as given, kept out of `Debug` (it may hold a URL with
/// a password).
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct StateValue(Value);

impl StateValue {
    /// The PostgreSQL URL given (`{"kind": "postgres", "url": ...}`), only
    /// to redact its password from the support report.
    pub(crate) fn url(&self) -> Option<&str> {
        self.0.get("url")?.as_str()
    }
}

impl std::fmt::Debug for StateValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateValue([not shown])")
    }
}

/// `{"kind": "memory"}`: nothing survives the handle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemoryObject {}

/// `{"kind": "file", ...}`: a file, on this machine's disk or on a folder
/// shared by the installation's machines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileObject {
    path: PathBuf,
    #[serde(default)]
    seal_key_file: Option<PathBuf>,
    /// The folder is shared by several machines: the login gate re-reads
    /// the file every `refresh_ms` (default 2000).
    #[serde(default)]
    shared: bool,
    #[serde(default)]
    refresh_ms: Option<u64>,
}

/// `{"kind": "postgres", ...}`: a PostgreSQL table shared by the
/// installation's machines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostgresObject {
    /// Never shown: it may hold a password.
    url: SecretString,
    seal_key_file: PathBuf,
    #[serde(default)]
    lease_ttl_ms: Option<u64>,
    #[serde(default)]
    refresh_ms: Option<u64>,
}

/// `{"kind": "callbacks", ...}`: the host's own store, through the table
/// given to `smartlink_configurator_new_with_store`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbacksObject {
    seal_key_file: PathBuf,
    #[serde(default)]
    lease_ttl_ms: Option<u64>,
    #[serde(default)]
    refresh_ms: Option<u64>,
}

/// The host's callbacks (`smartlink_configurator_new_with_store`), and the
/// flag set once the handle exists (then freeing it calls `release_ctx`).
pub(crate) type HostCallbacks = (crate::host_store::Callbacks, Arc<AtomicBool>);

/// The kinds of the object form.
const KINDS: &str = "\"file\", \"postgres\", \"callbacks\" or \"memory\"";

/// `, not "x"` for a short word, to echo a typo; nothing for anything
/// else, which could be a URL with a password.
fn echo_word(text: &str) -> String {
    if text.len() <= 24
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!(", not {text:?}")
    } else {
        String::new()
    }
}

/// Whether `text` looks like a connection string, a URL
/// (`postgres://user:password@...`) or libpq's `key=value` form with a
/// password (`password=…`, spaces around `=` allowed, as libpq reads
/// them): it may hold a password, so it is never echoed in an error nor
/// taken as a path (whose name `status` and the support report show).
pub(crate) fn looks_like_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.contains("://")
        || lower
            .match_indices("password")
            .any(|(at, word)| lower[at + word.len()..].trim_start().starts_with('='))
}

/// A path option: refused without an echo when it is a connection string.
fn path_option<'a>(field: &str, path: &'a Path) -> Result<&'a Path, FfiError> {
    if path.to_str().is_some_and(looks_like_url) {
        return Err(invalid_config(format!(
            "`{field}` holds a URL, not a path (it is not shown: it may hold a password); a PostgreSQL store is `\"state\": {{\"kind\": \"postgres\", \"url\": ...}}`"
        )));
    }
    Ok(path)
}

/// A positive number of milliseconds, at least `min`.
fn millis(field: &str, value: Option<u64>, min: u64) -> Result<Option<Duration>, FfiError> {
    match value {
        None => Ok(None),
        Some(n) if n < min.max(1) => Err(invalid_config(format!(
            "`{field}` must be at least {}",
            min.max(1)
        ))),
        Some(n) => Ok(Some(Duration::from_millis(n))),
    }
}

/// `text` with every occurrence of `secret` replaced (an error of the
/// object's parse that quotes a value given in the wrong field).
fn redacted(text: String, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() && text.contains(s) => text.replace(s, "[not shown]"),
        _ => text,
    }
}

/// The store the configuration selects, for the installation `spec`.
pub(crate) fn build_store(
    state: Option<StateValue>,
    state_file: Option<PathBuf>,
    spec: &InstallationSpec,
    callbacks: Option<HostCallbacks>,
) -> Result<Arc<dyn StateStore>, FfiError> {
    let state = state.map(|s| s.0);
    let is_callbacks = matches!(&state, Some(Value::Object(o))
        if o.get("kind").and_then(Value::as_str) == Some("callbacks"));
    match (is_callbacks, callbacks) {
        (true, None) => {
            return Err(invalid_config(
                "`state.kind` \"callbacks\" needs the host's store: open the handle with smartlink_configurator_new_with_store",
            ));
        }
        (false, Some(_)) => {
            return Err(invalid_config(
                "smartlink_configurator_new_with_store needs `\"state\": {\"kind\": \"callbacks\", \"seal_key_file\": ...}`",
            ));
        }
        (true, Some(callbacks)) => {
            let Some(Value::Object(object)) = state else {
                unreachable!("checked above")
            };
            if state_file.is_some() {
                return Err(invalid_config(
                    "`state_file` and the object form of `state` exclude each other",
                ));
            }
            return build_callbacks(object, spec, callbacks);
        }
        (false, None) => {}
    }
    match (state, state_file) {
        (None | Some(Value::Null), Some(path)) => open_file(&path, "state_file"),
        (None | Some(Value::Null), None) => Err(invalid_config(
            "`state_file` or `state` is required (`\"state\": \"memory\"` for tests)",
        )),
        (Some(Value::String(name)), state_file) => match (name.as_str(), state_file) {
            ("memory", None) => Ok(Arc::new(MemoryStateStore::new())),
            ("memory", Some(_)) => Err(invalid_config(
                "`state: \"memory\"` and `state_file` exclude each other",
            )),
            ("file", Some(path)) => open_file(&path, "state_file"),
            ("file", None) => Err(invalid_config(
                "`state: \"file\"` needs `state_file` (or use the object form: `\"state\": {\"kind\": \"file\", \"path\": ...}`)",
            )),
            (other, _) => Err(invalid_config(format!(
                "`state` must be \"file\", \"memory\" or an object with a `kind` ({KINDS}){}",
                echo_word(other)
            ))),
        },
        (Some(Value::Object(_)), Some(_)) => Err(invalid_config(
            "`state_file` and the object form of `state` exclude each other: put the path in `state.path`",
        )),
        (Some(Value::Object(object)), None) => build_from_object(object, spec),
        (Some(_), _) => Err(invalid_config(
            "`state` must be a string (\"file\", \"memory\") or an object with a `kind`",
        )),
    }
}

fn open_file(path: &Path, field: &str) -> Result<Arc<dyn StateStore>, FfiError> {
    let path = path_option(field, path)?;
    Ok(Arc::new(
        FileStateStore::open(path).map_err(|e| invalid_config(format!("{field}: {e}")))?,
    ))
}

/// Deserializes the object form's fields (`kind` taken out), naming the
/// field at fault; a value that could be a URL is never quoted.
fn fields<T: serde::de::DeserializeOwned>(object: Map<String, Value>) -> Result<T, FfiError> {
    let secrets: Vec<SecretString> = object
        .values()
        .filter_map(Value::as_str)
        .filter(|text| looks_like_url(text))
        .map(SecretString::from)
        .collect();
    crate::de::from_value_named(Value::Object(object)).map_err(|e| {
        let e = secrets
            .iter()
            .fold(e, |e, s| redacted(e, Some(s.expose_secret())));
        invalid_config(format!("`state`: {e}"))
    })
}

fn build_from_object(
    mut object: Map<String, Value>,
    spec: &InstallationSpec,
) -> Result<Arc<dyn StateStore>, FfiError> {
    let kind = match object.remove("kind") {
        Some(Value::String(kind)) => kind,
        Some(_) => return Err(invalid_config(format!("`state.kind` must be {KINDS}"))),
        None => {
            return Err(invalid_config(format!("`state.kind` is required: {KINDS}")));
        }
    };
    match kind.as_str() {
        "memory" => {
            let MemoryObject {} = fields(object)?;
            Ok(Arc::new(MemoryStateStore::new()))
        }
        "file" => {
            let FileObject {
                path,
                seal_key_file,
                shared,
                refresh_ms,
            } = fields(object)?;
            let path = path_option("state.path", &path)?;
            let refresh = millis("state.refresh_ms", refresh_ms, 10)?;
            if refresh.is_some() && !shared {
                return Err(invalid_config(
                    "`state.refresh_ms` applies to a shared folder only: add `\"shared\": true`",
                ));
            }
            let mut options = FileStoreOptions::new();
            if shared {
                options = options.shared_folder();
                if let Some(every) = refresh {
                    options.shared_folder = Some(every);
                }
            }
            if let Some(key) = &seal_key_file {
                options = options.seal_key_file(path_option("state.seal_key_file", key)?);
            }
            Ok(Arc::new(
                FileStateStore::open_with(path, &options).map_err(|e| match e {
                    // The key file's own complaint names it.
                    StateError::Sealed { source, .. } => {
                        invalid_config(format!("`state.seal_key_file`: {source}"))
                    }
                    e => invalid_config(format!("`state.path`: {e}")),
                })?,
            ))
        }
        "postgres" => {
            let PostgresObject {
                url,
                seal_key_file,
                lease_ttl_ms,
                refresh_ms,
            } = fields(object)?;
            let mut options = PgStoreOptions::new();
            if let Some(ttl) = millis("state.lease_ttl_ms", lease_ttl_ms, 100)? {
                options = options.lease_ttl(ttl);
            }
            if let Some(every) = millis("state.refresh_ms", refresh_ms, 10)? {
                options = options.refresh_every(every);
            }
            // The parser's complaint names no part of the URL.
            let target = PgTarget::parse(url.expose_secret())
                .map_err(|e| invalid_config(format!("`state.url`: {e}")))?;
            drop(url);
            let key_file = path_option("state.seal_key_file", &seal_key_file)?;
            let key = SealKey::read_file(key_file)
                .map_err(|e| invalid_config(format!("`state.seal_key_file`: {e}")))?;
            Ok(Arc::new(
                PgStateStore::open(target, key, spec.id.clone(), spec.line, options)
                    .map_err(|e| invalid_config(format!("`state.url`: {e}")))?,
            ))
        }
        other => Err(invalid_config(format!(
            "`state.kind` must be {KINDS}{}",
            echo_word(other)
        ))),
    }
}

/// `{"kind": "callbacks", ...}` with the host's table.
fn build_callbacks(
    mut object: Map<String, Value>,
    spec: &InstallationSpec,
    (callbacks, armed): HostCallbacks,
) -> Result<Arc<dyn StateStore>, FfiError> {
    object.remove("kind");
    let CallbacksObject {
        seal_key_file,
        lease_ttl_ms,
        refresh_ms,
    } = fields(object)?;
    let mut options = HostStoreOptions::new();
    if let Some(ttl) = millis("state.lease_ttl_ms", lease_ttl_ms, 100)? {
        options = options.lease_ttl(ttl);
    }
    if let Some(every) = millis("state.refresh_ms", refresh_ms, 10)? {
        options = options.refresh_every(every);
    }
    let key_file = path_option("state.seal_key_file", &seal_key_file)?;
    let key = SealKey::read_file(key_file)
        .map_err(|e| invalid_config(format!("`state.seal_key_file`: {e}")))?;
    let backend = crate::host_store::CallbackBackend::new(
        callbacks,
        spec.id.as_str(),
        spec.line.as_str(),
        armed,
    )?;
    let document = SealedDocument::new(key, spec.id.clone(), spec.line, options.name.clone());
    Ok(Arc::new(HostedStateStore::new(
        Box::new(backend),
        document,
        options,
    )))
}

/// The `store` object of the `status` operation: what the store is
/// ([`StateStore::describe`]) and what it holds now
/// ([`StateStore::observe`]). A store that cannot be observed does not fail
/// the status: its observation is reported unknown (`observed: false`,
/// with why). When the status's own load just found the store unreachable,
/// it is not asked again (that would wait a second time).
pub(crate) fn store_status(store: &dyn StateStore, problem: Option<&StateProblem>) -> Value {
    let description = store.describe();
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let mut out = json!({
        "kind": description.kind,
        "location": description.location,
        "refresh_ms": description.refresh_every.map(millis),
        "lease_ttl_ms": store.lease_ttl().map(millis),
    });
    let observed = match problem {
        Some(p) if p.code == StateProblemCode::Unreachable => Err(p.detail.clone()),
        _ => store.observe().map_err(|e| e.to_string()),
    };
    let fields = out.as_object_mut().expect("an object");
    match observed {
        Ok(o) => {
            fields.insert("observed".into(), json!(true));
            fields.insert("version".into(), json!(o.version));
            fields.insert("lease_holder".into(), json!(o.lease_holder));
            fields.insert("lease_epoch".into(), json!(o.lease_epoch));
            fields.insert("lease_expires_in_ms".into(), json!(o.lease_expires_in_ms));
        }
        Err(detail) => {
            fields.insert("observed".into(), json!(false));
            for key in [
                "version",
                "lease_holder",
                "lease_epoch",
                "lease_expires_in_ms",
            ] {
                fields.insert(key.into(), Value::Null);
            }
            fields.insert("observe_error".into(), json!(detail));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InstallationSpec {
        InstallationSpec::parse("store-config-01", "protheus", "production", None).unwrap()
    }

    fn build(state: Value, state_file: Option<&str>) -> Result<Arc<dyn StateStore>, FfiError> {
        build_store(
            Some(StateValue(state)),
            state_file.map(PathBuf::from),
            &spec(),
            None,
        )
    }

    fn refusal(state: Value, state_file: Option<&str>) -> String {
        let e = build(state, state_file).err().expect("refused");
        assert_eq!(e.code, smartlink_result::InvalidConfig, "{}", e.message);
        e.message
    }

    #[test]
    fn the_object_form_refuses_unknown_fields_and_names_missing_ones() {
        let m = refusal(
            json!({"kind": "file", "path": "/tmp/x", "sharde": true}),
            None,
        );
        assert!(m.contains("unknown field `sharde`"), "{m}");
        let m = refusal(
            json!({"kind": "postgres", "url": "postgres://u:hunter2@h/db"}),
            None,
        );
        assert!(m.contains("missing field `seal_key_file`"), "{m}");
        assert!(!m.contains("hunter2"), "{m}");
        let m = refusal(json!({"kind": "sqlite", "path": "/tmp/x"}), None);
        assert!(m.contains("not \"sqlite\""), "{m}");
        let m = refusal(
            json!({"kind": "file", "path": "/tmp/x", "refresh_ms": "x"}),
            None,
        );
        assert!(m.contains("`refresh_ms`: invalid type"), "{m}");
        let m = refusal(json!({"path": "/tmp/x"}), None);
        assert!(m.contains("kind"), "{m}");
        let m = refusal(json!({"kind": "memory", "path": "/tmp/x"}), None);
        assert!(m.contains("unknown field `path`"), "{m}");
    }

    #[test]
    fn a_url_is_never_echoed_wherever_it_is_put() {
        let url = "postgres://smartlink:hunter2@db.example.com:5432/erp";
        for (state, file) in [
            (json!(url), None),
            (json!("file"), Some(url)),
            (json!({"kind": "file", "path": url}), None),
            (
                json!({"kind": "file", "path": "/tmp/x", "refresh_ms": url}),
                None,
            ),
            (
                json!({"kind": "postgres", "url": url, "seal_key_file": "/x", "lease_ttl_ms": url}),
                None,
            ),
            (
                json!({"kind": "postgres", "url": url, "seal_key_file": url}),
                None,
            ),
            (
                json!({"kind": "file", "path": "host=db password=hunter2"}),
                None,
            ),
            (json!("file"), Some("host=db password=hunter2")),
            // libpq's spaces around `=`, and a quoted value.
            (
                json!({"kind": "file", "path": "host=db password = hunter2"}),
                None,
            ),
            (json!("file"), Some("host=db password ='hunter2 x'")),
            (
                json!({"kind": "postgres", "url": "host=127.0.0.1", "seal_key_file": "dbname=x PASSWORD\t= hunter2"}),
                None,
            ),
        ] {
            let m = refusal(state, file);
            assert!(!m.contains("hunter2"), "{m}");
        }
        // A malformed URL: the field is named, the text is not.
        let m = refusal(
            json!({"kind": "postgres", "url": "postgres://u:hunter2@[::1/x", "seal_key_file": "/x"}),
            None,
        );
        assert!(m.contains("`state.url`") && !m.contains("hunter2"), "{m}");
    }

    #[test]
    fn numbers_are_checked() {
        let m = refusal(
            json!({"kind": "file", "path": "/tmp/x", "refresh_ms": 500}),
            None,
        );
        assert!(m.contains("\"shared\": true"), "{m}");
        let m = refusal(
            json!({"kind": "file", "path": "/tmp/x", "shared": true, "refresh_ms": 0}),
            None,
        );
        assert!(m.contains("at least 10"), "{m}");
        let m = refusal(
            json!({"kind": "postgres", "url": "postgres://u@127.0.0.1/db", "seal_key_file": "/x", "lease_ttl_ms": 50}),
            None,
        );
        assert!(
            m.contains("`state.lease_ttl_ms` must be at least 100"),
            "{m}"
        );
    }

    #[test]
    fn the_short_forms_work_as_before() {
        assert_eq!(
            build(json!("memory"), None).unwrap().describe().kind,
            "memory"
        );
        assert_eq!(
            build(json!({"kind": "memory"}), None)
                .unwrap()
                .describe()
                .kind,
            "memory"
        );
        let m = refusal(json!("memory"), Some("/tmp/x"));
        assert!(m.contains("exclude each other"), "{m}");
        let m = refusal(json!("file"), None);
        assert!(m.contains("needs `state_file`"), "{m}");
        let m = refusal(json!("memroy"), None);
        assert!(m.contains("not \"memroy\""), "{m}");
        let m = refusal(json!({"kind": "file", "path": "/tmp/x"}), Some("/tmp/y"));
        assert!(m.contains("exclude each other"), "{m}");
        let m = refusal(json!(5), None);
        assert!(m.contains("a string"), "{m}");
        let e = build_store(None, None, &spec(), None).err().unwrap();
        assert!(
            e.message.contains("`state_file` or `state` is required"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_store_status_reports_an_unobservable_store_as_unknown() {
        struct Broken;
        impl StateStore for Broken {
            fn load(
                &self,
            ) -> Result<Option<smartlink_core::LocalState>, smartlink_core::StateError>
            {
                Ok(None)
            }
            fn save(
                &self,
                _: &smartlink_core::LocalState,
            ) -> Result<(), smartlink_core::StateError> {
                Ok(())
            }
            fn clear(&self) -> Result<(), smartlink_core::StateError> {
                Ok(())
            }
            fn try_lock(
                &self,
            ) -> Result<Option<smartlink_core::StateLock>, smartlink_core::StateError> {
                Ok(None)
            }
            fn stamp(&self) -> Option<u128> {
                None
            }
            fn observe(
                &self,
            ) -> Result<smartlink_core::StoreObservation, smartlink_core::StateError> {
                Err(smartlink_core::StateError::Unreachable {
                    store: "somewhere".into(),
                    cause: "down".into(),
                    fault: smartlink_core::StoreFault::Unreachable,
                })
            }
        }
        let v = store_status(&Broken, None);
        assert_eq!(v["kind"], "custom");
        assert_eq!(v["observed"], false);
        assert!(v["version"].is_null() && v["lease_holder"].is_null());
        assert!(v["observe_error"].as_str().unwrap().contains("down"), "{v}");

        let memory = MemoryStateStore::new();
        let v = store_status(&memory, None);
        assert_eq!(v["observed"], true, "{v}");
        assert_eq!(v["version"], 0, "{v}");
        assert!(v["refresh_ms"].is_null(), "{v}");
    }
}
