//! The host's store in Rust: `HostedStateStore` over a `HostBackend` kept
//! in memory with a clock of the test's. The sealed document (the codec
//! the PostgreSQL store shares), the fenced compare-and-swap, the lease
//! timed by the backend's clock, and answers that break the contract.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smartlink_core::{
    ErpLine, HostBackend, HostDocument, HostStoreError, HostStoreOptions, HostedStateStore,
    InstallationId, LeaseInfo, LocalState, SealError, SealKey, SealedDocument, StateError,
    StateStore, StoreFault,
};

const SECRET: &str = "s3cr3t-DO-NOT-STORE";

fn state() -> LocalState {
    let mut s = LocalState::new(InstallationId::new("hosted-01").unwrap(), ErpLine::Rm);
    s.credentials = Some(
        serde_json::from_value(serde_json::json!({
            "client_id": "cli_hosted",
            "client_secret": SECRET,
            "tenant_id": "00000000-0000-0000-0000-000000000000",
            "environment_id": "env_1",
            "expires_at": null,
        }))
        .unwrap(),
    );
    s
}

#[derive(Default)]
struct Record {
    document: Option<Vec<u8>>,
    version: u64,
    holder: Option<String>,
    epoch: u64,
    expires_ms: u64,
}

#[derive(Default)]
struct Memory {
    record: Mutex<Record>,
    now_ms: AtomicU64,
    /// The compare-and-swap reports the expected version back (a store
    /// that does not bump it).
    stale_version: AtomicBool,
}

#[derive(Clone, Default)]
struct Backend(Arc<Memory>);

impl Backend {
    fn live(&self, r: &Record) -> bool {
        r.holder.is_some() && r.expires_ms > self.0.now_ms.load(Ordering::SeqCst)
    }
}

impl HostBackend for Backend {
    fn load(&self) -> Result<HostDocument, HostStoreError> {
        let r = self.0.record.lock().unwrap();
        Ok(HostDocument {
            document: r.document.clone().map(zeroize::Zeroizing::new),
            version: r.version,
        })
    }

    fn compare_and_swap(
        &self,
        expected: u64,
        lease: &LeaseInfo,
        document: Option<&[u8]>,
    ) -> Result<u64, HostStoreError> {
        let mut r = self.0.record.lock().unwrap();
        if !(self.live(&r) && r.holder.as_deref() == Some(&lease.holder) && r.epoch == lease.epoch)
        {
            return Err(HostStoreError::LeaseLost);
        }
        if r.version != expected {
            return Err(HostStoreError::Conflict { found: r.version });
        }
        if self.0.stale_version.load(Ordering::SeqCst) {
            return Ok(expected);
        }
        r.document = document.map(<[u8]>::to_vec);
        r.version += 1;
        Ok(r.version)
    }

    fn acquire_lease(
        &self,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<(u64, u64)>, HostStoreError> {
        let mut r = self.0.record.lock().unwrap();
        if self.live(&r) {
            return Ok(None);
        }
        r.holder = Some(holder.to_owned());
        r.epoch += 1;
        r.expires_ms = self.0.now_ms.load(Ordering::SeqCst) + ttl.as_millis() as u64;
        Ok(Some((r.epoch, r.version)))
    }

    fn renew_lease(&self, lease: &LeaseInfo, ttl: Duration) -> Result<(), HostStoreError> {
        let mut r = self.0.record.lock().unwrap();
        if !(self.live(&r) && r.holder.as_deref() == Some(&lease.holder) && r.epoch == lease.epoch)
        {
            return Err(HostStoreError::LeaseLost);
        }
        r.expires_ms = self.0.now_ms.load(Ordering::SeqCst) + ttl.as_millis() as u64;
        Ok(())
    }

    fn release_lease(&self, lease: &LeaseInfo) {
        let mut r = self.0.record.lock().unwrap();
        if r.holder.as_deref() == Some(&lease.holder) && r.epoch == lease.epoch {
            r.holder = None;
        }
    }
}

fn store(backend: &Backend, key: [u8; 32]) -> HostedStateStore {
    HostedStateStore::new(
        Box::new(backend.clone()),
        SealedDocument::new(
            SealKey::from_bytes(key),
            InstallationId::new("hosted-01").unwrap(),
            ErpLine::Rm,
            "host store",
        ),
        HostStoreOptions::new().lease_ttl(Duration::from_secs(10)),
    )
}

#[test]
fn the_document_is_sealed_and_reads_back() {
    let backend = Backend::default();
    let s = store(&backend, [7; 32]);
    assert!(s.load().unwrap().is_none());
    let lock = s.try_lock().unwrap().expect("the lease");
    s.save_fenced(&lock, &state()).unwrap();
    drop(lock);
    let bytes = backend.0.record.lock().unwrap().document.clone().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    assert!(
        text.contains("\"sealed\"") && text.contains("hosted-01"),
        "{text}"
    );
    assert_eq!(s.load().unwrap(), Some(state()));
    assert!(
        backend.0.record.lock().unwrap().holder.is_none(),
        "released on drop"
    );

    // Another key: refused, typed.
    let other = store(&backend, [8; 32]);
    match other.load() {
        Err(StateError::Sealed {
            source: SealError::WrongKey,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // ... and it never replaces the document (a machine with a stale key
    // must not overwrite the good state), fenced or not.
    let before = backend.0.record.lock().unwrap().document.clone();
    let lock = other.try_lock().unwrap().expect("the lease");
    let fenced = other.save_fenced(&lock, &state());
    let cleared = other.clear_fenced(&lock);
    drop(lock);
    for written in [fenced, cleared, other.save(&state()), other.clear()] {
        match written {
            Err(StateError::Sealed {
                source: SealError::WrongKey,
                ..
            }) => {}
            written => panic!("{written:?}"),
        }
    }
    assert_eq!(backend.0.record.lock().unwrap().document, before);
    assert_eq!(s.load().unwrap(), Some(state()));
}

#[test]
fn writes_are_fenced_by_the_version_and_the_lease_timed_by_the_store() {
    let backend = Backend::default();
    let s = store(&backend, [7; 32]);
    let lock = s.try_lock().unwrap().unwrap();
    assert!(s.try_lock().unwrap().is_none(), "one holder at a time");

    // A write landed behind this holder's back: a conflict, nothing written.
    backend.0.record.lock().unwrap().version += 1;
    match s.save_fenced(&lock, &state()) {
        Err(StateError::Conflict {
            expected: 0,
            found: 1,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(backend.0.record.lock().unwrap().document.is_none());
    drop(lock);

    // The store's clock passes the expiry: another holder takes over (next
    // epoch) and the first one's renewal and write are refused.
    let first = s.try_lock().unwrap().unwrap();
    backend.0.now_ms.fetch_add(10_001, Ordering::SeqCst);
    let second = s.try_lock().unwrap().expect("expired: taken over");
    assert_eq!(
        second.lease().unwrap().epoch,
        first.lease().unwrap().epoch + 1
    );
    assert!(matches!(s.renew(&first), Err(StateError::LeaseLost { .. })));
    assert!(first.is_lost());
    assert!(matches!(
        s.save_fenced(&first, &state()),
        Err(StateError::LeaseLost { .. })
    ));
    s.save_fenced(&second, &state()).unwrap();
    s.renew(&second).unwrap();
    assert_eq!(s.lease_ttl(), Some(Duration::from_secs(10)));
}

#[test]
fn a_version_that_does_not_grow_is_not_trusted() {
    let backend = Backend::default();
    let s = store(&backend, [7; 32]);
    backend.0.stale_version.store(true, Ordering::SeqCst);
    let lock = s.try_lock().unwrap().unwrap();
    match s.save_fenced(&lock, &state()) {
        Err(StateError::Unreachable { fault, cause, .. }) => {
            assert_eq!(fault, StoreFault::Other);
            assert!(cause.contains("not above"), "{cause}");
        }
        other => panic!("{other:?}"),
    }
}
