//! Shared support for the end-to-end tests: a sandbox on 127.0.0.1:0 and
//! configurators that speak to it over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use smartlink_core::{
    Configurator, HttpPlatform, HttpPlatformConfig, InstallationSpec, MemoryStateStore, Seed,
    StateStore,
};
use smartlink_sandbox::{RunningSandbox, Sandbox};

/// The bearer token the test sandboxes accept.
pub const TOKEN: &str = "e2e-sandbox-token";

/// Starts a sandbox with `seed` on a free loopback port.
pub async fn sandbox(seed: &Seed) -> RunningSandbox {
    Sandbox::from_seed(seed, TOKEN)
        .expect("valid seed")
        .serve("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
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

/// A configurator for installation `id` (Protheus, production) over HTTP.
pub fn configurator_with(id: &str, url: &str, store: Arc<dyn StateStore>) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse(id, "protheus", "production", None).expect("valid spec"),
        http_platform(url),
        store,
    )
    .runtime(tokio::runtime::Handle::current())
    .lock_wait(Duration::from_secs(30))
    .build()
    .expect("a runtime is given")
}

/// A configurator with its own in-memory state.
pub fn configurator(id: &str, url: &str) -> Configurator {
    configurator_with(id, url, Arc::new(MemoryStateStore::new()))
}

pub mod fault_proxy;

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
