//! Fixtures of the runtime token cache, shared by `smartlink-core/tests/tokens.rs`
//! and, through `#[path]`, by the token figures of `smartlink-bench`
//! (`tests/bench/tokens.rs`): a manual clock, the in-memory platform with a
//! hook on every token request, and a configurator already configured on
//! them.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use smartlink_core::credentials::IssuedCredentials;
use smartlink_core::platform::{
    BindTarget, CreateEnvironment, IssueCredentials, TokenGrant, Unbind, WhoAmI,
};
use smartlink_core::*;

/// A manual clock for the token cache: time moves only when told to.
#[derive(Clone)]
pub struct ManualClock {
    base: DateTime<Utc>,
    offset_ms: Arc<AtomicI64>,
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

/// What a test does around each token request of a [`HookedTokens`] platform.
#[async_trait]
pub trait TokenHook: Send + Sync {
    /// Before the request reaches the platform: count it, hold it, delay it.
    async fn before_request(&self) {}
    /// After the platform granted a token.
    fn granted(&self, _grant: &TokenGrant) {}
}

/// The in-memory platform, with every token request going through a hook.
pub struct HookedTokens<H> {
    pub memory: Arc<InMemoryPlatform>,
    pub hook: H,
}

impl<H> HookedTokens<H> {
    pub fn new(memory: Arc<InMemoryPlatform>, hook: H) -> Arc<Self> {
        Arc::new(Self { memory, hook })
    }
}

#[async_trait]
impl<H: TokenHook> Platform for HookedTokens<H> {
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
        self.hook.before_request().await;
        let grant = self.memory.request_token(credentials).await?;
        self.hook.granted(&grant);
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
    .build()
    .expect("a runtime is given");
    cfg.set_token_options(clock.options());
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    assert!(!cfg.needs_configuration());
    cfg
}
