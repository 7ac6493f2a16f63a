//! The configurator handle: a [`Configurator`], the tokio runtime its work
//! runs on, its locale, its default deadline and its cancellation signal.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use smartlink_core::FailureCode;
use smartlink_core::messages::{Locale, duration_text};
use smartlink_core::{ClientAuthMethod, HttpPlatform, HttpPlatformConfig};
use smartlink_core::{Configurator, InstallationSpec, StateStore};
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::error::{FfiError, smartlink_result};

/// How long an idle blocking thread (DNS lookups, file work) lingers before
/// it exits, so that an idle handle holds only its one worker thread.
const BLOCKING_KEEP_ALIVE: Duration = Duration::from_millis(200);
/// How long freeing a handle waits for its threads to finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// Default deadline of one blocking call when neither the configuration nor
/// the request gives one. (Each platform operation within the call keeps the
/// HTTP client's default budget of 60 s then: see `http_config`.)
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// The configuration JSON (the token is taken out before this is parsed, so
/// that it can never appear in a parse error).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    platform_url: String,
    #[serde(default)]
    token_url: Option<String>,
    #[serde(default)]
    client_auth: Option<String>,
    #[serde(default)]
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    read_timeout_ms: Option<u64>,
    #[serde(default)]
    deadline_ms: Option<u64>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    state_file: Option<PathBuf>,
    /// `"file"`, `"memory"` or the object form (see [`crate::store_config`]).
    #[serde(default)]
    state: Option<crate::store_config::StateValue>,
    installation: Value,
    #[serde(default)]
    locale: Option<String>,
    /// Whether `ensure_configured` binds the only environment a first
    /// binding can take without an administrator (default `true`; see
    /// docs/rules.md).
    #[serde(default)]
    bind_only_candidate: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstallationConfig {
    id: String,
    line: String,
    kind: String,
    #[serde(default)]
    name: Option<String>,
}

/// What a handle shares between the C pointer and the integer handle table.
pub struct HandleInner {
    configurator: Configurator,
    /// The store the configurator uses, for the `store` object of `status`.
    store: Arc<dyn StateStore>,
    locale: Locale,
    default_deadline: Duration,
    /// `None` once closed. Calls hold the read lock while they block, so
    /// closing (write lock) waits for them after cancelling them.
    runtime: RwLock<Option<Runtime>>,
    /// Bumped by `smartlink_cancel`: every call in flight gives up.
    cancel: watch::Sender<u64>,
    /// Set by `close` before it cancels.
    closing: AtomicBool,
    /// The secrets of the configuration (the platform token, the proxy's
    /// and the database URL's passwords), only to redact them from the
    /// support report.
    secrets: Vec<SecretString>,
}

impl std::fmt::Debug for HandleInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token: the configurator's Debug shows the installation only.
        f.debug_struct("HandleInner")
            .field("configurator", &self.configurator)
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

fn invalid_config(msg: impl Into<String>) -> FfiError {
    FfiError::new(smartlink_result::InvalidConfig, msg)
}

fn ms(field: &str, v: Option<u64>) -> Result<Option<Duration>, FfiError> {
    match v {
        Some(0) => Err(invalid_config(format!("{field} must be greater than 0"))),
        Some(n) => Ok(Some(Duration::from_millis(n))),
        None => Ok(None),
    }
}

/// The HTTP client's configuration, and the default deadline of a blocking
/// call. With `deadline_ms` both are that deadline; without it a call gets
/// [`DEFAULT_DEADLINE`] (120 s) and each platform operation the HTTP
/// client's own budget, `HttpPlatformConfig::DEFAULT_OPERATION_DEADLINE`
/// (60 s, retries included), so one slow operation fails with a timeout
/// before the call's deadline.
fn http_config(
    config: &Config,
    token: SecretString,
) -> Result<(HttpPlatformConfig, Duration), FfiError> {
    let mut http = HttpPlatformConfig::new(config.platform_url.clone(), token);
    if let Some(url) = &config.token_url {
        http = http.with_token_url(url.clone());
    }
    if let Some(name) = &config.client_auth {
        let method = ClientAuthMethod::parse(name).ok_or_else(|| {
            invalid_config(format!(
                "`client_auth`: {name:?} is not a client authentication method (client_secret_basic, client_secret_post)"
            ))
        })?;
        http = http.with_client_auth(method);
    }
    if let Some(d) = ms("connect_timeout_ms", config.connect_timeout_ms)? {
        http = http.with_connect_timeout(d);
    }
    if let Some(d) = ms("read_timeout_ms", config.read_timeout_ms)? {
        http = http.with_read_timeout(d);
    }
    let deadline = ms("deadline_ms", config.deadline_ms)?;
    if let Some(d) = deadline {
        http = http.with_operation_deadline(d);
    }
    match config.proxy.as_deref() {
        None => {}
        Some("" | "none") => http = http.without_proxy(),
        Some(url) => http = http.with_proxy(url),
    }
    if let Some(ca) = &config.ca_file {
        http = http.with_extra_ca_file(ca.clone());
    }
    Ok((http, deadline.unwrap_or(DEFAULT_DEADLINE)))
}

impl HandleInner {
    /// Builds a handle from the configuration JSON.
    pub fn from_json(json: &str) -> Result<Arc<Self>, FfiError> {
        Self::from_json_with_store(json, None)
    }

    /// Builds a handle from the configuration JSON and, for `"state":
    /// {"kind": "callbacks"}`, the host's store callbacks.
    pub(crate) fn from_json_with_store(
        json: &str,
        callbacks: Option<crate::host_store::Callbacks>,
    ) -> Result<Arc<Self>, FfiError> {
        let mut value: Value = serde_json::from_str(crate::de::without_bom(json)).map_err(|e| {
            FfiError::new(smartlink_result::InvalidJson, format!("configuration: {e}"))
        })?;
        let obj = value
            .as_object_mut()
            .ok_or_else(|| invalid_config("the configuration must be a JSON object"))?;
        let token = match obj.remove("token") {
            Some(Value::String(t)) if !t.is_empty() => SecretString::from(t),
            Some(_) => return Err(invalid_config("`token` must be a non-empty string")),
            None => return Err(invalid_config("`token` is required")),
        };
        let mut config: Config = crate::de::from_value_named(value)
            .map_err(|e| invalid_config(format!("configuration: {e}")))?;

        let installation: InstallationConfig =
            crate::de::from_value_named(std::mem::take(&mut config.installation)).map_err(|e| {
                FfiError::new(
                    smartlink_result::InvalidInstallation,
                    format!("installation: {e}"),
                )
            })?;
        let spec = InstallationSpec::parse(
            &installation.id,
            &installation.line,
            &installation.kind,
            installation.name.as_deref(),
        )
        .map_err(|e| {
            FfiError::new(
                smartlink_result::InvalidInstallation,
                format!("installation: {e}"),
            )
        })?;

        let locale = match config.locale.as_deref() {
            None => Locale::default(),
            Some(tag) => Locale::try_parse(tag).ok_or_else(|| {
                invalid_config(format!(
                    "`locale`: {tag:?} is not a language of the catalogue (pt-BR, es, en)"
                ))
            })?,
        };
        // The secrets of the configuration, for the support report's
        // redaction: the token, the proxy's and the database's passwords.
        let mut secrets = vec![token.clone()];
        let database_url = config.state.as_ref().and_then(|s| s.url());
        for url in [config.proxy.as_deref(), database_url]
            .into_iter()
            .flatten()
        {
            for spelling in smartlink_core::support::url_password_spellings(url) {
                secrets.push(SecretString::from(spelling));
            }
        }
        let (http, default_deadline) = http_config(&config, token)?;
        let platform =
            HttpPlatform::new(http).map_err(|e| invalid_config(format!("platform: {e}")))?;

        // Set once the handle exists: a failed opening never calls the
        // host's `release_ctx` (its context stays the host's).
        let armed = Arc::new(AtomicBool::new(false));
        let store = crate::store_config::build_store(
            config.state,
            config.state_file,
            &spec,
            callbacks.map(|c| (c, armed.clone())),
        )?;

        // One worker thread drives the background task and the HTTP
        // connections; calls block the caller's own thread. Idle: 1 thread.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .thread_keep_alive(BLOCKING_KEEP_ALIVE)
            .thread_name("smartlink")
            .enable_all()
            .build()
            .map_err(|e| {
                FfiError::new(
                    smartlink_result::Runtime,
                    format!("could not start the worker thread: {e}"),
                )
            })?;
        let configurator = Configurator::builder(spec, Arc::new(platform), store.clone())
            .runtime(runtime.handle().clone())
            .bind_only_candidate(config.bind_only_candidate.unwrap_or(true))
            .build()
            .map_err(|e| FfiError::new(smartlink_result::Runtime, e.to_string()))?;
        armed.store(true, Ordering::SeqCst);
        Ok(Arc::new(Self {
            configurator,
            store,
            locale,
            default_deadline,
            runtime: RwLock::new(Some(runtime)),
            cancel: watch::Sender::new(0),
            closing: AtomicBool::new(false),
            secrets,
        }))
    }

    /// The secrets of the configuration, only for redaction.
    pub(crate) fn secrets(&self) -> &[SecretString] {
        &self.secrets
    }

    /// The configurator.
    pub fn configurator(&self) -> &Configurator {
        &self.configurator
    }

    /// The state store the configuration selected.
    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// The handle's locale.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The default deadline of a blocking call.
    pub fn default_deadline(&self) -> Duration {
        self.default_deadline
    }

    /// Runs `fut` on the handle's runtime, blocking the calling thread, until
    /// it ends, `deadline` passes, or `smartlink_cancel` is called.
    pub fn block_on<T>(
        &self,
        deadline: Option<Duration>,
        fut: impl Future<Output = T>,
    ) -> Result<T, FfiError> {
        // The waiting below is written once for every operation: the
        // operation's future is boxed and leaves its answer in `out`.
        let mut out = None;
        self.block_on_erased(
            deadline,
            Box::pin(async {
                out = Some(fut.await);
            }),
        )?;
        out.ok_or_else(|| {
            FfiError::new(
                smartlink_result::Runtime,
                "the call ended without an answer",
            )
        })
    }

    fn block_on_erased(
        &self,
        deadline: Option<Duration>,
        fut: std::pin::Pin<Box<dyn Future<Output = ()> + '_>>,
    ) -> Result<(), FfiError> {
        let deadline = deadline.unwrap_or(self.default_deadline);
        let started = std::time::Instant::now();
        let mut cancelled = self.cancel.subscribe();
        let guard = self.runtime.read().unwrap_or_else(|e| e.into_inner());
        // `close` marks the handle before cancelling: a call that subscribed
        // too late to see the cancel sees the mark, so `close` never waits
        // for a whole deadline.
        if self.closing.load(Ordering::SeqCst) {
            return Err(FfiError::new(
                smartlink_result::Runtime,
                "the handle is closed",
            ));
        }
        let runtime = guard
            .as_ref()
            .ok_or_else(|| FfiError::new(smartlink_result::Runtime, "the handle is closed"))?;
        runtime.block_on(async move {
            tokio::select! {
                out = fut => Ok(out),
                _ = cancelled.changed() => Err(FfiError::new(
                    smartlink_result::Cancelled,
                    "the call was cancelled",
                ).with_sub_code("cancelled")),
                _ = tokio::time::sleep(deadline) => Err(FfiError::new(
                    smartlink_result::Timeout,
                    format!(
                        "the call did not finish within its deadline ({})",
                        duration_text(started.elapsed())
                    ),
                ).with_sub_code(FailureCode::Timeout.as_str())),
            }
        })
    }

    /// Makes every call in flight on this handle return `Cancelled`. Calls
    /// started afterwards are not affected.
    pub fn cancel(&self) {
        self.cancel.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Cancels calls in flight, waits for them, shuts the runtime down and
    /// joins its threads. Idempotent.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.cancel();
        let runtime = self
            .runtime
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(rt) = runtime {
            rt.shutdown_timeout(SHUTDOWN_WAIT);
        }
    }
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(deadline_ms: Option<u64>) -> Config {
        let mut value = serde_json::json!({
            "platform_url": "https://platform.example",
            "state": "memory",
            "installation": {"id": "i", "line": "protheus", "kind": "production"},
        });
        if let Some(ms) = deadline_ms {
            value["deadline_ms"] = ms.into();
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn deadline_defaults_are_120_s_per_call_and_60_s_per_platform_operation() {
        let (http, call) = http_config(&config(None), SecretString::from("t")).unwrap();
        assert_eq!(call, Duration::from_secs(120));
        assert_eq!(
            HttpPlatformConfig::DEFAULT_OPERATION_DEADLINE,
            Duration::from_secs(60)
        );
        assert!(
            format!("{http:?}").contains("operation_deadline: 60s"),
            "{http:?}"
        );

        let (http, call) = http_config(&config(Some(5000)), SecretString::from("t")).unwrap();
        assert_eq!(call, Duration::from_secs(5));
        assert!(
            format!("{http:?}").contains("operation_deadline: 5s"),
            "{http:?}"
        );
    }
}
