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
/// call, and each of these by default, goes to the in-memory platform as is.
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

/// The in-memory platform, with binds and token requests going through a
/// [`Hook`].
pub struct Hooked<H> {
    pub memory: Arc<InMemoryPlatform>,
    pub hook: H,
}

impl<H> Hooked<H> {
    pub fn new(memory: Arc<InMemoryPlatform>, hook: H) -> Arc<Self> {
        Arc::new(Self { memory, hook })
    }
}

#[async_trait]
impl<H: Hook> Platform for Hooked<H> {
    async fn list_environments(
        &self,
        line: ErpLine,
        id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        self.memory.list_environments(line, id).await
    }
    async fn create_environment(
        &self,
        request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        self.memory.create_environment(request).await
    }
    async fn bind(
        &self,
        installation: &Installation,
        target: &BindTarget,
    ) -> Result<Environment, PlatformError> {
        self.hook.before_bind().await;
        self.memory.bind(installation, target).await
    }
    async fn issue_credentials(
        &self,
        request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        self.memory.issue_credentials(request).await
    }
    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
        self.memory.verify_credentials(credentials).await
    }
    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
        self.memory.unbind(request).await
    }
    async fn request_token(&self, credentials: &Credentials) -> Result<TokenGrant, PlatformError> {
        self.hook.before_token_request().await;
        let grant = self.memory.request_token(credentials).await?;
        self.hook.token_granted(&grant);
        Ok(grant)
    }
    async fn whoami(&self, token: &SecretString) -> Result<WhoAmI, PlatformError> {
        self.memory.whoami(token).await
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
