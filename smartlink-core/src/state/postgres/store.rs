//! The PostgreSQL state store: one row per installation and line, a
//! compare-and-swap on its `version`, and a lease whose expiry the server
//! computes with its own `now()` (see the parent module for the table).
//!
//! The store's methods are synchronous, as [`StateStore`] is: each one runs
//! its query on the store's own thread (a single-threaded tokio runtime
//! that owns the connection) and waits for it, bounded by
//! [`PgStoreOptions::operation_timeout`]. They may be called from any
//! thread, a tokio worker included (the configurator calls them on its
//! blocking pool).
//!
//! The credentials are always sealed ([`SealKey`]): the store cannot be
//! opened without a key. The row's `document` is the file store's envelope
//! (`{"format":"smartlink-state","version":1,"sealed":…,"state":…}`), so a
//! state moves between the two stores unchanged.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_postgres::types::Type;

use super::{PgConnection, PgError, PgTarget, ensure_schema};

/// A statement's work, boxed: the store's machinery is not generic over it.
type BoxedWork = std::pin::Pin<Box<dyn Future<Output = Result<(), PgError>> + Send>>;
/// A statement to run with the connected client (again on a new connection
/// when the first one turns out lost).
type ErasedStatement =
    Box<dyn Fn(Arc<Shared>, Arc<tokio_postgres::Client>) -> BoxedWork + Send + Sync>;
use crate::installation::{ErpLine, InstallationId};
use crate::state::document::SealedDocument;
use crate::state::seal::{SealError, SealKey};
use crate::state::{
    DEFAULT_REFRESH, LeaseInfo, LocalState, StateError, StateLock, StateStore, StoreDescription,
    StoreObservation, holder_id,
};

/// Options of [`PgStateStore::open`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PgStoreOptions {
    /// The lease's lifetime, timed by the server: how long another machine
    /// waits before it takes over from a holder that died. Renewed every
    /// third of it while work runs. Default 10 s.
    pub lease_ttl: Duration,
    /// How often the login gate re-reads the row (the bound on staleness).
    /// Default 2 s.
    pub refresh_every: Duration,
    /// The longest one operation (a query, with a reconnection) may take
    /// before it fails as unreachable. Default 5 s.
    pub operation_timeout: Duration,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(10),
            refresh_every: DEFAULT_REFRESH,
            operation_timeout: Duration::from_secs(5),
        }
    }
}

impl PgStoreOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`PgStoreOptions::lease_ttl`] (at least 100 ms).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl.max(Duration::from_millis(100));
        self
    }

    /// Sets [`PgStoreOptions::refresh_every`] (at least 10 ms).
    pub fn refresh_every(mut self, every: Duration) -> Self {
        self.refresh_every = every.max(Duration::from_millis(10));
        self
    }

    /// Sets [`PgStoreOptions::operation_timeout`].
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }
}

/// Keeps the state of one installation in a PostgreSQL table, shared by
/// every machine of the installation. See the module documentation.
pub struct PgStateStore {
    inner: Arc<Shared>,
}

struct Shared {
    connection: PgConnection,
    runtime: tokio::runtime::Handle,
    /// Taken when the store is dropped: ends the store's thread, which is
    /// then joined (a host may unload the library right after).
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The document codec: seals the credentials under the store's key.
    document: SealedDocument,
    installation_id: InstallationId,
    line: ErpLine,
    options: PgStoreOptions,
    schema_ready: AtomicBool,
    schema_lock: tokio::sync::Mutex<()>,
    /// The seal key's fingerprint (of `document`), stored beside the
    /// document: a store with another key never replaces it.
    key_id: String,
    /// Statements sent to the server (see [`PgStateStore::round_trips`]).
    trips: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for PgStateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStateStore")
            .field("target", self.inner.connection.target())
            .field("installation_id", &self.inner.installation_id)
            .field("line", &self.inner.line)
            .finish_non_exhaustive()
    }
}

/// What releases a PostgreSQL lease when dropped.
struct PgLeaseGuard {
    inner: Arc<Shared>,
    lease: LeaseInfo,
}

impl Drop for PgLeaseGuard {
    fn drop(&mut self) {
        let inner = self.inner.clone();
        let holder = self.lease.holder.clone();
        let epoch = self.lease.epoch as i64;
        // Waits a little so that a process ending right after its work
        // leaves the lease free for the next machine; a release that does
        // not happen only makes the next holder wait for the expiry.
        let _ = self.inner.run_for(
            Duration::from_secs(1),
            Box::pin(async move {
                let client = inner.connection.client().await?;
                inner.trip();
                client
                    .execute_typed(
                        "UPDATE smartlink_state SET lease_holder = NULL, lease_expires_at = NULL
                     FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush
                     WHERE installation_id = $1 AND line = $2
                       AND lease_holder = $3 AND lease_epoch = $4",
                        &[
                            (&inner.installation_id.as_str(), Type::TEXT),
                            (&inner.line.as_str(), Type::TEXT),
                            (&holder, Type::TEXT),
                            (&epoch, Type::INT8),
                        ],
                    )
                    .await
                    .map_err(|e| PgError::query("release lease", &e))?;
                Ok(())
            }),
        );
    }
}

impl PgStateStore {
    /// A store for the installation `installation_id` of `line` in the
    /// database at `target`, sealing the credentials with `key`. Starts the
    /// store's thread; connects on the first operation (so a database that
    /// is down when the host starts is a typed error of that operation,
    /// not of the opening).
    pub fn open(
        target: PgTarget,
        key: SealKey,
        installation_id: InstallationId,
        line: ErpLine,
        options: PgStoreOptions,
    ) -> Result<Self, StateError> {
        let store_name = target.to_string();
        let connection = PgConnection::new(target).map_err(|e| unreachable(&store_name, &e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StateError::Unreachable {
                store: store_name.clone(),
                fault: crate::state::StoreFault::Other,
                cause: format!("the store's thread could not start: {e}"),
            })?;
        let handle = runtime.handle().clone();
        let document = SealedDocument::new(
            key,
            installation_id.clone(),
            line,
            format!("postgres {store_name}"),
        );
        let key_id = document.key_id().to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("smartlink-pg".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| StateError::Unreachable {
                store: store_name,
                fault: crate::state::StoreFault::Other,
                cause: format!("the store's thread could not start: {e}"),
            })?;
        Ok(Self {
            inner: Arc::new(Shared {
                connection,
                runtime: handle,
                stop: std::sync::Mutex::new(Some(stop)),
                thread: std::sync::Mutex::new(Some(thread)),
                document,
                key_id,
                installation_id,
                line,
                options,
                schema_ready: AtomicBool::new(false),
                schema_lock: tokio::sync::Mutex::new(()),
                trips: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// Where it connects (no password).
    pub fn target(&self) -> &PgTarget {
        self.inner.connection.target()
    }

    /// Its options.
    pub fn options(&self) -> &PgStoreOptions {
        &self.inner.options
    }

    /// How many statements this store has sent to the server (the table's
    /// creation counts 5): the login gate sends none; its background
    /// refresh one per period.
    pub fn round_trips(&self) -> u64 {
        self.inner.trips.load(Ordering::Relaxed)
    }

    /// Checks the store as `check` does: the server answers, the table's
    /// schema is this library's, and the stored state (if any) opens with
    /// the key. Returns the stored state's version.
    pub fn verify(&self) -> Result<u64, StateError> {
        let (state, version) = self.inner.load()?;
        drop(state);
        Ok(version)
    }
}

impl Drop for Shared {
    /// Stops the store's thread and waits for it (unless this is that
    /// thread: the last reference dropped by its own work).
    fn drop(&mut self) {
        let stop = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(stop);
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn trip(&self) {
        self.trips.fetch_add(1, Ordering::Relaxed);
    }

    fn store_name(&self) -> String {
        self.connection.target().to_string()
    }

    /// Runs `work` on the store's thread and waits for it, at most `limit`.
    fn run_for(&self, limit: Duration, work: BoxedWork) -> Result<(), StateError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let outcome = tokio::time::timeout(limit, work).await;
            let _ = tx.send(outcome);
        });
        match rx.recv() {
            Ok(Ok(result)) => result.map_err(|e| unreachable(&self.store_name(), &e)),
            Ok(Err(_elapsed)) => Err(StateError::Unreachable {
                store: self.store_name(),
                fault: crate::state::StoreFault::Timeout,
                cause: format!("no answer within {}", crate::messages::duration_text(limit)),
            }),
            Err(_) => Err(StateError::Unreachable {
                store: self.store_name(),
                fault: crate::state::StoreFault::Other,
                cause: "the store's thread has stopped".into(),
            }),
        }
    }

    /// Runs `work` with the connected client, after making sure the
    /// table exists (once per store). When the connection turns out lost
    /// (the server restarted, the backend was terminated), `work` runs once
    /// more on a new connection: every statement of the store is safe to
    /// repeat (a fenced write whose first try landed finds its version
    /// moved and is refused as a conflict, never applied twice).
    fn run<T: Send + 'static, F, Fut>(self: &Arc<Self>, work: F) -> Result<T, StateError>
    where
        F: Fn(Arc<Self>, Arc<tokio_postgres::Client>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, PgError>> + Send + 'static,
    {
        // The machinery below (thread hop, timeout, table check, retry) is
        // written once for every statement: each caller's work is boxed and
        // hands its answer back through `slot` (it kept the library about
        // 8 KB bigger per statement when it was generic).
        let slot = Arc::new(std::sync::Mutex::new(None));
        let answer = slot.clone();
        let erased: ErasedStatement = Box::new(move |this, client| {
            let fut = work(this, client);
            let answer = answer.clone();
            Box::pin(async move {
                let value = fut.await?;
                *answer.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
                Ok(())
            })
        });
        self.run_erased(erased)?;
        let value = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        value.ok_or_else(|| StateError::Unreachable {
            store: self.store_name(),
            fault: crate::state::StoreFault::Other,
            cause: "the statement ended without an answer".into(),
        })
    }

    fn run_erased(self: &Arc<Self>, work: ErasedStatement) -> Result<(), StateError> {
        let this = self.clone();
        self.run_for(self.options.operation_timeout, Box::pin(async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let result = async {
                    // The table's check runs alone on the connection (its
                    // transaction must not take in another caller's
                    // statements): every caller waits for it.
                    if !this.schema_ready.load(Ordering::Acquire) {
                        let _alone = this.schema_lock.lock().await;
                        if !this.schema_ready.load(Ordering::Acquire) {
                            // The version (the table is there), else the
                            // creation in a transaction (four more).
                            this.trips.fetch_add(1, Ordering::Relaxed);
                            ensure_schema(&this.connection).await?;
                            this.schema_ready.store(true, Ordering::Release);
                        }
                    }
                    let client = this.connection.client().await?;
                    work(this.clone(), client).await
                }
                .await;
                match result {
                    Err(e) if attempt == 1 && e.is_connection_lost() => {
                        tracing::debug!(error = %e, "PostgreSQL connection lost; trying once more");
                        this.connection.reset().await;
                    }
                    other => return other,
                }
            }
        }))
    }

    fn sealed_err(&self, source: SealError) -> StateError {
        self.document.sealed_err(source)
    }

    /// The row's document for `state`: the envelope with the credentials
    /// sealed (the shared codec, [`SealedDocument`]).
    fn encode(&self, state: &LocalState) -> Result<zeroize::Zeroizing<String>, StateError> {
        self.document.encode(state)
    }

    /// The state in a row's document. A document the library cannot read
    /// is left in the row (never deleted) and reported.
    fn decode(&self, document: &str) -> Result<LocalState, StateError> {
        self.document.decode(document.as_bytes())
    }

    fn load(self: &Arc<Self>) -> Result<(Option<LocalState>, u64), StateError> {
        let row = self.run(|this, client| async move {
            this.trip();
            client
                .query_typed_opt(
                    "SELECT document, version FROM smartlink_state
                     WHERE installation_id = $1 AND line = $2",
                    &[
                        (&this.installation_id.as_str(), Type::TEXT),
                        (&this.line.as_str(), Type::TEXT),
                    ],
                )
                .await
                .map_err(|e| PgError::query("load", &e))
                .map(|row| row.map(|r| (r.get::<_, Option<String>>(0), r.get::<_, i64>(1))))
        })?;
        match row {
            None => Ok((None, 0)),
            Some((None, version)) => Ok((None, version as u64)),
            Some((Some(document), version)) => {
                let document = zeroize::Zeroizing::new(document);
                Ok((Some(self.decode(&document)?), version as u64))
            }
        }
    }

    /// The fenced write: the document (or `NULL` to clear) replaces the
    /// row's only when the lease is this holder's, unexpired by the
    /// server's clock, and the version is the one expected.
    fn write_fenced(
        self: &Arc<Self>,
        lock: &StateLock,
        document: Option<zeroize::Zeroizing<String>>,
    ) -> Result<(), StateError> {
        let Some(lease) = lock.lease().cloned() else {
            return Err(StateError::LeaseLost { epoch: 0 });
        };
        if lock.guard::<PgLeaseGuard>().is_none() {
            return Err(StateError::LeaseLost { epoch: lease.epoch });
        }
        let expected = lock.expected_version().unwrap_or(0);
        let outcome = self.run(move |this, client| {
            let document = document.clone();
            let lease = lease.clone();
            async move {
                let document = document.as_ref().map(|d| d.as_str());
                this.trip();
                let updated = client
                    .query_typed_opt(
                        "UPDATE smartlink_state
                     SET document = $3, version = version + 1, updated_at = now(),
                         seal_key_id = $7
                     WHERE installation_id = $1 AND line = $2
                       AND lease_holder = $4 AND lease_epoch = $5
                       AND lease_expires_at > now() AND version = $6
                       AND (document IS NULL OR seal_key_id IS NULL OR seal_key_id = $7)
                     RETURNING version",
                        &[
                            (&this.installation_id.as_str(), Type::TEXT),
                            (&this.line.as_str(), Type::TEXT),
                            (&document, Type::TEXT),
                            (&lease.holder, Type::TEXT),
                            (&(lease.epoch as i64), Type::INT8),
                            (&(expected as i64), Type::INT8),
                            (&this.key_id, Type::TEXT),
                        ],
                    )
                    .await
                    .map_err(|e| PgError::query("save", &e))?;
                if let Some(row) = updated {
                    return Ok(Ok(row.get::<_, i64>(0) as u64));
                }
                // Refused: say why.
                this.trip();
                let row = client
                    .query_typed_opt(
                        "SELECT version, lease_holder = $3 AND lease_epoch = $4
                            AND lease_expires_at > now(),
                            document IS NULL OR seal_key_id IS NULL OR seal_key_id = $5
                     FROM smartlink_state WHERE installation_id = $1 AND line = $2",
                        &[
                            (&this.installation_id.as_str(), Type::TEXT),
                            (&this.line.as_str(), Type::TEXT),
                            (&lease.holder, Type::TEXT),
                            (&(lease.epoch as i64), Type::INT8),
                            (&this.key_id, Type::TEXT),
                        ],
                    )
                    .await
                    .map_err(|e| PgError::query("save", &e))?;
                Ok(Err(match row {
                    Some(r) if r.get::<_, Option<bool>>(1) != Some(true) => {
                        StateError::LeaseLost { epoch: lease.epoch }
                    }
                    Some(r) if r.get::<_, Option<bool>>(2) == Some(false) => {
                        this.sealed_err(SealError::WrongKey)
                    }
                    Some(r) => StateError::Conflict {
                        expected,
                        found: r.get::<_, i64>(0) as u64,
                    },
                    None => StateError::LeaseLost { epoch: lease.epoch },
                }))
            }
        })?;
        let version = outcome?;
        lock.set_version(version);
        Ok(())
    }

    /// The unfenced write of [`StateStore::save`] and [`StateStore::clear`].
    fn write(
        self: &Arc<Self>,
        document: Option<zeroize::Zeroizing<String>>,
    ) -> Result<(), StateError> {
        self.run(move |this, client| {
            let document = document.clone();
            async move {
            let document = document.as_ref().map(|d| d.as_str());
            this.trip();
            client
                .execute_typed(
                    "INSERT INTO smartlink_state (installation_id, line, version, document, seal_key_id)
                     VALUES ($1, $2, 1, $3, $4)
                     ON CONFLICT (installation_id, line) DO UPDATE
                     SET document = EXCLUDED.document,
                         seal_key_id = EXCLUDED.seal_key_id,
                         version = smartlink_state.version + 1,
                         updated_at = now()
                     WHERE smartlink_state.document IS NULL
                        OR smartlink_state.seal_key_id IS NULL
                        OR smartlink_state.seal_key_id = EXCLUDED.seal_key_id",
                    &[(&this.installation_id.as_str(), Type::TEXT), (&this.line.as_str(), Type::TEXT), (&document, Type::TEXT), (&this.key_id, Type::TEXT)],
                )
                .await
                .map_err(|e| PgError::query("save", &e))
            }
        })
        .and_then(|written| {
            if written == 1 {
                Ok(())
            } else {
                Err(self.sealed_err(SealError::WrongKey))
            }
        })
    }
}

fn unreachable(store: &str, e: &PgError) -> StateError {
    StateError::Unreachable {
        store: store.to_owned(),
        fault: e.fault(),
        cause: e.to_string(),
    }
}

impl StateStore for PgStateStore {
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        self.inner.load().map(|(state, _)| state)
    }

    /// Not fenced (for tools and tests): replaces the row's document and
    /// bumps its version.
    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        let document = self.inner.encode(state)?;
        self.inner.write(Some(document))
    }

    fn clear(&self) -> Result<(), StateError> {
        self.inner.write(None)
    }

    /// Takes the lease when it is free or expired by the server's clock
    /// (one statement: the row is created when missing). The epoch grows by
    /// one at each taking.
    ///
    /// Taking and releasing a lease are committed without waiting for the
    /// server's disk flush (`synchronous_commit` off for that transaction
    /// only): the write-ahead log is written in order, so the first flushed
    /// commit after a taking (the task recorded before anything is sent)
    /// makes the taking durable too, and a taking lost in a server crash
    /// only makes this holder's next fenced write fail (`LeaseLost`: holder
    /// and epoch are compared). A release lost in a crash makes the next
    /// holder wait for the expiry. Renewals and state writes are flushed.
    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        let holder = holder_id().to_owned();
        let ttl = self.inner.options.lease_ttl.as_secs_f64();
        let taken = self.inner.run(move |this, client| {
            let holder = holder.clone();
            async move {
                this.trip();
                client
                    .query_typed_opt(
                        "INSERT INTO smartlink_state
                         (installation_id, line, version, document,
                          lease_holder, lease_epoch, lease_expires_at)
                     SELECT $1, $2, 0, NULL, $3, 1, now() + make_interval(secs => $4)
                     FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush
                     ON CONFLICT (installation_id, line) DO UPDATE
                     SET lease_holder = EXCLUDED.lease_holder,
                         lease_epoch = smartlink_state.lease_epoch + 1,
                         lease_expires_at = EXCLUDED.lease_expires_at
                     WHERE smartlink_state.lease_holder IS NULL
                        OR smartlink_state.lease_expires_at IS NULL
                        OR smartlink_state.lease_expires_at <= now()
                     RETURNING version, lease_epoch, document",
                        &[
                            (&this.installation_id.as_str(), Type::TEXT),
                            (&this.line.as_str(), Type::TEXT),
                            (&holder, Type::TEXT),
                            (&ttl, Type::FLOAT8),
                        ],
                    )
                    .await
                    .map_err(|e| PgError::query("take lease", &e))
                    .map(|row| {
                        row.map(|r| {
                            (
                                r.get::<_, i64>(0) as u64,
                                r.get::<_, i64>(1) as u64,
                                r.get::<_, Option<String>>(2).map(zeroize::Zeroizing::new),
                            )
                        })
                    })
            }
        })?;
        Ok(taken.map(|(version, epoch, document)| {
            let lease = LeaseInfo {
                holder: holder_id().to_owned(),
                epoch,
            };
            let guard = PgLeaseGuard {
                inner: self.inner.clone(),
                lease: lease.clone(),
            };
            let lock = StateLock::leased(guard, Some(lease), version);
            // The row came back with the lease: the work under it starts
            // from it (a document that does not open is left to the
            // configurator's own read, which reports why).
            match document {
                None => lock.with_found_state(None),
                Some(document) => match self.inner.decode(&document) {
                    Ok(state) => lock.with_found_state(Some(state)),
                    Err(_) => lock,
                },
            }
        }))
    }

    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        let document = self.inner.encode(state)?;
        self.inner.write_fenced(lock, Some(document))
    }

    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        self.inner.write_fenced(lock, None)
    }

    /// Extends the lease by its lifetime from the server's `now()`, when it
    /// is still this holder's and unexpired.
    fn renew(&self, lock: &StateLock) -> Result<(), StateError> {
        let Some(lease) = lock.lease().cloned() else {
            return Err(StateError::LeaseLost { epoch: 0 });
        };
        let ttl = self.inner.options.lease_ttl.as_secs_f64();
        let epoch = lease.epoch;
        let renewed = self.inner.run(move |this, client| {
            let lease = lease.clone();
            async move {
                this.trip();
                client
                    .execute_typed(
                        "UPDATE smartlink_state
                     SET lease_expires_at = now() + make_interval(secs => $5)
                     WHERE installation_id = $1 AND line = $2
                       AND lease_holder = $3 AND lease_epoch = $4
                       AND lease_expires_at > now()",
                        &[
                            (&this.installation_id.as_str(), Type::TEXT),
                            (&this.line.as_str(), Type::TEXT),
                            (&lease.holder, Type::TEXT),
                            (&(lease.epoch as i64), Type::INT8),
                            (&ttl, Type::FLOAT8),
                        ],
                    )
                    .await
                    .map_err(|e| PgError::query("renew lease", &e))
            }
        })?;
        if renewed == 1 {
            Ok(())
        } else {
            lock.mark_lost();
            Err(StateError::LeaseLost { epoch })
        }
    }

    fn lease_ttl(&self) -> Option<Duration> {
        Some(self.inner.options.lease_ttl)
    }

    /// Not used by the login gate of a shared store (it re-reads on a
    /// timer); `None`.
    fn stamp(&self) -> Option<u128> {
        None
    }

    fn describe(&self) -> StoreDescription {
        StoreDescription {
            kind: "postgres",
            location: Some(self.inner.store_name()),
            refresh_every: Some(self.inner.options.refresh_every),
        }
    }

    fn observe(&self) -> Result<StoreObservation, StateError> {
        let row = self.inner.run(|this, client| async move {
            this.trip();
            client
                .query_typed_opt(
                    "SELECT version, lease_holder, lease_epoch,
                            (extract(epoch FROM lease_expires_at - now()) * 1000)::bigint
                     FROM smartlink_state WHERE installation_id = $1 AND line = $2",
                    &[
                        (&this.installation_id.as_str(), Type::TEXT),
                        (&this.line.as_str(), Type::TEXT),
                    ],
                )
                .await
                .map_err(|e| PgError::query("observe", &e))
                .map(|row| {
                    row.map(|r| {
                        (
                            r.get::<_, i64>(0),
                            r.get::<_, Option<String>>(1),
                            r.get::<_, i64>(2),
                            r.get::<_, Option<i64>>(3),
                        )
                    })
                })
        })?;
        Ok(match row {
            None => StoreObservation {
                version: Some(0),
                ..StoreObservation::default()
            },
            Some((version, holder, epoch, expires_in)) => {
                let live = holder.is_some() && expires_in.is_some_and(|ms| ms > 0);
                StoreObservation {
                    version: Some(version as u64),
                    lease_holder: holder.filter(|_| live),
                    lease_epoch: Some(epoch as u64),
                    lease_expires_in_ms: expires_in.filter(|_| live),
                }
            }
        })
    }
}
