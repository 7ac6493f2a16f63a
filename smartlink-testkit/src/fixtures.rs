//! Fixtures: the in-memory platform with hooks on its binds and token
//! requests, a manual clock for the token cache, a configurator already
//! configured on them, and counters of this process's resources.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use smartlink_core::*;
use smartlink_sandbox::InMemoryPlatform;

/// A manual clock for the token cache: time moves only when told to.
#[derive(Clone)]
pub struct ManualClock {
    base: DateTime<Utc>,
    offset_ms: Arc<AtomicI64>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    pub fn new() -> Self {
        Self {
            base: Utc::now(),
            offset_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn advance(&self, d: Duration) {
        self.offset_ms
            .fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.base + TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Token options whose clock is this one.
    pub fn options(&self) -> TokenOptions {
        let me = self.clone();
        TokenOptions {
            clock: Some(Arc::new(move || me.now())),
            ..TokenOptions::default()
        }
    }
}

/// What a test does around the calls of a [`Hooked`] platform; every other
/// call, and each of these by default, goes to the platform inside as is.
#[async_trait]
pub trait Hook: Send + Sync {
    /// Before a bind reaches the platform.
    async fn before_bind(&self) {}
    /// Before a token request reaches the platform: count it, hold it,
    /// delay it.
    async fn before_token_request(&self) {}
    /// After the platform granted a token.
    fn token_granted(&self, _grant: &TokenGrant) {}
}

/// A platform (the in-memory one, or the HTTP client of a sandbox serving
/// it: [`crate::platforms::TestPlatform::client`]), with binds and token
/// requests going through a [`Hook`] before they reach it.
pub struct Hooked<H> {
    pub inner: Arc<dyn Platform>,
    pub hook: H,
}

impl<H> Hooked<H> {
    pub fn new(inner: Arc<dyn Platform>, hook: H) -> Arc<Self> {
        Arc::new(Self { inner, hook })
    }
}

#[async_trait]
impl<H: Hook> Platform for Hooked<H> {
    async fn list_environments(
        &self,
        line: ErpLine,
        id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        self.inner.list_environments(line, id).await
    }
    async fn create_environment(
        &self,
        request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        self.inner.create_environment(request).await
    }
    async fn bind(
        &self,
        installation: &Installation,
        target: &BindTarget,
    ) -> Result<Environment, PlatformError> {
        self.hook.before_bind().await;
        self.inner.bind(installation, target).await
    }
    async fn issue_credentials(
        &self,
        request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        self.inner.issue_credentials(request).await
    }
    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
        self.inner.verify_credentials(credentials).await
    }
    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
        self.inner.unbind(request).await
    }
    async fn request_token(&self, credentials: &Credentials) -> Result<TokenGrant, PlatformError> {
        self.hook.before_token_request().await;
        let grant = self.inner.request_token(credentials).await?;
        self.hook.token_granted(&grant);
        Ok(grant)
    }
    async fn whoami(&self, token: &SecretString) -> Result<WhoAmI, PlatformError> {
        self.inner.whoami(token).await
    }
}

/// The in-memory platform made from `seed` (JSON).
pub fn memory_platform(seed: &str) -> Arc<InMemoryPlatform> {
    Arc::new(InMemoryPlatform::from_seed(&serde_json::from_str(seed).unwrap()).unwrap())
}

/// A configurator for installation `id` (Protheus, production), already
/// bound on `platform`, on the current tokio runtime, its token cache on
/// `clock`, configured by `ensure_configured` (credentials issued, proven
/// and stored in `store`).
pub async fn configured(
    id: &str,
    platform: Arc<dyn Platform>,
    store: Arc<dyn StateStore>,
    clock: &ManualClock,
) -> Configurator {
    let cfg = Configurator::builder(
        InstallationSpec::parse(id, "protheus", "production", None).unwrap(),
        platform,
        store,
    )
    .runtime(tokio::runtime::Handle::current())
    .token_options(clock.options())
    .build()
    .expect("a runtime is given");
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    assert!(!cfg.needs_configuration());
    cfg
}

/// Open file descriptors of this process (Linux).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Threads of this process (Linux).
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// What a [`Noting`] store notes of a save (`Some`) or a clear (`None`).
type NoteFn<T> = dyn Fn(Option<&LocalState>) -> T + Send + Sync;

/// A memory store that notes something at every save and clear (fenced or
/// not) before doing it: `note` is given the state to be saved, `None` for
/// a clear, and what it returns is kept, in order ([`Noting::notes`]).
/// Everything else is the memory store's.
pub struct Noting<T> {
    pub inner: MemoryStateStore,
    note: Arc<NoteFn<T>>,
    notes: Arc<std::sync::Mutex<Vec<T>>>,
    may_block: bool,
}

impl<T> Clone for Noting<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            note: self.note.clone(),
            notes: self.notes.clone(),
            may_block: self.may_block,
        }
    }
}

impl<T: Clone + Send + 'static> Noting<T> {
    /// An empty memory store noting with `note`; it answers from memory
    /// (`may_block` is false).
    pub fn new(note: impl Fn(Option<&LocalState>) -> T + Send + Sync + 'static) -> Self {
        Self {
            inner: MemoryStateStore::new(),
            note: Arc::new(note),
            notes: Arc::default(),
            may_block: false,
        }
    }

    /// The same, saying its calls may block, as a file store does: the
    /// configurator then calls it on the blocking pool.
    pub fn as_if_blocking(mut self) -> Self {
        self.may_block = true;
        self
    }

    /// What was noted so far, in order.
    pub fn notes(&self) -> Vec<T> {
        self.notes.lock().unwrap().clone()
    }

    /// Forgets what was noted so far.
    pub fn clear_notes(&self) {
        self.notes.lock().unwrap().clear();
    }

    fn record(&self, state: Option<&LocalState>) {
        let noted = (self.note)(state);
        self.notes.lock().unwrap().push(noted);
    }
}

impl<T: Clone + Send + 'static> StateStore for Noting<T> {
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        self.inner.load()
    }
    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        self.record(Some(state));
        self.inner.save(state)
    }
    fn clear(&self) -> Result<(), StateError> {
        self.record(None);
        self.inner.clear()
    }
    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        self.inner.try_lock()
    }
    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        self.record(Some(state));
        self.inner.save_fenced(lock, state)
    }
    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        self.record(None);
        self.inner.clear_fenced(lock)
    }
    fn stamp(&self) -> Option<u128> {
        self.inner.stamp()
    }
    fn may_block(&self) -> bool {
        self.may_block
    }
    fn describe(&self) -> StoreDescription {
        self.inner.describe()
    }
    fn observe(&self) -> Result<StoreObservation, StateError> {
        self.inner.observe()
    }
}

/// The wizard from its start to the environment list: *Start*, then the
/// installation's `name`. Returns the list's screen.
pub async fn to_list(cfg: &Configurator, name: &str) -> wizard::Screen {
    cfg.apply(wizard::Action::Start).await.unwrap();
    cfg.apply(wizard::Action::SetName { name: name.into() })
        .await
        .unwrap()
}

/// Binds unattended, as installation `name`, to the environment named
/// `environment`; fails unless the task succeeded.
pub async fn bind_unattended(cfg: &Configurator, name: &str, environment: &str) {
    unattended_ok(cfg, name, UnattendedTarget::Environment(environment.into())).await
}

/// Configures unattended, as installation `name`, for `target`; fails
/// unless the task succeeded.
pub async fn unattended_ok(cfg: &Configurator, name: &str, target: UnattendedTarget) {
    let status = cfg
        .configure_unattended(&UnattendedRequest {
            installation_name: Some(name.into()),
            target,
            confirm: None,
        })
        .await
        .unwrap()
        .status;
    assert!(matches!(status, TaskStatus::Succeeded { .. }), "{status:?}");
}
