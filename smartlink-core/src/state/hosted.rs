//! A store the host keeps: the host stores opaque bytes (the sealed
//! document, [`SealedDocument`]), a version and a lease; this store makes
//! the [`StateStore`] contract out of them. The C ABI's store callbacks
//! (`smartlink_store_callbacks`) are one [`HostBackend`].
//!
//! What the host's store must do, whatever it is built on:
//! - keep, per installation and line, one document (bytes, or none), a
//!   version (`u64`, 0 before the first write) and a lease record (holder,
//!   epoch, expiry);
//! - [`HostBackend::compare_and_swap`]: replace the document only when the
//!   version is the one expected **and** the lease is held by the given
//!   holder and epoch and not expired, then bump the version; one atomic
//!   step;
//! - [`HostBackend::acquire_lease`]: grant the lease when nobody holds it
//!   or its expiry has passed, by **the store's own clock** (a database's
//!   `now()`, the clock of the service that keeps the records), never the
//!   clock of the machine asking; the epoch grows by one at every grant;
//! - [`HostBackend::renew_lease`]: extend an unexpired lease of that holder
//!   and epoch by the lifetime asked, from the store's clock.
//!
//! The credentials are always sealed: the host never receives the client
//! secret in clear.

use std::sync::Arc;
use std::time::Duration;

use crate::state::document::SealedDocument;
use crate::state::{
    DEFAULT_REFRESH, LeaseInfo, LocalState, StateError, StateLock, StateStore, StoreDescription,
    StoreFault, StoreObservation, holder_id,
};

/// What a host's store answered instead of success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStoreError {
    /// A compare-and-swap found another version (`found`): nothing written.
    Conflict {
        /// The version stored.
        found: u64,
    },
    /// The lease named is not held (expired, taken over, released).
    LeaseLost,
    /// The store could not be reached, or answered something that makes no
    /// sense. `cause` names no contents.
    Unreachable {
        /// What failed.
        cause: String,
        /// Why, typed.
        fault: StoreFault,
    },
}

impl HostStoreError {
    /// An answer that breaks the contract (an unknown status, a length
    /// beyond the buffer): the store is treated as unreachable.
    pub fn invalid(cause: impl Into<String>) -> Self {
        HostStoreError::Unreachable {
            cause: cause.into(),
            fault: StoreFault::Other,
        }
    }
}

/// A document and its version, as the host's store holds them.
pub struct HostDocument {
    /// The bytes (`None`: nothing stored, or cleared). Wiped when dropped.
    pub document: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// The version (0: never written).
    pub version: u64,
}

/// The host's store of one installation and line, at the level of bytes.
/// Called from the library's threads (the login gate's background
/// refresher, the background task, the host's own calls), possibly at once.
pub trait HostBackend: Send + Sync {
    /// The stored document and its version.
    fn load(&self) -> Result<HostDocument, HostStoreError>;
    /// Replaces the document (`None`: clears it) when the version is
    /// `expected` and `lease` is held and unexpired; the new version.
    fn compare_and_swap(
        &self,
        expected: u64,
        lease: &LeaseInfo,
        document: Option<&[u8]>,
    ) -> Result<u64, HostStoreError>;
    /// Takes the lease for `holder` for `ttl` (by the store's clock) when
    /// free or expired: its epoch and the stored version; `None` when
    /// another holder's lease is live.
    fn acquire_lease(
        &self,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<(u64, u64)>, HostStoreError>;
    /// Extends `lease` by `ttl` from the store's clock when it is still
    /// held and unexpired; [`HostStoreError::LeaseLost`] otherwise.
    fn renew_lease(&self, lease: &LeaseInfo, ttl: Duration) -> Result<(), HostStoreError>;
    /// Releases `lease` when it is still held (best effort: a release that
    /// fails only makes the next holder wait for the expiry).
    fn release_lease(&self, lease: &LeaseInfo);
}

/// Options of [`HostedStateStore`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostStoreOptions {
    /// The lease's lifetime, timed by the host's store. Default 10 s.
    pub lease_ttl: Duration,
    /// How often the login gate re-reads the store (the bound on
    /// staleness). Default 2 s.
    pub refresh_every: Duration,
    /// How errors, `status` and support name the store.
    pub name: String,
}

impl Default for HostStoreOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(10),
            refresh_every: DEFAULT_REFRESH,
            name: "host store".into(),
        }
    }
}

impl HostStoreOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`HostStoreOptions::lease_ttl`] (at least 100 ms).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl.max(Duration::from_millis(100));
        self
    }

    /// Sets [`HostStoreOptions::refresh_every`] (at least 10 ms).
    pub fn refresh_every(mut self, every: Duration) -> Self {
        self.refresh_every = every.max(Duration::from_millis(10));
        self
    }
}

/// The [`StateStore`] over a host's store ([`HostBackend`]), the documents
/// sealed by [`SealedDocument`].
pub struct HostedStateStore {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Box<dyn HostBackend>,
    document: SealedDocument,
    options: HostStoreOptions,
}

impl std::fmt::Debug for HostedStateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedStateStore")
            .field("document", &self.inner.document)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Releases a host lease when dropped.
struct HostLeaseGuard {
    inner: Arc<Inner>,
    lease: LeaseInfo,
}

impl Drop for HostLeaseGuard {
    fn drop(&mut self) {
        self.inner.backend.release_lease(&self.lease);
    }
}

impl HostedStateStore {
    /// A store over `backend`, sealing with `document`'s key.
    pub fn new(
        backend: Box<dyn HostBackend>,
        document: SealedDocument,
        options: HostStoreOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                document,
                options,
            }),
        }
    }

    /// Its options.
    pub fn options(&self) -> &HostStoreOptions {
        &self.inner.options
    }
}

impl Inner {
    fn error(&self, e: HostStoreError, expected: u64, epoch: u64) -> StateError {
        match e {
            HostStoreError::Conflict { found } => StateError::Conflict { expected, found },
            HostStoreError::LeaseLost => StateError::LeaseLost { epoch },
            HostStoreError::Unreachable { cause, fault } => StateError::Unreachable {
                store: self.options.name.clone(),
                cause,
                fault,
            },
        }
    }

    /// An answer that means nothing where it came.
    fn nonsense(&self, what: &str) -> StateError {
        StateError::Unreachable {
            store: self.options.name.clone(),
            cause: what.to_owned(),
            fault: StoreFault::Other,
        }
    }

    fn load(&self) -> Result<(Option<LocalState>, u64), StateError> {
        let loaded = self.backend.load().map_err(|e| match e {
            HostStoreError::Unreachable { .. } => self.error(e, 0, 0),
            _ => self
                .nonsense("the load callback answered a status that only writes and leases give"),
        })?;
        let state = match &loaded.document {
            None => None,
            Some(bytes) => Some(self.document.decode(bytes)?),
        };
        Ok((state, loaded.version))
    }

    fn write_fenced(&self, lock: &StateLock, state: Option<&LocalState>) -> Result<(), StateError> {
        let Some(lease) = lock.lease().cloned() else {
            return Err(StateError::LeaseLost { epoch: 0 });
        };
        if lock.guard::<HostLeaseGuard>().is_none() {
            return Err(StateError::LeaseLost { epoch: lease.epoch });
        }
        let document = state.map(|s| self.document.encode(s)).transpose()?;
        let expected = lock.expected_version().unwrap_or(0);
        // A document sealed under another key is never replaced nor
        // cleared, as in the PostgreSQL store (the host's compare-and-swap
        // cannot look into it: one read first).
        let current = self.backend.load().map_err(|e| match e {
            HostStoreError::Unreachable { .. } => self.error(e, expected, lease.epoch),
            _ => self
                .nonsense("the load callback answered a status that only writes and leases give"),
        })?;
        if let Some(bytes) = &current.document {
            self.document.check_replaceable(bytes)?;
        }
        let written = self.backend.compare_and_swap(
            expected,
            &lease,
            document.as_ref().map(|d| d.as_bytes()),
        );
        match written {
            Ok(version) if version > expected => {
                lock.set_version(version);
                Ok(())
            }
            Ok(version) => Err(self.nonsense(&format!(
                "the compare-and-swap callback reported version {version}, not above the expected {expected}"
            ))),
            Err(HostStoreError::LeaseLost) => {
                lock.mark_lost();
                Err(StateError::LeaseLost { epoch: lease.epoch })
            }
            Err(e) => Err(self.error(e, expected, lease.epoch)),
        }
    }
}

impl StateStore for HostedStateStore {
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        self.inner.load().map(|(state, _)| state)
    }

    /// Not fenced by a caller's lease (tools and tests): takes the lease,
    /// writes under it and releases it. Refused while another holder's
    /// lease is live.
    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        let lock = self.try_lock()?.ok_or_else(|| {
            self.inner
                .nonsense("the lease is held by another holder; nothing was written")
        })?;
        self.save_fenced(&lock, state)
    }

    fn clear(&self) -> Result<(), StateError> {
        let lock = self.try_lock()?.ok_or_else(|| {
            self.inner
                .nonsense("the lease is held by another holder; nothing was written")
        })?;
        self.clear_fenced(&lock)
    }

    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        let holder = holder_id();
        let taken = self
            .inner
            .backend
            .acquire_lease(holder, self.inner.options.lease_ttl)
            .map_err(|e| match e {
                HostStoreError::Unreachable { .. } => self.inner.error(e, 0, 0),
                _ => self
                    .inner
                    .nonsense("the acquire_lease callback answered a status it cannot give"),
            })?;
        Ok(taken.map(|(epoch, version)| {
            let lease = LeaseInfo {
                holder: holder.to_owned(),
                epoch,
            };
            let guard = HostLeaseGuard {
                inner: self.inner.clone(),
                lease: lease.clone(),
            };
            StateLock::leased(guard, Some(lease), version)
        }))
    }

    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        self.inner.write_fenced(lock, Some(state))
    }

    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        self.inner.write_fenced(lock, None)
    }

    fn renew(&self, lock: &StateLock) -> Result<(), StateError> {
        let Some(lease) = lock.lease().cloned() else {
            return Err(StateError::LeaseLost { epoch: 0 });
        };
        match self
            .inner
            .backend
            .renew_lease(&lease, self.inner.options.lease_ttl)
        {
            Ok(()) => Ok(()),
            Err(HostStoreError::LeaseLost) => {
                lock.mark_lost();
                Err(StateError::LeaseLost { epoch: lease.epoch })
            }
            Err(e @ HostStoreError::Unreachable { .. }) => Err(self.inner.error(e, 0, lease.epoch)),
            Err(HostStoreError::Conflict { .. }) => Err(self
                .inner
                .nonsense("the renew_lease callback answered a conflict")),
        }
    }

    fn lease_ttl(&self) -> Option<Duration> {
        Some(self.inner.options.lease_ttl)
    }

    /// The login gate re-reads on a timer ([`HostStoreOptions::refresh_every`]).
    fn stamp(&self) -> Option<u128> {
        None
    }

    fn describe(&self) -> StoreDescription {
        StoreDescription {
            kind: "custom",
            location: Some(self.inner.options.name.clone()),
            refresh_every: Some(self.inner.options.refresh_every),
        }
    }

    /// The version (one load); the host's store is not asked who holds the
    /// lease.
    fn observe(&self) -> Result<StoreObservation, StateError> {
        let loaded = self
            .inner
            .backend
            .load()
            .map_err(|e| self.inner.error(e, 0, 0))?;
        Ok(StoreObservation {
            version: Some(loaded.version),
            ..StoreObservation::default()
        })
    }
}
