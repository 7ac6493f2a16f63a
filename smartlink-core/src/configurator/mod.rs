//! The facade: an installation, a platform and a state store, tied into the
//! login gate, the wizard, the background task and the unattended paths.
//!
//! The module reads in parts: `types` (what hosts pass in and get back),
//! this file (the facade, the login gate, state I/O and the wizard's
//! actions), `task` (the binding task: lock, steps, outcome), `unattended`
//! (configuration without an administrator), `lifecycle` (start-up repair,
//! rotation, unbind, forget) and `tokens` (the runtime access tokens).

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
use crate::state::history::{Actor, AdministratorName, HistoryEntry, HistoryEvent, PlannedChange};
use crate::state::{
    LocalBinding, LocalState, PendingTask, PlanTarget, StateError, StateLock, StateStore,
    TaskOutcome, TaskRecord,
};
use crate::wizard::{
    Action, Effect, ErrorReason, Screen, TaskRequest, TaskStep, TaskTarget, Wizard,
};

mod gate;
mod lifecycle;
mod task;
mod tokens;
pub use tokens::CredentialsCheck;
mod types;
mod unattended;

use task::{Held, same_target};
pub use types::*;

struct Inner {
    spec: InstallationSpec,
    platform: Arc<dyn Platform>,
    store: Arc<dyn StateStore>,
    options: ConfiguratorOptions,
    runtime: Handle,
    wizard: Mutex<Wizard>,
    status: watch::Sender<TaskStatus>,
    gate: gate::GateCache,
    state_problem: Mutex<Option<StateProblem>>,
    tokens: crate::token::TokenCache,
    /// For a store shared by several machines: the gate's verdict, kept in
    /// memory and refreshed in the background.
    shared_gate: Option<SharedGate>,
    /// The stored state's version when the wizard listed the environments
    /// (or when this configurator's last task ended): a task started from
    /// that listing refuses to run when another machine wrote since.
    decided_on: Mutex<Option<u64>>,
}

/// The login gate of a shared store: the verdict lives in memory (two
/// atomics), a background task re-reads the store every `every` (the
/// bound on staleness), and a failed read keeps the last verdict.
struct SharedGate {
    /// Configured until this many ms since the epoch; `i64::MIN`: not
    /// configured.
    until_ms: std::sync::atomic::AtomicI64,
    loaded: std::sync::atomic::AtomicBool,
    /// Serializes reads of the store by the gate.
    reading: Mutex<()>,
    /// This process's writes so far: a read that began before a write
    /// never replaces the verdict that write set (it read an older state).
    writes: std::sync::atomic::AtomicU64,
    /// Serializes updates of the verdict.
    update: Mutex<()>,
}

/// The SmartLink Configurator for one installation.
///
/// Cheap to clone (an `Arc`); safe to share between threads. Its async
/// methods run on the caller's tokio runtime when awaited inside one, and on
/// the configurator's runtime (see [`ConfiguratorBuilder::runtime`])
/// otherwise, so any executor can await them.
///
/// ```
/// use std::sync::Arc;
/// use smartlink_core::*;
/// use smartlink_core::wizard::{Action, Screen};
/// use smartlink_sandbox::{InMemoryPlatform, Seed};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // A platform with one free production environment (the sandbox's
/// // in-memory platform; a host uses `HttpPlatform`).
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
    /// The administrator this handle acts for (see
    /// [`Configurator::with_administrator`]): per handle, not shared.
    administrator: Option<AdministratorName>,
}

impl std::fmt::Debug for Configurator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Configurator")
            .field("installation", &self.inner.spec)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Configurator`] (see [`Configurator::builder`]).
#[must_use]
pub struct ConfiguratorBuilder {
    spec: InstallationSpec,
    platform: Arc<dyn Platform>,
    store: Arc<dyn StateStore>,
    runtime: Option<Handle>,
    options: ConfiguratorOptions,
    #[cfg(feature = "testing")]
    token_options: Option<crate::token::TokenOptions>,
}

impl std::fmt::Debug for ConfiguratorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguratorBuilder")
            .field("installation", &self.spec)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ConfiguratorBuilder {
    /// Runs the background work on `runtime` (default: the runtime current
    /// when [`ConfiguratorBuilder::build`] is called).
    pub fn runtime(mut self, runtime: Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Replaces every option.
    pub fn options(mut self, options: ConfiguratorOptions) -> Self {
        self.options = options;
        self
    }

    /// How long the task waits for another process holding the state lock
    /// (`Duration::MAX`: for as long as it takes).
    pub fn lock_wait(mut self, lock_wait: Duration) -> Self {
        self.options.lock_wait = lock_wait;
        self
    }

    /// Whether `ensure_configured` binds the only environment a first
    /// binding can take without an administrator (default: yes; see
    /// [`ConfiguratorOptions::bind_only_candidate`]).
    pub fn bind_only_candidate(mut self, bind: bool) -> Self {
        self.options.bind_only_candidate = bind;
        self
    }

    /// Test hook (the `testing` feature): tunes the token cache (refresh
    /// margin, backoff, and a clock the test controls).
    #[cfg(feature = "testing")]
    pub fn token_options(mut self, options: crate::token::TokenOptions) -> Self {
        self.token_options = Some(options);
        self
    }

    /// The configurator. [`ConfiguratorError::NoRuntime`] when no runtime
    /// was given and none is current.
    pub fn build(self) -> Result<Configurator, ConfiguratorError> {
        let runtime = match self.runtime {
            Some(handle) => handle,
            None => Handle::try_current().map_err(|_| ConfiguratorError::NoRuntime)?,
        };
        let configurator =
            Configurator::assemble(self.spec, self.platform, self.store, runtime, self.options);
        #[cfg(feature = "testing")]
        if let Some(options) = self.token_options {
            configurator.inner.tokens.set_options(options);
        }
        Ok(configurator)
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
        Self::builder(spec, platform, store).build()
    }

    /// A configurator with a runtime or options of the host's choosing:
    ///
    /// ```
    /// # use std::{sync::Arc, time::Duration};
    /// # use smartlink_core::*;
    /// # use smartlink_sandbox::InMemoryPlatform;
    /// let runtime = tokio::runtime::Runtime::new().unwrap();
    /// let spec = InstallationSpec::parse("erp-01", "rm", "production", None).unwrap();
    /// let cfg = Configurator::builder(spec, Arc::new(InMemoryPlatform::new()), Arc::new(MemoryStateStore::new()))
    ///     .runtime(runtime.handle().clone())
    ///     .lock_wait(Duration::from_secs(30))
    ///     .build()
    ///     .unwrap();
    /// assert!(cfg.needs_configuration());
    /// ```
    pub fn builder(
        spec: InstallationSpec,
        platform: Arc<dyn Platform>,
        store: Arc<dyn StateStore>,
    ) -> ConfiguratorBuilder {
        ConfiguratorBuilder {
            spec,
            platform,
            store,
            runtime: None,
            options: ConfiguratorOptions::default(),
            #[cfg(feature = "testing")]
            token_options: None,
        }
    }

    fn assemble(
        spec: InstallationSpec,
        platform: Arc<dyn Platform>,
        store: Arc<dyn StateStore>,
        runtime: Handle,
        options: ConfiguratorOptions,
    ) -> Self {
        let wizard = Wizard::new(spec.name.clone());
        let refresh_every = store.describe().refresh_every;
        let shared_gate = refresh_every.map(|_| SharedGate {
            writes: std::sync::atomic::AtomicU64::new(0),
            update: Mutex::new(()),
            until_ms: std::sync::atomic::AtomicI64::new(i64::MIN),
            loaded: std::sync::atomic::AtomicBool::new(false),
            reading: Mutex::new(()),
        });
        let this = Self {
            inner: Arc::new(Inner {
                spec,
                platform,
                store,
                options,
                runtime,
                wizard: Mutex::new(wizard),
                status: watch::Sender::new(TaskStatus::Idle),
                gate: gate::GateCache::new(),
                state_problem: Mutex::new(None),
                tokens: crate::token::TokenCache::new(),
                shared_gate,
                decided_on: Mutex::new(None),
            }),
            administrator: None,
        };
        if let Some(every) = refresh_every {
            this.inner
                .runtime
                .spawn(refresh_gate(Arc::downgrade(&this.inner), every));
        }
        this
    }

    /// The store, for the support report.
    pub(crate) fn store(&self) -> &Arc<dyn StateStore> {
        &self.inner.store
    }

    /// The installation's name as stored (the support report), when the
    /// state could be read.
    pub(crate) fn stored_installation_name(&self) -> Option<InstallationName> {
        self.inner.store.load().ok().flatten()?.installation_name
    }

    /// The stored client secret, only to redact it from the support report.
    pub(crate) fn stored_client_secret(&self) -> Option<secrecy::SecretString> {
        let state = self.inner.store.load().ok().flatten()?;
        state.credentials.map(|c| c.client_secret)
    }

    /// The installation as the host described it.
    pub fn installation(&self) -> &InstallationSpec {
        &self.inner.spec
    }

    /// The same configurator, acting for the administrator `name`: the
    /// binding history records the changes made through the returned
    /// handle (the wizard's actions, [`Configurator::configure_unattended`],
    /// [`Configurator::rotate_credentials`], [`Configurator::unbind`],
    /// [`Configurator::forget_local`],
    /// [`Configurator::reverify_credentials`]) as made by them. `None`:
    /// no name ([`Actor::Unnamed`]). Cheap (a clone); the name belongs to
    /// the returned handle only, so two administrators may act through two
    /// handles of one configurator at once. A wizard task records the name
    /// of the handle that started it. The transparent paths
    /// ([`Configurator::ensure_configured`], the rotation before expiry, a
    /// refusal seen by the token endpoint) are always recorded as
    /// [`Actor::Transparent`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use smartlink_core::*;
    /// # use smartlink_sandbox::InMemoryPlatform;
    /// # let rt = tokio::runtime::Runtime::new().unwrap();
    /// # let _g = rt.enter();
    /// # let spec = InstallationSpec::parse("erp-01", "rm", "production", None).unwrap();
    /// # let cfg = Configurator::new(spec, Arc::new(InMemoryPlatform::new()), Arc::new(MemoryStateStore::new())).unwrap();
    /// let maria = cfg.with_administrator(Some(AdministratorName::new("Maria Souza").unwrap()));
    /// assert_eq!(maria.administrator().unwrap().as_str(), "Maria Souza");
    /// assert!(cfg.administrator().is_none());
    /// ```
    pub fn with_administrator(&self, name: Option<AdministratorName>) -> Self {
        Self {
            inner: self.inner.clone(),
            administrator: name,
        }
    }

    /// The administrator this handle acts for.
    pub fn administrator(&self) -> Option<&AdministratorName> {
        self.administrator.as_ref()
    }

    fn actor(&self) -> Actor {
        Actor::of(self.administrator.clone())
    }

    /// The binding history of this installation, newest first: at most
    /// [`crate::HISTORY_LIMIT`] entries, read from the state (so every
    /// machine sharing the state sees the same). Empty when there is no
    /// state, or when the stored state belongs to another installation.
    /// No entry holds a secret.
    pub fn history(&self) -> Result<Vec<HistoryEntry>, StateError> {
        Ok(self
            .own_state()?
            .map(|s| s.history_newest_first())
            .unwrap_or_default())
    }

    /// An entry about this installation made now by this process.
    fn history_entry(&self, event: HistoryEvent, actor: Actor, state: &LocalState) -> HistoryEntry {
        HistoryEntry::now(
            event,
            actor,
            self.inner.spec.id.clone(),
            state
                .installation_name
                .clone()
                .or_else(|| self.inner.spec.name.clone()),
        )
        .environment(
            state.binding.as_ref().map(|b| b.environment_id.clone()),
            state.binding.as_ref().map(|b| b.environment_name.clone()),
        )
    }

    /// The login gate: whether the configurator must be shown (or the
    /// transparent configuration run). Reads local state only, never the
    /// network; after the first call it costs one `stat` of the state file
    /// unless the file changed. An unreadable state counts as "needed".
    ///
    /// With a store shared by several machines
    /// ([`StoreDescription::refresh_every`](crate::StoreDescription)) the
    /// verdict comes from memory: a background task re-reads the store every
    /// period, so a change made on another machine is seen within it, and a
    /// store that cannot be read keeps the last verdict (while the
    /// credentials it saw are unexpired) and reports `state_unreachable` in
    /// [`Configurator::status`]. Only the first call waits for the first
    /// read.
    pub fn needs_configuration(&self) -> bool {
        if let Some(gate) = &self.inner.shared_gate {
            use std::sync::atomic::Ordering;
            if !gate.loaded.load(Ordering::Acquire) {
                self.refresh_shared_gate();
            }
            let until = gate.until_ms.load(Ordering::Acquire);
            return until == i64::MIN || Utc::now().timestamp_millis() >= until;
        }
        let stamp = self.inner.store.stamp();
        // Every ERP thread asks at login: the verdict is read without a
        // lock while the stamp still matches it.
        if stamp.is_some()
            && let Some(verdict) = self.inner.gate.read()
            && verdict.loaded
            && verdict.stamp == stamp
        {
            return verdict.needs_configuration_at(Utc::now());
        }
        let mut gate = self.inner.gate.writer();
        let mut verdict = gate.get();
        if !verdict.loaded || stamp.is_none() || verdict.stamp != stamp {
            verdict = gate::Verdict {
                stamp,
                loaded: true,
                configured_until: self.compute_configured_until(),
            };
            gate.set(verdict);
        }
        verdict.needs_configuration_at(Utc::now())
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

    /// After this process wrote the state: the gate reads it again (a
    /// local store), or already knows it (a shared store: the write set the
    /// verdict and told the token cache, see `save_state`).
    fn invalidate_gate(&self) {
        if self.inner.shared_gate.is_some() {
            return;
        }
        {
            let mut gate = self.inner.gate.writer();
            let verdict = gate.get();
            gate.set(gate::Verdict {
                loaded: false,
                ..verdict
            });
        }
        self.tokens_state_changed();
    }

    /// Another holder may have written the state: read it again now.
    fn reread_gate(&self) {
        if self.inner.shared_gate.is_some() {
            self.refresh_shared_gate();
        } else {
            self.invalidate_gate();
        }
    }

    /// A write of this process landed: a shared store's gate takes the
    /// written state as its verdict, and the token cache hears of it.
    fn wrote(&self, state: Option<&LocalState>) {
        let Some(gate) = &self.inner.shared_gate else {
            return;
        };
        {
            let _update = lock(&gate.update);
            let seen = gate
                .writes
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel)
                + 1;
            self.shared_verdict(seen, state);
        }
        let stored = state
            .and_then(|s| s.credentials.as_ref())
            .map(|c| c.client_id.clone());
        self.inner.tokens.state_changed(stored.as_ref());
    }

    /// Reads a shared store once and sets the gate's verdict; a failed read
    /// keeps the last verdict (the problem is noted for `status`).
    fn refresh_shared_gate(&self) {
        let Some(gate) = &self.inner.shared_gate else {
            return;
        };
        use std::sync::atomic::Ordering;
        let _reading = lock(&gate.reading);
        // `own_state` sets the verdict from what it read.
        match self.own_state() {
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the shared state could not be read: the login gate keeps its last verdict");
            }
        }
        gate.loaded.store(true, Ordering::Release);
    }

    /// The stored state when it was made for this installation; `None` when
    /// there is none or it belongs to another installation id (a clone: its
    /// binding and credentials are never used nor sent).
    fn own_state(&self) -> Result<Option<LocalState>, StateError> {
        let writes = self.writes_so_far();
        let loaded = self.load_noting_problems()?;
        Ok(self.own_of(loaded, writes))
    }

    /// `read` when it was made for this installation; with a shared store
    /// it also becomes the gate's verdict, unless this process wrote since
    /// `writes` (its count of writes before the read) was taken.
    fn own_of(&self, read: Option<LocalState>, writes: Option<u64>) -> Option<LocalState> {
        let spec = &self.inner.spec;
        let own = read.filter(|s| s.belongs_to(&spec.id, spec.line));
        if let (Some(gate), Some(seen)) = (&self.inner.shared_gate, writes) {
            let _update = lock(&gate.update);
            self.shared_verdict(seen, own.as_ref());
        }
        own
    }

    /// With a shared store, every read of the state also refreshes the
    /// gate's verdict (the latest read is the best knowledge; a decision
    /// made under the lease reads the state first).
    ///
    /// `seen` is the count of this process's writes when the state was read
    /// (or the write's own number): a read that a later write overtook is
    /// not taken. Called with `SharedGate::update` held.
    fn shared_verdict(&self, seen: u64, own: Option<&LocalState>) {
        let Some(gate) = &self.inner.shared_gate else {
            return;
        };
        use std::sync::atomic::Ordering;
        if gate.writes.load(Ordering::Acquire) != seen {
            return;
        }
        let now = Utc::now();
        let until = own
            .filter(|s| s.is_configured_at(now))
            .map(|s| {
                s.credentials
                    .as_ref()
                    .and_then(|c| c.expires_at)
                    .map_or(i64::MAX, |t| t.timestamp_millis())
            })
            .unwrap_or(i64::MIN);
        let before = gate.until_ms.swap(until, Ordering::AcqRel);
        gate.loaded.store(true, Ordering::Release);
        if until != before {
            let stored = own
                .and_then(|s| s.credentials.as_ref())
                .map(|c| c.client_id.clone());
            self.inner.tokens.state_changed(stored.as_ref());
        }
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
        self.blocking(move || this.own_state()).await
    }

    /// The state at the start of work under `held`: what the store read
    /// in the same step as it took the lease when it did (one round trip
    /// fewer on a database), else read now.
    async fn own_state_held(&self, held: &task::Held) -> Result<Option<LocalState>, StateError> {
        if let Some(found) = held.lock().found_state() {
            return Ok(self.own_of(found, held.writes_before));
        }
        self.own_state_async().await
    }

    /// This process's writes so far, with a shared store.
    fn writes_so_far(&self) -> Option<u64> {
        self.inner
            .shared_gate
            .as_ref()
            .map(|g| g.writes.load(std::sync::atomic::Ordering::Acquire))
    }

    async fn own_or_new_state_async(&self) -> Result<LocalState, StateError> {
        let this = self.clone();
        self.blocking(move || this.own_or_new_state()).await
    }

    /// Saves under `held` (a compare-and-swap fenced by the lease, see
    /// [`StateStore::save_fenced`]) on the blocking pool (a file save fsyncs
    /// twice). A lost lease or a lost compare-and-swap marks the lease lost:
    /// nothing more is written under it.
    async fn save_state(&self, held: &Held, state: &LocalState) -> Result<(), StateError> {
        held.check()?;
        let store = self.inner.store.clone();
        let state = state.clone();
        let shared = held.shared();
        let written = state.clone();
        let result = self
            .blocking(move || store.save_fenced(shared.lock_ref(), &state))
            .await;
        self.note_fenced(held, &result);
        if result.is_ok() {
            self.wrote(Some(&written));
        }
        result
    }

    fn note_fenced(&self, held: &Held, result: &Result<(), StateError>) {
        if let Err(e @ (StateError::LeaseLost { .. } | StateError::Conflict { .. })) = result {
            tracing::warn!(error = %e, "a fenced write was refused: the work under this lease stops");
            held.lock().mark_lost();
            self.reread_gate();
        }
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
        let stored = match self.load_noting_problems() {
            // A shared store out of reach: the gate keeps its last verdict,
            // and the status says why it cannot say more.
            Err(StateError::Unreachable { .. }) if self.inner.shared_gate.is_some() => None,
            other => other?,
        };
        let foreign = stored
            .as_ref()
            .is_some_and(|s| !s.belongs_to(&spec.id, spec.line));
        let own = stored.filter(|s| s.belongs_to(&spec.id, spec.line));
        let needs_configuration = self.needs_configuration();
        let state_problem = self.state_problem();
        let reason = needs_configuration.then(|| {
            let now = Utc::now();
            if state_problem.is_some() {
                NeedsReason::StateProblem
            } else if foreign {
                NeedsReason::OtherInstallation
            } else if let Some(s) = &own {
                let failed = matches!(
                    s.last_task,
                    Some(TaskRecord {
                        outcome: TaskOutcome::Failed { .. },
                        ..
                    })
                );
                if s.active_revocation().is_some() {
                    NeedsReason::CredentialsRevoked
                } else if failed {
                    NeedsReason::TaskFailed
                } else if s.pending.is_some() {
                    NeedsReason::TaskInterrupted
                } else if s
                    .credentials
                    .as_ref()
                    .is_some_and(|c| !c.is_unexpired_at(now))
                {
                    NeedsReason::CredentialsExpired
                } else {
                    NeedsReason::NotConfigured
                }
            } else {
                NeedsReason::NotConfigured
            }
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
        self.on_runtime(|c| async move { c.apply_here(action).await })
            .await
            .unwrap_or(Err(ConfiguratorError::NoRuntime))
    }

    async fn apply_here(&self, action: Action) -> Result<Screen, ConfiguratorError> {
        let effect = lock(&self.inner.wizard).apply(action)?;
        match effect {
            Effect::None => {}
            Effect::LoadEnvironments => self.load_environments().await,
            Effect::Run(request) => self.start_task(request),
        }
        Ok(self.screen())
    }

    async fn load_environments(&self) {
        let store = self.inner.store.clone();
        let version = self
            .blocking(move || store.observe())
            .await
            .ok()
            .and_then(|o| o.version);
        *lock(&self.inner.decided_on) = version;
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
                        code: FailureCode::from(&e),
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
}

impl Configurator {
    /// Runs state I/O on the runtime's blocking pool, or in place for a
    /// store that never blocks ([`StateStore::may_block`]).
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, StateError> + Send + 'static,
    ) -> Result<T, StateError> {
        if !self.inner.store.may_block() {
            return work();
        }
        self.inner
            .runtime
            .spawn_blocking(work)
            .await
            .unwrap_or_else(|e| {
                Err(StateError::Io {
                    op: "state I/O (the worker thread failed)",
                    path: std::path::PathBuf::new(),
                    source: std::io::Error::other(e.to_string()),
                })
            })
    }

    /// Runs `work` on the caller's tokio runtime when there is one, else on
    /// the configurator's own (the handle given to the builder, or current
    /// when it was built): the async methods can be awaited from any
    /// executor. `None` when that runtime is shutting down. A panic in
    /// `work` is the caller's panic, as with a plain `.await`.
    pub(super) async fn on_runtime<T, F>(&self, work: impl FnOnce(Configurator) -> F) -> Option<T>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        if Handle::try_current().is_ok() {
            return Some(work(self.clone()).await);
        }
        let future = work(self.clone());
        // Erased, so that one spawned task type serves every method (each
        // spawned type costs its own copy of the task machinery).
        let erased: ErasedFuture = Box::pin(async move { Box::new(future.await) as ErasedValue });
        let value = spawn_erased(&self.inner.runtime, erased).await?;
        value.downcast::<T>().ok().map(|v| *v)
    }
}

type ErasedValue = Box<dyn std::any::Any + Send>;
type ErasedFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ErasedValue> + Send>>;

/// Runs `future` as a task of `runtime` and waits for it (see
/// `Configurator::on_runtime`). `None` when the runtime is shutting down; a
/// panic of the task is resumed here.
async fn spawn_erased(runtime: &Handle, future: ErasedFuture) -> Option<ErasedValue> {
    match runtime.spawn(future).await {
        Ok(value) => Some(value),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => None,
        },
    }
}

/// Re-reads a shared store every `every` for the login gate, until the
/// configurator is dropped.
async fn refresh_gate(inner: std::sync::Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let this = Configurator {
            inner: strong,
            administrator: None,
        };
        let done = tokio::task::spawn_blocking(move || this.refresh_shared_gate()).await;
        if done.is_err() {
            return;
        }
    }
}
