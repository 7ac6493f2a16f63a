//! The facade: an installation, a platform and a state store, tied into the
//! login gate, the wizard, the background task and the unattended paths.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::runtime::Handle;
use tokio::sync::watch;
use uuid::Uuid;

use crate::credentials::Credentials;
use crate::environment::{Environment, EnvironmentId, EnvironmentName};
use crate::error::ValidationError;
use crate::failure::FailureCode;
use crate::installation::{ErpLine, Installation, InstallationId, InstallationName, Kind};
use crate::platform::{
    BindTarget, CreateEnvironment, IdempotencyKey, IssueCredentials, Platform, PlatformError,
    Unbind,
};
pub use crate::rules::DecisionError;
use crate::rules::{Choice, Classification, Scenario, classify};
use crate::state::{
    LocalBinding, LocalState, PendingTask, PlanTarget, StateError, StateLock, StateStore,
    TaskOutcome, TaskRecord,
};
use crate::wizard::{
    Action, Effect, ErrorReason, Screen, TaskRequest, TaskStep, TaskTarget, Wizard,
};

mod tokens;

/// What the host says about its installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationSpec {
    /// The installation's id.
    pub id: InstallationId,
    /// Its ERP line.
    pub line: ErpLine,
    /// Its kind.
    pub kind: Kind,
    /// Its friendly name, when the host knows one (pre-fills the name screen).
    #[serde(default)]
    pub name: Option<InstallationName>,
}

impl InstallationSpec {
    /// Validates raw host data (R5: invalid data is a typed error, never a guess).
    pub fn parse(
        id: &str,
        line: &str,
        kind: &str,
        name: Option<&str>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            id: InstallationId::new(id)?,
            line: line.parse()?,
            kind: kind.parse()?,
            name: name.map(InstallationName::new).transpose()?,
        })
    }
}

/// Tuning of the configurator.
///
/// Retries are not tuned here: the platform client is the one layer that
/// retries (`HttpPlatformConfig::with_max_attempts`, its backoff and its
/// per-operation deadline). The configurator calls each step once.
#[derive(Debug, Clone)]
pub struct ConfiguratorOptions {
    /// How long the task waits for another process of this installation
    /// holding the state lock.
    pub lock_wait: Duration,
}

impl ConfiguratorOptions {
    /// Options with `lock_wait` set.
    pub fn with_lock_wait(mut self, lock_wait: Duration) -> Self {
        self.lock_wait = lock_wait;
        self
    }
}

impl Default for ConfiguratorOptions {
    fn default() -> Self {
        Self {
            lock_wait: Duration::from_secs(120),
        }
    }
}

/// Progress of the background task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    /// No task has run in this process.
    Idle,
    /// Accepted, not yet started.
    Pending {
        /// Task id.
        task_id: Uuid,
    },
    /// Running.
    Running {
        /// Task id.
        task_id: Uuid,
        /// The step under way.
        step: TaskStep,
    },
    /// Done: bound, credentials verified and stored.
    Succeeded {
        /// Task id.
        task_id: Uuid,
        /// The environment.
        environment_id: EnvironmentId,
        /// Its name.
        environment_name: EnvironmentName,
        /// Whether current credentials were reused.
        reused_credentials: bool,
    },
    /// Failed; the configurator is needed again.
    Failed {
        /// Task id, which is also the support id.
        task_id: Uuid,
        /// Why, as a typed code (serialized as its stable string).
        code: FailureCode,
        /// A detail without secrets.
        detail: String,
    },
}

impl TaskStatus {
    /// Whether the task has ended (or none ran).
    pub fn is_finished(&self) -> bool {
        !matches!(
            self,
            TaskStatus::Pending { .. } | TaskStatus::Running { .. }
        )
    }
}

/// What [`Configurator::ensure_configured`] found or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EnsureOutcome {
    /// Valid credentials were already stored; nothing was done.
    AlreadyConfigured,
    /// The platform already bound this installation: credentials were obtained
    /// (reused when valid), verified and stored.
    Configured {
        /// The environment.
        environment_id: EnvironmentId,
        /// Whether current credentials were reused.
        reused_credentials: bool,
    },
    /// An administrator must decide, in this scenario.
    AdminNeeded {
        /// The scenario to show.
        scenario: Scenario,
    },
}

/// What the unattended configuration binds to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "name", rename_all = "snake_case")]
pub enum UnattendedTarget {
    /// The listed environment with this name (case-insensitive, as names are unique so).
    Environment(String),
    /// Create an environment of the installation's kind with this name.
    Create(String),
}

/// Configuration without an administrator at a screen: the same rules and
/// the same confirmation type as the wizard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnattendedRequest {
    /// The installation's name (else the host's, else the platform's).
    #[serde(default)]
    pub installation_name: Option<String>,
    /// The target.
    pub target: UnattendedTarget,
    /// For an environment held by another installation of this line: its
    /// name, repeated, as the typed confirmation.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// What an unattended run did. Failures are errors; this is the success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnattendedOutcome {
    /// How it ended: always [`TaskStatus::Succeeded`]. When nothing was to
    /// do, its `task_id` is the task that configured the installation.
    pub status: TaskStatus,
    /// The installation was already configured exactly as asked (the same
    /// environment, or the one it created with that name): nothing was sent.
    pub nothing_to_do: bool,
    /// An interrupted task of this installation (the process died while it
    /// ran) was finished with its own idempotency keys.
    pub resumed: bool,
}

/// Errors of the facade.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfiguratorError {
    /// The wizard refused the action.
    #[error(transparent)]
    Wizard(#[from] crate::wizard::WizardError),
    /// The decision was refused.
    #[error(transparent)]
    Decision(#[from] DecisionError),
    /// The platform failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// The local state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// Another process of this installation held the state lock too long.
    #[error("another process of this installation is configuring it; try again later")]
    Busy,
    /// Nothing is configured (for rotation or unbinding).
    #[error("this installation is not configured")]
    NotConfigured,
    /// No tokio runtime to run the background task on.
    #[error("no async runtime: create the configurator inside a tokio runtime or pass a handle")]
    NoRuntime,
    /// The task failed.
    #[error("the configuration task failed ({code}): {detail} [support id {task_id}]")]
    TaskFailed {
        /// Task id (support id).
        task_id: Uuid,
        /// Why, as a typed code.
        code: FailureCode,
        /// Detail, without secrets.
        detail: String,
    },
}

/// A summary of what is configured, for a status screen or command. Never
/// holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigStatus {
    /// Whether the login gate would show the configurator.
    pub needs_configuration: bool,
    /// The stored state belongs to another installation id (a cloned database).
    pub state_from_other_installation: bool,
    /// The bound environment.
    pub binding: Option<LocalBinding>,
    /// The client id of the stored credentials.
    pub client_id: Option<String>,
    /// When the stored credentials expire.
    pub credentials_expire_at: Option<DateTime<Utc>>,
    /// The last task.
    pub last_task: Option<TaskRecord>,
    /// A task was interrupted (the process died while it ran).
    pub interrupted_task: Option<Uuid>,
    /// A problem found with the stored state (a corrupt or newer-version
    /// file set aside, permissions refused): show it and log it.
    pub state_problem: Option<StateProblem>,
    /// Why the login gate shows the configurator, when it does:
    /// `state_problem`, `other_installation`, `credentials_revoked`,
    /// `task_failed`, `task_interrupted`, `credentials_expired` or
    /// `not_configured`.
    pub reason: Option<String>,
    /// The platform refused the stored credentials (revoked or expired): why
    /// the configurator is needed again.
    #[serde(default)]
    pub credentials_revoked: Option<crate::state::Revocation>,
}

/// A problem with the stored state that the host should show and log. The
/// detail names the file (and where a bad one was kept), never its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProblem {
    /// `state_corrupt`, `state_newer_version`, `state_insecure` or
    /// `state_unreadable`.
    pub code: String,
    /// An English detail for logs.
    pub detail: String,
}

impl StateProblem {
    fn of(e: &StateError) -> Self {
        let code = match e {
            StateError::Corrupt { .. } => "state_corrupt",
            StateError::UnsupportedVersion { .. } => "state_newer_version",
            StateError::InsecurePermissions { .. } | StateError::ForeignOwner { .. } => {
                "state_insecure"
            }
            _ => "state_unreadable",
        };
        Self {
            code: code.to_owned(),
            detail: e.to_string(),
        }
    }

    /// A file set aside stays a problem to report after later loads find
    /// nothing; the others last as long as loading fails.
    fn is_sticky(&self) -> bool {
        matches!(self.code.as_str(), "state_corrupt" | "state_newer_version")
    }
}

struct GateCache {
    stamp: Option<u128>,
    loaded: bool,
    /// `None`: not configured; `Some(t)`: configured until `t`.
    configured_until: Option<DateTime<Utc>>,
}

struct Inner {
    spec: InstallationSpec,
    platform: Arc<dyn Platform>,
    store: Arc<dyn StateStore>,
    options: ConfiguratorOptions,
    runtime: Handle,
    wizard: Mutex<Wizard>,
    status: watch::Sender<TaskStatus>,
    gate: Mutex<GateCache>,
    state_problem: Mutex<Option<StateProblem>>,
    tokens: crate::token::TokenCache,
}

/// The SmartLink Configurator for one installation.
///
/// Cheap to clone (an `Arc`); safe to share between threads.
///
/// ```
/// use std::sync::Arc;
/// use smartlink_core::*;
/// use smartlink_core::wizard::{Action, Screen};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // A platform with one free production environment.
/// let seed: Seed = serde_json::from_str(r#"{"environments":[
///     {"id":"env_prd","name":"Produção","kind":"production"}]}"#).unwrap();
/// let platform = Arc::new(InMemoryPlatform::from_seed(&seed).unwrap());
/// let spec = InstallationSpec::parse("erp-prd-01", "protheus", "production", None).unwrap();
/// let cfg = Configurator::new(spec, platform.clone(), Arc::new(MemoryStateStore::new())).unwrap();
///
/// assert!(cfg.needs_configuration());           // the login gate: local only
/// cfg.apply(Action::Start).await.unwrap();
/// let screen = cfg.apply(Action::SetName { name: "Matriz".into() }).await.unwrap();
/// assert!(matches!(screen, Screen::ChooseEnvironment { create_offered: true, .. }));
/// cfg.apply(Action::Select { environment_id: EnvironmentId::new("env_prd").unwrap() }).await.unwrap();
/// let outcome = cfg.wait_for_task().await;      // the work ran in the background
/// assert!(matches!(outcome, TaskStatus::Succeeded { .. }));
/// assert!(!cfg.needs_configuration());
/// assert!(cfg.credentials().unwrap().is_some());
/// assert!(matches!(cfg.screen(), Screen::Done { .. }));
/// # });
/// ```
#[derive(Clone)]
pub struct Configurator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Configurator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Configurator")
            .field("installation", &self.inner.spec)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Configurator {
    /// A configurator on the current tokio runtime, with default options.
    pub fn new(
        spec: InstallationSpec,
        platform: Arc<dyn Platform>,
        store: Arc<dyn StateStore>,
    ) -> Result<Self, ConfiguratorError> {
        let runtime = Handle::try_current().map_err(|_| ConfiguratorError::NoRuntime)?;
        Ok(Self::with_runtime(
            spec,
            platform,
            store,
            runtime,
            ConfiguratorOptions::default(),
        ))
    }

    /// A configurator whose background work runs on `runtime`.
    pub fn with_runtime(
        spec: InstallationSpec,
        platform: Arc<dyn Platform>,
        store: Arc<dyn StateStore>,
        runtime: Handle,
        options: ConfiguratorOptions,
    ) -> Self {
        let wizard = Wizard::new(spec.name.clone());
        Self {
            inner: Arc::new(Inner {
                spec,
                platform,
                store,
                options,
                runtime,
                wizard: Mutex::new(wizard),
                status: watch::Sender::new(TaskStatus::Idle),
                gate: Mutex::new(GateCache {
                    stamp: None,
                    loaded: false,
                    configured_until: None,
                }),
                state_problem: Mutex::new(None),
                tokens: crate::token::TokenCache::new(),
            }),
        }
    }

    /// The installation as the host described it.
    pub fn installation(&self) -> &InstallationSpec {
        &self.inner.spec
    }

    /// The login gate: whether the configurator must be shown (or the
    /// transparent configuration run). Reads local state only, never the
    /// network; after the first call it costs one `stat` of the state file
    /// unless the file changed. An unreadable state counts as "needed".
    pub fn needs_configuration(&self) -> bool {
        let stamp = self.inner.store.stamp();
        let mut gate = lock(&self.inner.gate);
        if !gate.loaded || stamp.is_none() || gate.stamp != stamp {
            gate.configured_until = self.compute_configured_until();
            gate.stamp = stamp;
            gate.loaded = true;
        }
        match gate.configured_until {
            None => true,
            Some(until) => Utc::now() >= until,
        }
    }

    fn compute_configured_until(&self) -> Option<DateTime<Utc>> {
        let state = self.own_state().ok().flatten()?;
        let now = Utc::now();
        if !state.is_configured_at(now) {
            return None;
        }
        Some(
            state
                .credentials
                .as_ref()
                .and_then(|c| c.expires_at)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    fn invalidate_gate(&self) {
        lock(&self.inner.gate).loaded = false;
        self.tokens_state_changed();
    }

    /// The stored state when it was made for this installation; `None` when
    /// there is none or it belongs to another installation id (a clone: its
    /// binding and credentials are never used nor sent).
    fn own_state(&self) -> Result<Option<LocalState>, StateError> {
        let spec = &self.inner.spec;
        Ok(self
            .load_noting_problems()?
            .filter(|s| s.belongs_to(&spec.id, spec.line)))
    }

    /// Loads the state, remembering what went wrong for
    /// [`Configurator::status`] (the first load that finds a corrupt file
    /// sets it aside; later ones find nothing, so it must be remembered).
    fn load_noting_problems(&self) -> Result<Option<LocalState>, StateError> {
        let loaded = self.inner.store.load();
        let mut problem = lock(&self.inner.state_problem);
        match &loaded {
            Err(e) => {
                let found = StateProblem::of(e);
                tracing::warn!(code = %found.code, detail = %found.detail, "local state problem");
                *problem = Some(found);
            }
            Ok(_) => {
                if problem.as_ref().is_some_and(|p| !p.is_sticky()) {
                    *problem = None;
                }
            }
        }
        loaded
    }

    /// [`Configurator::own_state`] on the blocking pool: an async worker
    /// never waits on the disk (the C ABI's runtime has one worker).
    async fn own_state_async(&self) -> Result<Option<LocalState>, StateError> {
        let this = self.clone();
        blocking(move || this.own_state()).await
    }

    async fn own_or_new_state_async(&self) -> Result<LocalState, StateError> {
        let this = self.clone();
        blocking(move || this.own_or_new_state()).await
    }

    /// Saves on the blocking pool (a save fsyncs twice).
    async fn save_state(&self, state: &LocalState) -> Result<(), StateError> {
        let store = self.inner.store.clone();
        let state = state.clone();
        blocking(move || store.save(&state)).await
    }

    async fn clear_state(&self) -> Result<(), StateError> {
        let store = self.inner.store.clone();
        blocking(move || store.clear()).await
    }

    /// A new state was written: earlier problems are history.
    fn state_replaced(&self) {
        *lock(&self.inner.state_problem) = None;
    }

    /// The problem found with the stored state, if any (see
    /// [`ConfigStatus::state_problem`]).
    pub fn state_problem(&self) -> Option<StateProblem> {
        lock(&self.inner.state_problem).clone()
    }

    /// What is configured, for a status screen. Never holds the secret.
    pub fn status(&self) -> Result<ConfigStatus, StateError> {
        let spec = &self.inner.spec;
        let stored = self.load_noting_problems()?;
        let foreign = stored
            .as_ref()
            .is_some_and(|s| !s.belongs_to(&spec.id, spec.line));
        let own = stored.filter(|s| s.belongs_to(&spec.id, spec.line));
        let needs_configuration = self.needs_configuration();
        let state_problem = self.state_problem();
        let reason = needs_configuration.then(|| {
            let now = Utc::now();
            let code = if state_problem.is_some() {
                "state_problem"
            } else if foreign {
                "other_installation"
            } else if let Some(s) = &own {
                let failed = matches!(
                    s.last_task,
                    Some(TaskRecord {
                        outcome: TaskOutcome::Failed { .. },
                        ..
                    })
                );
                if s.active_revocation().is_some() {
                    "credentials_revoked"
                } else if failed {
                    "task_failed"
                } else if s.pending.is_some() {
                    "task_interrupted"
                } else if s
                    .credentials
                    .as_ref()
                    .is_some_and(|c| !c.is_unexpired_at(now))
                {
                    "credentials_expired"
                } else {
                    "not_configured"
                }
            } else {
                "not_configured"
            };
            code.to_owned()
        });
        Ok(ConfigStatus {
            state_problem,
            reason,
            needs_configuration,
            state_from_other_installation: foreign,
            binding: own.as_ref().and_then(|s| s.binding.clone()),
            client_id: own
                .as_ref()
                .and_then(|s| s.credentials.as_ref())
                .map(|c| c.client_id.to_string()),
            credentials_expire_at: own
                .as_ref()
                .and_then(|s| s.credentials.as_ref())
                .and_then(|c| c.expires_at),
            last_task: own.as_ref().and_then(|s| s.last_task.clone()),
            // A pending task whose failure is recorded was not interrupted:
            // it keeps its keys for the next attempt.
            interrupted_task: own.as_ref().and_then(|s| {
                let pending = s.pending.as_ref()?;
                let recorded = s.last_task.as_ref().map(|t| t.task_id);
                (recorded != Some(pending.task_id)).then_some(pending.task_id)
            }),
            credentials_revoked: own.as_ref().and_then(|s| s.active_revocation()).cloned(),
        })
    }

    /// The stored credentials, when configured: the one call that hands the
    /// secret to the host, on purpose.
    pub fn credentials(&self) -> Result<Option<Credentials>, StateError> {
        if self.needs_configuration() {
            return Ok(None);
        }
        Ok(self.own_state()?.and_then(|s| s.credentials))
    }

    /// The screen to draw now.
    pub fn screen(&self) -> Screen {
        lock(&self.inner.wizard).screen().clone()
    }

    /// The background task's progress.
    pub fn task_status(&self) -> TaskStatus {
        self.inner.status.borrow().clone()
    }

    /// Waits until the background task has ended and returns how.
    pub async fn wait_for_task(&self) -> TaskStatus {
        let mut rx = self.inner.status.subscribe();
        match rx.wait_for(TaskStatus::is_finished).await {
            Ok(status) => status.clone(),
            Err(_) => self.task_status(),
        }
    }

    /// Applies an admin action and returns the next screen. Listing the
    /// environments happens inside this call; the binding work is started
    /// in the background and observed with [`Configurator::task_status`].
    pub async fn apply(&self, action: Action) -> Result<Screen, ConfiguratorError> {
        let effect = lock(&self.inner.wizard).apply(action)?;
        match effect {
            Effect::None => {}
            Effect::LoadEnvironments => self.load_environments().await,
            Effect::Run(request) => self.start_task(request),
        }
        Ok(self.screen())
    }

    async fn load_environments(&self) {
        let spec = &self.inner.spec;
        let listed = self
            .inner
            .platform
            .list_environments(spec.line, &spec.id)
            .await;
        let local = self.own_state_async().await.ok().flatten();
        let local_env = local
            .as_ref()
            .and_then(|s| s.binding.as_ref())
            .map(|b| b.environment_id.clone());
        let mut wizard = lock(&self.inner.wizard);
        match listed {
            Ok(envs) => {
                let installation = self.installation_named(wizard.name().cloned());
                let classification = classify(&installation, local_env.as_ref(), &envs);
                if let Scenario::Inconsistent { reason } = &classification.scenario {
                    tracing::warn!(?reason, "inconsistent data: showing the error screen");
                }
                wizard.environments_loaded(classification);
            }
            Err(e) => {
                let support_id = Uuid::new_v4();
                tracing::warn!(%support_id, error = %e, "listing environments failed");
                wizard.platform_failed(
                    support_id,
                    ErrorReason::Platform {
                        code: error_code(&e),
                        detail: e.to_string(),
                        request_id: e.request_id().map(str::to_owned),
                    },
                );
            }
        }
    }

    fn installation_named(&self, name: Option<InstallationName>) -> Installation {
        let spec = &self.inner.spec;
        let name = name.or_else(|| spec.name.clone()).unwrap_or_else(|| {
            InstallationName::new(spec.id.as_str())
                .unwrap_or_else(|_| InstallationName::new("ERP").expect("a constant valid name"))
        });
        Installation::new(spec.id.clone(), name, spec.line, spec.kind)
    }

    fn start_task(&self, request: TaskRequest) {
        let task_id = request.task_id;
        self.inner
            .status
            .send_replace(TaskStatus::Pending { task_id });
        let this = self.clone();
        self.inner.runtime.spawn(async move {
            let guard = match this.acquire_lock(Some(task_id)).await {
                Ok(g) => g,
                Err(e) => {
                    this.report_failure(task_id, FailureCode::Busy, e.to_string());
                    return;
                }
            };
            let _ = this.run_task(guard, request).await;
        });
    }

    /// Takes the state lock, waiting up to the configured time. Only the
    /// wizard's background task (`announce`) shows the wait as its progress:
    /// the inline paths publish no status before they hold the lock, so a
    /// refusal can never leave a status that never ends.
    async fn acquire_lock(&self, announce: Option<Uuid>) -> Result<StateLock, ConfiguratorError> {
        let deadline = tokio::time::Instant::now() + self.inner.options.lock_wait;
        let mut announced = false;
        loop {
            if let Some(guard) = self.inner.store.try_lock()? {
                return Ok(guard);
            }
            if let Some(task_id) = announce
                && !announced
            {
                self.progress(task_id, TaskStep::WaitingForLock);
                announced = true;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ConfiguratorError::Busy);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn progress(&self, task_id: Uuid, step: TaskStep) {
        self.inner
            .status
            .send_replace(TaskStatus::Running { task_id, step });
        lock(&self.inner.wizard).task_progress(task_id, step);
    }

    fn report_failure(&self, task_id: Uuid, code: FailureCode, detail: String) {
        tracing::warn!(%task_id, %code, %detail, "configuration task failed");
        lock(&self.inner.wizard).task_failed(task_id, code.clone(), detail.clone());
        self.inner.status.send_replace(TaskStatus::Failed {
            task_id,
            code,
            detail,
        });
    }

    fn report_success(&self, status: &TaskStatus) {
        if let TaskStatus::Succeeded {
            environment_id,
            environment_name,
            reused_credentials,
            ..
        } = status
        {
            lock(&self.inner.wizard).task_succeeded(
                environment_id.clone(),
                environment_name.clone(),
                *reused_credentials,
            );
        }
        self.inner.status.send_replace(status.clone());
    }

    /// Runs the binding work while holding the state lock, then releases the
    /// lock and only then publishes the outcome: whoever waits for the task
    /// finds the store free when the wait ends. The outcome is persisted
    /// before it is published.
    async fn run_task(
        &self,
        guard: StateLock,
        request: TaskRequest,
    ) -> Result<TaskStatus, ConfiguratorError> {
        let task_id = request.task_id;
        let configured_before = self
            .own_state()
            .ok()
            .flatten()
            .is_some_and(|s| s.is_configured_at(Utc::now()));
        let mut touched = Touched::default();
        let result = self.run_steps(&request, &mut touched).await;
        let result = match result {
            Ok(status) => Ok(status),
            Err(e) => {
                let code = failure_code(&e);
                let detail = e.to_string();
                // A refusal before anything reached the platform changed
                // nothing: a configuration that was valid stays valid, and its
                // success is not overwritten by this failure.
                let keep_success = configured_before && !touched.platform;
                if keep_success {
                    tracing::info!(%task_id, %code, "task refused before any change; the configuration stays as it was");
                    // Configured before means no pending task before: put
                    // the state back as it was.
                    if let Ok(mut state) = self.own_or_new_state_async().await {
                        state.pending = None;
                        if let Err(save) = self.save_state(&state).await {
                            tracing::error!(%task_id, error = %save, "could not restore the state");
                        }
                    }
                } else if let Ok(mut state) = self.own_or_new_state_async().await {
                    // Best effort: if the state cannot be written the pending
                    // task still marks it unconfigured. A task that may have
                    // changed the platform keeps its keys, so the same
                    // decision made again finishes that work instead of
                    // creating a second environment; credentials already
                    // answered are asked for anew.
                    if touched.platform {
                        if let Some(pending) = state.pending.as_mut()
                            && touched.issue_answered
                        {
                            pending.issue_key = IdempotencyKey::new();
                        }
                    } else {
                        state.pending = None;
                    }
                    state.last_task = Some(TaskRecord {
                        task_id,
                        outcome: TaskOutcome::Failed {
                            code: code.clone(),
                            detail: detail.clone(),
                        },
                        finished_at: Utc::now(),
                    });
                    if let Err(save) = self.save_state(&state).await {
                        tracing::error!(%task_id, error = %save, "could not record the task's failure");
                    }
                }
                Err((code, detail))
            }
        };
        drop(guard);
        self.invalidate_gate();
        match result {
            Ok(status) => {
                self.report_success(&status);
                Ok(status)
            }
            Err((code, detail)) => {
                self.report_failure(task_id, code.clone(), detail.clone());
                Err(ConfiguratorError::TaskFailed {
                    task_id,
                    code,
                    detail,
                })
            }
        }
    }

    fn own_or_new_state(&self) -> Result<LocalState, StateError> {
        let spec = &self.inner.spec;
        Ok(self
            .own_state()?
            .unwrap_or_else(|| LocalState::new(spec.id.clone(), spec.line)))
    }

    /// The steps of a task. `touched` becomes true once a request that may
    /// change the platform has been sent (even if its answer was lost).
    async fn run_steps(
        &self,
        request: &TaskRequest,
        touched: &mut Touched,
    ) -> Result<TaskStatus, ConfiguratorError> {
        let task_id = request.task_id;
        let installation = self.installation_named(Some(request.name.clone()));
        let mut state = self.own_or_new_state_async().await?;

        // An interrupted task with the same target is finished with its own
        // keys: one confirmation creates at most one environment and issues
        // at most one set of credentials, whatever happened to the process.
        let resumed = state
            .pending
            .as_ref()
            .filter(|p| same_target(&p.target, &request.target));
        let (create_key, issue_key) = match resumed {
            Some(p) => (p.create_key, p.issue_key),
            None => (IdempotencyKey::new(), IdempotencyKey::new()),
        };
        let plan_target = match &request.target {
            TaskTarget::Existing { target, name, .. } => PlanTarget::Existing {
                environment_id: target.environment_id().clone(),
                environment_name: name.clone(),
                etag: target.etag().clone(),
                overwrite: target.is_overwrite(),
            },
            TaskTarget::Create { name } => PlanTarget::Create { name: name.clone() },
        };
        state.pending = Some(PendingTask {
            task_id,
            installation: installation.clone(),
            target: plan_target,
            create_key,
            issue_key,
            started_at: Utc::now(),
        });
        self.save_state(&state).await?;
        self.invalidate_gate();

        let (target, env_name, env_kind) = match &request.target {
            TaskTarget::Existing { target, name, kind } => (target.clone(), name.clone(), *kind),
            TaskTarget::Create { name } => {
                self.progress(task_id, TaskStep::Creating);
                let create = CreateEnvironment {
                    name: name.clone(),
                    kind: installation.kind,
                    idempotency_key: create_key,
                };
                let env = touched.sent(self.inner.platform.create_environment(&create).await)?;
                (BindTarget::plain(&env), env.name.clone(), env.kind)
            }
        };

        self.progress(task_id, TaskStep::Binding);
        let bound = touched.sent(self.inner.platform.bind(&installation, &target).await)?;
        let bound_at = bound
            .binding_for(installation.line)
            .map(|b| b.bound_at)
            .unwrap_or_else(Utc::now);

        self.progress(task_id, TaskStep::IssuingCredentials);
        let issue = IssueCredentials {
            environment_id: target.environment_id().clone(),
            installation_id: installation.id.clone(),
            reuse_if_valid: true,
            idempotency_key: issue_key,
        };
        let issued = touched.sent(self.inner.platform.issue_credentials(&issue).await)?;
        touched.issue_answered = true;
        self.progress(task_id, TaskStep::Verifying);
        self.inner
            .platform
            .verify_credentials(&issued.credentials)
            .await?;
        let reused = issued.reused;
        state.credentials = Some(issued.credentials);

        self.progress(task_id, TaskStep::Storing);
        state.binding = Some(LocalBinding {
            environment_id: target.environment_id().clone(),
            environment_name: env_name.clone(),
            environment_kind: env_kind,
            bound_at,
        });
        state.installation_name = Some(installation.name.clone());
        state.pending = None;
        state.last_task = Some(TaskRecord {
            task_id,
            outcome: TaskOutcome::Succeeded {
                environment_id: target.environment_id().clone(),
                reused_credentials: reused,
            },
            finished_at: Utc::now(),
        });
        self.save_state(&state).await?;
        self.invalidate_gate();
        self.state_replaced();

        Ok(TaskStatus::Succeeded {
            task_id,
            environment_id: target.environment_id().clone(),
            environment_name: env_name,
            reused_credentials: reused,
        })
    }

    /// Issues (or reuses) credentials, verifies them and puts them in `state`
    /// (not yet saved). Returns whether they were reused.
    async fn obtain_credentials(
        &self,
        task_id: Uuid,
        installation: &Installation,
        environment_id: &EnvironmentId,
        reuse_if_valid: bool,
        idempotency_key: IdempotencyKey,
        state: &mut LocalState,
    ) -> Result<bool, ConfiguratorError> {
        self.progress(task_id, TaskStep::IssuingCredentials);
        let issue = IssueCredentials {
            environment_id: environment_id.clone(),
            installation_id: installation.id.clone(),
            reuse_if_valid,
            idempotency_key,
        };
        let issued = self.inner.platform.issue_credentials(&issue).await?;
        self.progress(task_id, TaskStep::Verifying);
        self.inner
            .platform
            .verify_credentials(&issued.credentials)
            .await?;
        state.credentials = Some(issued.credentials);
        Ok(issued.reused)
    }

    /// Lists every environment and classifies the situation of
    /// `installation` against the local state. The platform client retries
    /// what is safe to retry; this layer does not.
    async fn list_and_classify(
        &self,
        installation: &Installation,
    ) -> Result<(Vec<Environment>, Classification), ConfiguratorError> {
        let spec = &self.inner.spec;
        let envs = self
            .inner
            .platform
            .list_environments(spec.line, &spec.id)
            .await?;
        let local_env = self
            .own_state()?
            .and_then(|s| s.binding)
            .map(|b| b.environment_id);
        let classification = classify(installation, local_env.as_ref(), &envs);
        Ok((envs, classification))
    }

    /// What an ERP calls at start-up, with no administrator present:
    /// (a) nothing when valid credentials are stored; (b) when the platform
    /// already binds this installation, obtains credentials (reusing valid
    /// ones), verifies and stores them; (c) otherwise reports that an
    /// administrator is needed, with the scenario.
    ///
    /// Several processes of one installation may call it at once: one does
    /// the work under the state lock, the others wait and find it done.
    ///
    /// Stored credentials close to expiry (less than the smaller of 7 days
    /// and a third of their lifetime left) are rotated first, with no gap:
    /// the new ones are issued, proven and stored, and their token published,
    /// before the old ones are let go (`Configured` with
    /// `reused_credentials: false`). A failed rotation keeps the old ones,
    /// which are still valid, and is tried again at the next call.
    pub async fn ensure_configured(&self) -> Result<EnsureOutcome, ConfiguratorError> {
        if let Some(rotated) = self.rotate_if_due().await {
            return Ok(rotated);
        }
        if !self.needs_configuration() {
            return Ok(EnsureOutcome::AlreadyConfigured);
        }
        let task_id = Uuid::new_v4();
        let guard = self.acquire_lock(None).await?;
        self.invalidate_gate();
        if !self.needs_configuration() {
            return Ok(EnsureOutcome::AlreadyConfigured);
        }
        let spec = &self.inner.spec;
        let installation = self.installation_named(None);
        let (envs, classification) = self.list_and_classify(&installation).await?;
        let Scenario::AlreadyBound { environment_id } = &classification.scenario else {
            return Ok(EnsureOutcome::AdminNeeded {
                scenario: classification.scenario,
            });
        };
        let env = envs
            .iter()
            .find(|e| &e.id == environment_id)
            .ok_or_else(|| DecisionError::EnvironmentNotFound(environment_id.to_string()))?;
        // Bound already: keep the name the platform knows unless the host gave one.
        let name = spec.name.clone().or_else(|| {
            env.binding_for(spec.line)
                .map(|b| b.installation_name.clone())
        });
        let request = TaskRequest {
            task_id,
            name: name.unwrap_or_else(|| installation.name.clone()),
            target: TaskTarget::Existing {
                target: BindTarget::plain(env),
                name: env.name.clone(),
                kind: env.kind,
            },
        };
        match self.run_task(guard, request).await? {
            TaskStatus::Succeeded {
                environment_id,
                reused_credentials,
                ..
            } => Ok(EnsureOutcome::Configured {
                environment_id,
                reused_credentials,
            }),
            other => Err(ConfiguratorError::TaskFailed {
                task_id,
                code: FailureCode::Internal,
                detail: format!("unexpected task status {other:?}"),
            }),
        }
    }

    /// Configures without prompts, by the same rules as the wizard: an
    /// environment held by another installation of this line is taken over
    /// only when `confirm` repeats its name exactly (R4).
    ///
    /// Safe to run again, and to run twice at once: the decision is made
    /// while holding the state lock, on the state and listing found then.
    /// An installation already configured exactly as asked is left alone
    /// ([`UnattendedOutcome::nothing_to_do`]); a task of this installation
    /// interrupted by a crash is finished with its own idempotency keys
    /// ([`UnattendedOutcome::resumed`]), so it never creates a second
    /// environment nor trips over the one it created.
    pub async fn configure_unattended(
        &self,
        request: &UnattendedRequest,
    ) -> Result<UnattendedOutcome, ConfiguratorError> {
        let spec = &self.inner.spec;
        let given_name = request
            .installation_name
            .as_deref()
            .map(InstallationName::new)
            .transpose()
            .map_err(DecisionError::Invalid)?;
        // Input errors are reported before waiting for anyone.
        let wanted_key = match &request.target {
            UnattendedTarget::Create(new_name) => EnvironmentName::new(new_name)
                .map_err(DecisionError::Invalid)?
                .uniqueness_key(),
            UnattendedTarget::Environment(wanted) => {
                if wanted.trim().is_empty() {
                    return Err(DecisionError::Invalid(ValidationError::Empty {
                        field: "environment_name",
                    })
                    .into());
                }
                EnvironmentName::key_of(wanted)
            }
        };

        let guard = self.acquire_lock(None).await?;
        let state = self.own_state_async().await?;

        // Already configured exactly as asked: nothing to do. With a name
        // given, the platform's listing must show it too (below).
        let configured_as_asked = state.as_ref().and_then(|state| {
            let binding = state.binding.as_ref()?;
            (state.is_configured_at(Utc::now())
                && binding.environment_name.uniqueness_key() == wanted_key)
                .then(|| nothing_to_do(state, binding))
        });
        let same_name = given_name.is_none()
            || state
                .as_ref()
                .is_some_and(|s| s.installation_name == given_name);
        if let Some(outcome) = &configured_as_asked
            && same_name
        {
            drop(guard);
            return Ok(outcome.clone());
        }

        let mut installation = self.installation_named(given_name.clone());
        let (envs, classification) = self.list_and_classify(&installation).await?;
        if let Scenario::Inconsistent { reason } = &classification.scenario {
            return Err(DecisionError::Inconsistent(reason.clone()).into());
        }
        let pending = state.as_ref().and_then(|s| s.pending.clone());
        let name = match (&given_name, &spec.name, &classification.scenario, &pending) {
            (Some(n), _, _, _) | (None, Some(n), _, _) => n.clone(),
            (None, None, _, Some(p)) => p.installation.name.clone(),
            (None, None, Scenario::AlreadyBound { environment_id }, None) => envs
                .iter()
                .find(|e| &e.id == environment_id)
                .and_then(|e| e.binding_for(spec.line))
                .map(|b| b.installation_name.clone())
                .ok_or(DecisionError::NameRequired)?,
            _ => return Err(DecisionError::NameRequired.into()),
        };
        installation.name = name.clone();

        // The environment this installation is bound to on the platform, when
        // it is the one asked for (by name): the work is to finish there.
        let bound_here = match &classification.scenario {
            Scenario::AlreadyBound { environment_id } => envs
                .iter()
                .find(|e| &e.id == environment_id && e.name.uniqueness_key() == wanted_key),
            _ => None,
        };

        if let (Some(outcome), Some(env), Some(given)) =
            (&configured_as_asked, bound_here, &given_name)
            && env
                .binding_for(spec.line)
                .is_some_and(|b| &b.installation_name == given)
        {
            drop(guard);
            return Ok(outcome.clone());
        }

        let resumable = pending
            .as_ref()
            .is_some_and(|p| match (&p.target, &request.target) {
                (PlanTarget::Create { name }, UnattendedTarget::Create(_)) => {
                    name.uniqueness_key() == wanted_key
                }
                (
                    PlanTarget::Existing {
                        environment_name, ..
                    },
                    UnattendedTarget::Environment(_),
                ) => environment_name.uniqueness_key() == wanted_key,
                _ => false,
            });

        let target = match (&request.target, bound_here) {
            // Bound there already (a crash after the bind, a lost local
            // state, or a run that asks for what is done): finish the work on
            // that environment; the bind is an idempotent repeat.
            (_, Some(env)) => TaskTarget::Existing {
                target: BindTarget::plain(env),
                name: env.name.clone(),
                kind: env.kind,
            },
            // The interrupted create is sent again with its key: the
            // platform answers with the environment it created then.
            (UnattendedTarget::Create(new_name), None) if resumable => TaskTarget::Create {
                name: EnvironmentName::new(new_name).map_err(DecisionError::Invalid)?,
            },
            (UnattendedTarget::Create(new_name), None) => {
                classification.decide(Choice::Create { name: new_name })?
            }
            (UnattendedTarget::Environment(wanted), None) => {
                classification.decide(Choice::Named {
                    name: wanted,
                    confirmation: request.confirm.as_deref(),
                })?
            }
        };
        let resumed = pending
            .as_ref()
            .is_some_and(|p| same_target(&p.target, &target));
        let task_id = Uuid::new_v4();
        self.inner
            .status
            .send_replace(TaskStatus::Pending { task_id });
        let status = self
            .run_task(
                guard,
                TaskRequest {
                    task_id,
                    name,
                    target,
                },
            )
            .await?;
        Ok(UnattendedOutcome {
            status,
            nothing_to_do: false,
            resumed,
        })
    }

    /// Issues new credentials (never reusing the current ones), verifies them,
    /// and only then replaces the stored ones.
    ///
    /// Issuing revokes the current credentials on the platform, so a rotation
    /// that fails after that point leaves nothing valid stored: the failure
    /// is recorded, the login gate shows the configuration as needed again,
    /// and [`Configurator::ensure_configured`] repairs it without an admin.
    pub async fn rotate_credentials(&self) -> Result<Credentials, ConfiguratorError> {
        let guard = self.acquire_lock(None).await?;
        let mut state = self
            .own_state_async()
            .await?
            .ok_or(ConfiguratorError::NotConfigured)?;
        let binding = state
            .binding
            .clone()
            .ok_or(ConfiguratorError::NotConfigured)?;
        let task_id = Uuid::new_v4();
        let installation = self.installation_named(None);
        let obtained = self
            .obtain_credentials(
                task_id,
                &installation,
                &binding.environment_id,
                false,
                IdempotencyKey::new(),
                &mut state,
            )
            .await;
        let outcome = match &obtained {
            Ok(_) => TaskOutcome::Succeeded {
                environment_id: binding.environment_id.clone(),
                reused_credentials: false,
            },
            Err(e) => TaskOutcome::Failed {
                code: failure_code(e),
                detail: e.to_string(),
            },
        };
        state.pending = None;
        state.last_task = Some(TaskRecord {
            task_id,
            outcome: outcome.clone(),
            finished_at: Utc::now(),
        });
        let saved = self.save_state(&state).await;
        drop(guard);
        self.invalidate_gate();
        if let Err(e) = obtained {
            let (code, detail) = (failure_code(&e), e.to_string());
            tracing::warn!(%task_id, %code, %detail, "credential rotation failed");
            self.inner.status.send_replace(TaskStatus::Failed {
                task_id,
                code,
                detail,
            });
            return Err(e);
        }
        saved?;
        self.inner.status.send_replace(TaskStatus::Succeeded {
            task_id,
            environment_id: binding.environment_id.clone(),
            environment_name: binding.environment_name.clone(),
            reused_credentials: false,
        });
        state.credentials.ok_or(ConfiguratorError::NotConfigured)
    }

    /// Forgets the local binding and credentials (for when the platform no
    /// longer knows them). Nothing is sent anywhere.
    pub fn forget_local(&self) -> Result<(), ConfiguratorError> {
        let guard = self
            .inner
            .store
            .try_lock()?
            .ok_or(ConfiguratorError::Busy)?;
        self.inner.store.clear()?;
        drop(guard);
        self.invalidate_gate();
        self.state_replaced();
        Ok(())
    }

    /// Removes this installation's binding on the platform (revoking its
    /// credentials), then forgets the local state. When the platform no
    /// longer binds the installation (an earlier unbind whose answer was
    /// lost, or someone else's), the local state is forgotten all the same.
    pub async fn unbind(&self) -> Result<(), ConfiguratorError> {
        let _guard = self.acquire_lock(None).await?;
        let spec = &self.inner.spec;
        let mut attempt_made = false;
        loop {
            let envs = self
                .inner
                .platform
                .list_environments(spec.line, &spec.id)
                .await?;
            let bound = envs.iter().find(|e| {
                e.binding_for(spec.line)
                    .is_some_and(|b| b.installation_id == spec.id)
            });
            let Some(bound) = bound else {
                let had_local = self
                    .own_state()?
                    .is_some_and(|s| s.binding.is_some() || s.credentials.is_some());
                if !had_local && !attempt_made {
                    return Err(ConfiguratorError::NotConfigured);
                }
                self.clear_state().await?;
                self.invalidate_gate();
                return Ok(());
            };
            let request = Unbind {
                environment_id: bound.id.clone(),
                line: spec.line,
                installation_id: spec.id.clone(),
                etag: bound.etag.clone(),
            };
            match self.inner.platform.unbind(&request).await {
                Ok(()) => {
                    self.clear_state().await?;
                    self.invalidate_gate();
                    return Ok(());
                }
                // The answer may have been lost after the platform acted
                // (a broken connection), or a retry saw the change it made
                // (412, not_bound): look again once before giving up. This
                // is a new decision on a new listing, not a blind retry.
                Err(e) if (e.is_conflict() || e.is_transient()) && !attempt_made => {
                    attempt_made = true
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Runs state I/O on the runtime's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StateError> + Send + 'static,
) -> Result<T, StateError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(StateError::Io {
            op: "state I/O (the worker thread failed)",
            path: std::path::PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        })
    })
}

/// What a task has done to the platform so far, for its failure path.
#[derive(Debug, Default)]
struct Touched {
    /// A request that may have changed the platform was sent.
    platform: bool,
    /// The credentials request was answered.
    issue_answered: bool,
}

impl Touched {
    /// Notes the result of a request that changes the platform unless it was
    /// refused outright (a 4xx answer, or never sent).
    fn sent<T>(&mut self, result: Result<T, PlatformError>) -> Result<T, PlatformError> {
        let refused = match &result {
            Ok(_) => false,
            Err(PlatformError::Api { status, .. }) => (400..500).contains(status),
            Err(PlatformError::Config(_) | PlatformError::InvalidInput(_)) => true,
            Err(_) => false,
        };
        if !refused {
            self.platform = true;
        }
        result
    }
}

/// The outcome of an unattended run that found the work done.
fn nothing_to_do(state: &LocalState, binding: &LocalBinding) -> UnattendedOutcome {
    let task_id = state
        .last_task
        .as_ref()
        .map(|t| t.task_id)
        .unwrap_or_else(Uuid::nil);
    UnattendedOutcome {
        status: TaskStatus::Succeeded {
            task_id,
            environment_id: binding.environment_id.clone(),
            environment_name: binding.environment_name.clone(),
            reused_credentials: true,
        },
        nothing_to_do: true,
        resumed: false,
    }
}

/// Whether an interrupted task aimed at the same place as a new one (then
/// the new one reuses its idempotency keys).
fn same_target(pending: &PlanTarget, target: &TaskTarget) -> bool {
    match (pending, target) {
        (PlanTarget::Create { name: old }, TaskTarget::Create { name }) => {
            old.uniqueness_key() == name.uniqueness_key()
        }
        (PlanTarget::Existing { environment_id, .. }, TaskTarget::Existing { target, .. }) => {
            environment_id == target.environment_id()
        }
        _ => false,
    }
}

/// The code of a failed task.
fn failure_code(e: &ConfiguratorError) -> FailureCode {
    match e {
        ConfiguratorError::Platform(p) => FailureCode::of_platform(p),
        ConfiguratorError::State(_) => FailureCode::State,
        ConfiguratorError::Decision(_) | ConfiguratorError::Wizard(_) => FailureCode::Decision,
        ConfiguratorError::Busy => FailureCode::Busy,
        ConfiguratorError::TaskFailed { code, .. } => code.clone(),
        _ => FailureCode::Internal,
    }
}

/// The code of a platform error, for task outcomes and screens.
pub fn error_code(e: &PlatformError) -> FailureCode {
    FailureCode::of_platform(e)
}
