//! The login gate of a shared store keeps the newest knowledge: a read of
//! the store that began before this process's own write and ends after it
//! (the background refresh, or any read on another thread) never puts back
//! the verdict that the write replaced. Without the gate's count of this
//! process's writes, the overtaken read reopens the gate of a configured
//! installation until the next refresh.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use smartlink_core::*;
use smartlink_testkit::fixtures::memory_platform;

const SEED: &str = r#"{"environments": [
    {"id": "env_prd", "name": "Produção", "kind": "production"}]}"#;

/// A shared store (its description asks for a background refresh) whose
/// next `load` can be held after it has read, until the test lets it go.
struct HeldRead {
    inner: MemoryStateStore,
    armed: AtomicBool,
    entered: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
}

impl HeldRead {
    fn new() -> Self {
        Self {
            inner: MemoryStateStore::new(),
            armed: AtomicBool::new(false),
            entered: Mutex::new(None),
            release: Mutex::new(None),
        }
    }

    /// The next `load` reads, says so on the first channel and returns what
    /// it read only when the second one is sent to.
    fn hold_next_read(&self) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (entered_tx, entered_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        *self.entered.lock().unwrap() = Some(entered_tx);
        *self.release.lock().unwrap() = Some(release_rx);
        self.armed.store(true, Ordering::SeqCst);
        (entered_rx, release_tx)
    }
}

impl StateStore for HeldRead {
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        let read = self.inner.load();
        if self.armed.swap(false, Ordering::SeqCst) {
            let entered = self.entered.lock().unwrap().take().unwrap();
            let release = self.release.lock().unwrap().take().unwrap();
            entered.send(()).unwrap();
            release.recv_timeout(Duration::from_secs(60)).unwrap();
        }
        read
    }
    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        self.inner.save(state)
    }
    fn clear(&self) -> Result<(), StateError> {
        self.inner.clear()
    }
    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        self.inner.try_lock()
    }
    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        self.inner.save_fenced(lock, state)
    }
    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        self.inner.clear_fenced(lock)
    }
    fn renew(&self, lock: &StateLock) -> Result<(), StateError> {
        self.inner.renew(lock)
    }
    fn lease_ttl(&self) -> Option<Duration> {
        self.inner.lease_ttl()
    }
    fn stamp(&self) -> Option<u128> {
        self.inner.stamp()
    }
    fn may_block(&self) -> bool {
        true
    }
    fn describe(&self) -> StoreDescription {
        let mut d = self.inner.describe();
        // Shared, refreshed too rarely to interfere with the test.
        d.refresh_every = Some(Duration::from_secs(3600));
        d
    }
    fn observe(&self) -> Result<StoreObservation, StateError> {
        self.inner.observe()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_overtaken_by_this_process_write_never_reopens_the_gate() {
    let store = Arc::new(HeldRead::new());
    let cfg = Configurator::builder(
        InstallationSpec::parse("erp-race", "protheus", "production", Some("Matriz")).unwrap(),
        memory_platform(SEED),
        store.clone(),
    )
    .build()
    .unwrap();
    assert!(cfg.needs_configuration());

    // A read on another thread takes the unbound state and is held there.
    let (entered, release) = store.hold_next_read();
    let reader = {
        let cfg = cfg.clone();
        std::thread::spawn(move || cfg.history())
    };
    entered.recv_timeout(Duration::from_secs(30)).unwrap();

    // Meanwhile this process binds the installation: the gate closes.
    let outcome = cfg
        .configure_unattended(&UnattendedRequest {
            installation_name: None,
            target: UnattendedTarget::Environment("Produção".into()),
            confirm: None,
        })
        .await
        .unwrap();
    assert!(matches!(outcome.status, TaskStatus::Succeeded { .. }));
    assert!(!cfg.needs_configuration());

    // The held read ends with what it read before the write.
    release.send(()).unwrap();
    let seen = reader.join().unwrap().unwrap();
    assert!(
        seen.is_empty(),
        "the held read must have read before the write: {seen:?}"
    );
    assert!(
        !cfg.needs_configuration(),
        "a read overtaken by this process's write put back the old verdict"
    );
    // A read that begins now agrees.
    assert_eq!(cfg.history().unwrap().len(), 1);
    assert!(!cfg.needs_configuration());
}
