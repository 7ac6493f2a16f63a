//! The sandbox starter, and the platforms a scenario runs on.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use smartlink_core::{
    Configurator, HttpPlatform, HttpPlatformConfig, InstallationSpec, MemoryStateStore, Platform,
    StateStore,
};
use smartlink_sandbox::{BackgroundSandbox, InMemoryPlatform, RunningSandbox, Sandbox, Seed};

use crate::TOKEN;

// The sandbox starter: every test that serves a sandbox in process goes
// through `serve` (on the current runtime) or `serve_in_background` (on a
// runtime of its own); the others below are shorthands for them. A test
// that needs the sandbox as a separate process runs its binary with
// `processes::SandboxProcess`.

/// The sandbox on the platform made from `seed`, accepting [`TOKEN`].
pub fn seeded(seed: &Seed) -> Arc<Sandbox> {
    Sandbox::from_seed(seed, TOKEN).expect("valid seed")
}

/// Starts a sandbox with `seed` on a free port of 127.0.0.1, on the current
/// tokio runtime.
pub async fn sandbox(seed: &Seed) -> RunningSandbox {
    serve(seeded(seed)).await
}

/// Serves `sandbox` on a free port of 127.0.0.1, on the current runtime.
pub async fn serve(sandbox: Arc<Sandbox>) -> RunningSandbox {
    sandbox
        .serve("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// Serves `sandbox` on a free port of 127.0.0.1, on a runtime of its own
/// while the returned value lives (for tests without a runtime: the C ABI,
/// processes).
pub fn serve_in_background(sandbox: Arc<Sandbox>) -> BackgroundSandbox {
    sandbox
        .serve_in_background("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
}

/// Starts a sandbox with `seed` on a free port of 127.0.0.1, in the
/// background ([`serve_in_background`]).
pub fn sandbox_in_background(seed: &Seed) -> BackgroundSandbox {
    serve_in_background(seeded(seed))
}

/// The demo data in a background sandbox.
pub fn demo_sandbox() -> BackgroundSandbox {
    sandbox_in_background(&smartlink_sandbox::demo_seed())
}

/// An HTTP platform client for `url`, with short backoffs for tests.
pub fn http_platform(url: &str) -> Arc<HttpPlatform> {
    Arc::new(
        HttpPlatform::new(
            HttpPlatformConfig::new(url, SecretString::from(TOKEN))
                .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
                .with_operation_deadline(Duration::from_secs(10)),
        )
        .expect("valid platform config"),
    )
}

/// A configurator for installation `id` (Protheus, production) on
/// `platform`, on the current tokio runtime.
pub fn configurator_on(
    id: &str,
    platform: Arc<dyn Platform>,
    store: Arc<dyn StateStore>,
) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse(id, "protheus", "production", None).expect("valid spec"),
        platform,
        store,
    )
    .runtime(tokio::runtime::Handle::current())
    .lock_wait(Duration::from_secs(30))
    .build()
    .expect("a runtime is given")
}

/// A configurator for installation `id` (Protheus, production) over HTTP.
pub fn configurator_with(id: &str, url: &str, store: Arc<dyn StateStore>) -> Configurator {
    configurator_on(id, http_platform(url), store)
}

/// A configurator over HTTP with its own in-memory state.
pub fn configurator(id: &str, url: &str) -> Configurator {
    configurator_with(id, url, Arc::new(MemoryStateStore::new()))
}

/// How a scenario reaches the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The in-memory platform, called in process.
    InMemory,
    /// The same platform served by the sandbox on 127.0.0.1, through
    /// `HttpPlatform`.
    Http,
}

/// One seeded in-memory platform and the client a configurator uses to
/// reach it: the platform itself, or `HttpPlatform` to a sandbox serving
/// it. Either way [`TestPlatform::memory`] is the platform's truth (its
/// environments, credentials, call counters and fault injection).
pub struct TestPlatform {
    /// The platform's state and test hooks.
    pub memory: Arc<InMemoryPlatform>,
    /// What a configurator talks to.
    pub client: Arc<dyn Platform>,
    served: Option<RunningSandbox>,
}

impl TestPlatform {
    /// The platform made from `seed`, reached as `reach` says.
    pub async fn start(reach: Reach, seed: &Seed) -> Self {
        let memory = Arc::new(InMemoryPlatform::from_seed(seed).expect("valid seed"));
        match reach {
            Reach::InMemory => Self {
                client: memory.clone(),
                memory,
                served: None,
            },
            Reach::Http => {
                let served = serve(Sandbox::new(memory.clone(), TOKEN)).await;
                Self {
                    client: http_platform(&served.url()),
                    memory,
                    served: Some(served),
                }
            }
        }
    }

    /// The sandbox serving the platform, when reached over HTTP.
    pub fn sandbox(&self) -> Option<&RunningSandbox> {
        self.served.as_ref()
    }

    /// A configurator for installation `id` (Protheus, production) on this
    /// platform, with `store`.
    pub fn configurator_with(&self, id: &str, store: Arc<dyn StateStore>) -> Configurator {
        configurator_on(id, self.client.clone(), store)
    }

    /// A configurator for installation `id` with its own in-memory state.
    pub fn configurator(&self, id: &str) -> Configurator {
        self.configurator_with(id, Arc::new(MemoryStateStore::new()))
    }
}

/// The platform's truth, for a scenario's checks and faults
/// (`platform.calls(..)`, `platform.fail_next(..)`).
impl std::ops::Deref for TestPlatform {
    type Target = InMemoryPlatform;

    fn deref(&self) -> &InMemoryPlatform {
        &self.memory
    }
}

/// Runs each named scenario (`async fn(Reach)`) as two tests, on the
/// in-memory platform and over HTTP: `on_both_platforms!(replacement, ...)`
/// makes `replacement::in_memory` and `replacement::over_http`.
#[macro_export]
macro_rules! on_both_platforms {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn in_memory() {
                super::$scenario($crate::platforms::Reach::InMemory).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn over_http() {
                super::$scenario($crate::platforms::Reach::Http).await
            }
        }
    )+};
}
