//! Local state: what this installation has been configured with.
//!
//! The configurator keeps its binding, credentials and the last task's
//! outcome through a [`StateStore`]. The default is
//! [`FileStateStore`]; [`MemoryStateStore`] is for tests
//! and for hosts that keep everything in their own database.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::credentials::{ClientId, Credentials};
use crate::environment::{EnvironmentId, EnvironmentName, Etag};
use crate::installation::{ErpLine, Installation, InstallationId, InstallationName, Kind};
use crate::platform::IdempotencyKey;

pub(crate) mod conninfo;
pub mod document;
pub mod file;
pub mod history;
pub mod hosted;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod seal;
#[cfg(windows)]
#[allow(unsafe_code)]
pub(crate) mod windows_acl;

pub use file::FileStateStore;

/// The environment this installation is bound to, as last confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalBinding {
    /// The environment.
    pub environment_id: EnvironmentId,
    /// Its name when bound.
    pub environment_name: EnvironmentName,
    /// Its kind.
    pub environment_kind: Kind,
    /// When the binding was confirmed.
    pub bound_at: DateTime<Utc>,
}

/// What the administrator (or the unattended configuration) decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub(crate) enum PlanTarget {
    /// Bind to a listed environment.
    Existing {
        /// The environment.
        environment_id: EnvironmentId,
        /// Its name (for messages).
        environment_name: EnvironmentName,
        /// The etag it was listed with.
        etag: Etag,
        /// Whether the admin confirmed taking the line from another installation.
        overwrite: bool,
    },
    /// Create an environment of the installation's kind, then bind to it.
    Create {
        /// Its name.
        name: EnvironmentName,
    },
}

/// A binding task: what is to be done, and the keys that make its retries safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PendingTask {
    /// Task id; also the support id shown when it fails.
    pub task_id: Uuid,
    /// The installation as it is to be bound.
    pub installation: Installation,
    /// The target.
    pub target: PlanTarget,
    /// Idempotency key of the create request (persisted so a retry or a
    /// restart never creates the environment twice).
    pub create_key: IdempotencyKey,
    /// Idempotency key of the credentials request.
    pub issue_key: IdempotencyKey,
    /// When the task started.
    pub started_at: DateTime<Utc>,
}

/// A credential rotation under way, or interrupted before its answer was
/// known: the idempotency key of its credentials request, stored before the
/// request is sent, so that the next rotation (on this machine or another
/// using the same state) asks again with the same key and receives the same
/// credentials instead of a second set that would leave the first orphaned.
/// It does not make the state unconfigured: the current credentials serve
/// until new ones are verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PendingRotation {
    /// The key of the credentials request.
    pub issue_key: IdempotencyKey,
    /// When the first attempt started.
    pub started_at: DateTime<Utc>,
}

/// How the last task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskOutcome {
    /// Bound, credentials issued, verified and stored.
    Succeeded {
        /// The environment.
        environment_id: EnvironmentId,
        /// Whether current credentials were reused.
        reused_credentials: bool,
    },
    /// It failed; the configurator is needed again.
    Failed {
        /// Why, as a typed code (stored as its stable string).
        code: crate::failure::FailureCode,
        /// A human-readable detail (no secrets).
        detail: String,
    },
}

/// The record of the last task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Task id (support id).
    pub task_id: Uuid,
    /// The outcome.
    pub outcome: TaskOutcome,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

/// Credentials the platform's token endpoint refused (`invalid_client`, with
/// HTTP 401 or 400): revoked (another installation took the environment,
/// R4, or they were unbound), expired, or — just as likely — asked for the
/// wrong way (a wrong token URL, an authentication method the server does
/// not take, a proxy answering for the server).
///
/// The refused credentials are **kept** in [`LocalState::credentials`]:
/// this record, naming their client id, marks them refused. While it
/// applies ([`LocalState::active_revocation`]) the login gate is open and
/// they are used for no request, except one token request when the host
/// runs another token request setup than the one refused
/// ([`Revocation::token_request_setup`]) or re-verifies them explicitly
/// ([`crate::Configurator::reverify_credentials`]); a success clears the
/// mark. Only new credentials (a rotation, a regeneration), an unbind or a
/// forget replace or remove the secret. States written before the
/// credentials were kept hold the record with no credentials (the secret
/// was dropped then); they load unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The client id of the refused credentials.
    pub client_id: ClientId,
    /// When the refusal was seen.
    pub detected_at: DateTime<Utc>,
    /// The token request's id, for support.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The HTTP status of the refusal (401 or 400), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How the refused request was made: the client authentication method
    /// and the token URL (see [`crate::Platform::token_request_setup`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_request_setup: Option<String>,
}

/// Everything the configurator keeps locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalState {
    /// The installation this state was made for. A state whose id differs
    /// from the one the host presents now belongs to another installation
    /// (a cloned database) and is never used.
    pub installation_id: InstallationId,
    /// The line it was made for.
    pub line: ErpLine,
    /// The installation's name as last configured, kept so that a later
    /// run can pre-fill it (and tell a rename from a first name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_name: Option<InstallationName>,
    /// The binding, once made.
    #[serde(default)]
    pub binding: Option<LocalBinding>,
    /// The credentials, once issued and verified.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// The task running or interrupted, if any, with its idempotency keys
    /// (internal: see [`LocalState::pending_task_id`]).
    #[serde(default)]
    pub(crate) pending: Option<PendingTask>,
    /// The credential rotation under way or interrupted, with its key
    /// (internal: see [`LocalState::pending_rotation_started_at`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending_rotation: Option<PendingRotation>,
    /// How the last task ended.
    #[serde(default)]
    pub last_task: Option<TaskRecord>,
    /// The credentials the platform refused, when that happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<Revocation>,
    /// The binding history, oldest first (read it newest first with
    /// [`crate::Configurator::history`]): at most
    /// [`history::HISTORY_LIMIT`] entries, each added in the same save as
    /// the change it records. States written before it load with an empty
    /// history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<history::HistoryEntry>,
}

impl LocalState {
    /// An empty state for an installation.
    pub fn new(installation_id: InstallationId, line: ErpLine) -> Self {
        Self {
            installation_id,
            line,
            installation_name: None,
            binding: None,
            credentials: None,
            pending: None,
            pending_rotation: None,
            last_task: None,
            revocation: None,
            history: Vec::new(),
        }
    }

    /// The revocation that still applies: recorded, and no other
    /// credentials stored since.
    pub fn active_revocation(&self) -> Option<&Revocation> {
        self.revocation.as_ref().filter(|r| {
            self.credentials
                .as_ref()
                .is_none_or(|c| c.client_id == r.client_id)
        })
    }

    /// The stored credentials when the platform refused them and no others
    /// replaced them since: kept, marked refused, used for no request (see
    /// [`Revocation`]).
    pub fn refused_credentials(&self) -> Option<&Credentials> {
        let revocation = self.revocation.as_ref()?;
        self.credentials
            .as_ref()
            .filter(|c| c.client_id == revocation.client_id)
    }

    /// When the credential rotation under way or interrupted started, if
    /// one is (its request's idempotency key is stored with it and reused
    /// by the next rotation).
    pub fn pending_rotation_started_at(&self) -> Option<DateTime<Utc>> {
        self.pending_rotation.as_ref().map(|r| r.started_at)
    }

    /// The id of the task running or interrupted (the process died while it
    /// ran, or it failed after reaching the platform and keeps its keys for
    /// the next attempt), if any.
    pub fn pending_task_id(&self) -> Option<Uuid> {
        self.pending.as_ref().map(|p| p.task_id)
    }

    /// A state as a process leaves it when it is killed right after sending
    /// a create request (for tests of crash recovery).
    #[cfg(feature = "testing")]
    pub fn with_interrupted_create(
        mut self,
        installation: Installation,
        name: crate::environment::EnvironmentName,
        create_key: IdempotencyKey,
    ) -> Self {
        self.pending = Some(PendingTask {
            task_id: Uuid::new_v4(),
            installation,
            target: PlanTarget::Create { name },
            create_key,
            issue_key: IdempotencyKey::new(),
            started_at: Utc::now(),
        });
        self
    }

    /// Whether this state was made for `id` on `line`.
    pub fn belongs_to(&self, id: &InstallationId, line: ErpLine) -> bool {
        &self.installation_id == id && self.line == line
    }

    /// Whether the state holds a usable configuration at `now`: a binding,
    /// unexpired credentials for that binding's environment, no pending
    /// task and no failed last task.
    pub fn is_configured_at(&self, now: DateTime<Utc>) -> bool {
        let (Some(binding), Some(creds)) = (&self.binding, &self.credentials) else {
            return false;
        };
        creds.environment_id == binding.environment_id
            && creds.is_unexpired_at(now)
            && self.active_revocation().is_none()
            && self.pending.is_none()
            && !matches!(
                self.last_task,
                Some(TaskRecord {
                    outcome: TaskOutcome::Failed { .. },
                    ..
                })
            )
    }
}

/// Errors of a state store. Messages name paths and modes, never contents.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StateError {
    /// An I/O operation failed.
    #[error("state file {op} failed for {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is readable or writable by group or others. On Windows:
    /// the file's or its directory's DACL lets Everyone, Authenticated
    /// Users, Users, Guests or Anonymous read or write it; `mode` is then the
    /// Unix equivalent (group/other bits for what those groups may do).
    #[cfg_attr(
        not(windows),
        error("state file {path} has mode {mode:o}; it must be readable by its owner only (0600)")
    )]
    #[cfg_attr(
        windows,
        error(
            "state file or directory {path} is open to other accounts (like mode {mode:o}); its DACL must grant access to this account and SYSTEM only"
        )
    )]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file belongs to another user.
    #[error(
        "state file {path} is owned by uid {owner}, not by this process's user (uid {expected})"
    )]
    ForeignOwner {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's effective uid.
        expected: u32,
    },
    /// The file could not be parsed; it was moved aside, not deleted.
    #[error("state file {path} is corrupt ({detail}); it was kept as {kept_at}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where it was moved.
        kept_at: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The file has a format version this library does not know.
    #[error(
        "state file {path} has format version {found}, newer than this library supports ({supported}); it was kept as {kept_at}"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Where it was moved.
        kept_at: PathBuf,
        /// Its version.
        found: u64,
        /// The newest version this library reads.
        supported: u64,
    },
    /// The state could not be encoded.
    #[error("state could not be encoded: {0}")]
    Encode(String),
    /// A compare-and-swap lost: the stored state's version is not the one
    /// this holder saw. Another holder wrote since; nothing was written.
    /// Re-read and decide again.
    #[error("the stored state changed (version {found}, expected {expected}); nothing was written")]
    Conflict {
        /// The version this holder expected.
        expected: u64,
        /// The version found.
        found: u64,
    },
    /// The lease under which this write was made expired or was taken over
    /// by another holder; nothing was written and the work under it stops.
    #[error(
        "the state's lease (epoch {epoch}) is no longer held by this process; nothing was written"
    )]
    LeaseLost {
        /// The lost lease's epoch.
        epoch: u64,
    },
    /// A shared store (a database) could not be reached or answered with an
    /// error. The message names the store, never a password.
    #[error("state store {store}: {cause}")]
    Unreachable {
        /// The store (host, port, database, user).
        store: String,
        /// What failed.
        cause: String,
        /// Why, typed.
        fault: StoreFault,
    },
    /// The sealed secret could not be opened or sealed, or the seal key
    /// could not be read (see [`SealKey`](crate::SealKey)). Nothing was written or moved.
    #[error("state {path}: {source}")]
    Sealed {
        /// The state file (or the key file, when the key could not be read).
        path: PathBuf,
        /// The cause.
        #[source]
        source: seal::SealError,
    },
}

/// Why a shared store (a database) could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StoreFault {
    /// Nothing answered (refused, reset, the server going down), or the
    /// connection was lost.
    Unreachable,
    /// The host name could not be resolved.
    Dns,
    /// No answer in time.
    Timeout,
    /// The server refused the user or its password.
    Authentication,
    /// The database does not exist.
    NoDatabase,
    /// A remote server without `sslmode=require`.
    TlsRequired,
    /// TLS failed (the certificate, the system's roots).
    Tls,
    /// The table was written by a newer library.
    SchemaNewer,
    /// A table of the store's name that is not the library's (other
    /// columns: another program's table, or one altered by hand).
    SchemaForeign,
    /// The URL could not be understood.
    InvalidUrl,
    /// Anything else the server or the driver said.
    Other,
}

impl StoreFault {
    /// The stable string (`unreachable`, `dns`, `timeout`,
    /// `authentication`, `no_database`, `tls_required`, `tls`,
    /// `schema_newer`, `schema_foreign`, `invalid_url`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            StoreFault::Unreachable => "unreachable",
            StoreFault::Dns => "dns",
            StoreFault::Timeout => "timeout",
            StoreFault::Authentication => "authentication",
            StoreFault::NoDatabase => "no_database",
            StoreFault::TlsRequired => "tls_required",
            StoreFault::Tls => "tls",
            StoreFault::SchemaNewer => "schema_newer",
            StoreFault::SchemaForeign => "schema_foreign",
            StoreFault::InvalidUrl => "invalid_url",
            StoreFault::Other => "other",
        }
    }

    /// Whether the store answered but cannot be used as configured (the
    /// user, the database, TLS, the schema), as opposed to out of reach.
    pub fn is_refusal(self) -> bool {
        matches!(
            self,
            StoreFault::Authentication
                | StoreFault::NoDatabase
                | StoreFault::TlsRequired
                | StoreFault::SchemaNewer
                | StoreFault::SchemaForeign
                | StoreFault::InvalidUrl
        )
    }
}

/// A held lease on a store: the right to run binding work and to write.
/// Released when dropped.
///
/// A store local to one machine (memory, a file on a private disk) gives a
/// lock that never expires while held. A shared store (a database, see
/// [`StateStore::lease_ttl`]) gives a lease with a holder, an epoch and an
/// expiry timed by the store's own clock; the configurator renews it while
/// work runs ([`StateStore::renew`]) and stops its work before it can
/// expire when renewals fail. Every write under the lease
/// ([`StateStore::save_fenced`]) is a compare-and-swap on the version this
/// holder last saw, fenced by its epoch: a holder whose lease was taken
/// over can never write.
pub struct StateLock {
    guard: Box<dyn std::any::Any + Send + Sync>,
    lease: Option<LeaseInfo>,
    /// The version this holder saw when it took the lease, then wrote: what
    /// its next fenced save expects to find.
    version: Mutex<Option<u64>>,
    lost: std::sync::atomic::AtomicBool,
    /// The state the store read in the same step as it took the lease (see
    /// [`StateLock::with_found_state`]); forgotten at the first write.
    found: Mutex<Option<Option<LocalState>>>,
}

/// Who holds a lease, and since which epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The holder: machine and process (`host:pid:random`).
    pub holder: String,
    /// The lease's epoch: +1 each time the lease changes hands.
    pub epoch: u64,
}

impl StateLock {
    /// Wraps whatever releases the lock on drop: a lock local to this
    /// machine, that never expires while held, with no version to compare.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self {
            guard: Box::new(guard),
            lease: None,
            version: Mutex::new(None),
            lost: std::sync::atomic::AtomicBool::new(false),
            found: Mutex::new(None),
        }
    }

    /// A lease (`guard` releases it on drop) taken when the stored state
    /// had `version`.
    pub fn leased(
        guard: impl Send + Sync + 'static,
        lease: Option<LeaseInfo>,
        version: u64,
    ) -> Self {
        Self {
            guard: Box::new(guard),
            lease,
            version: Mutex::new(Some(version)),
            lost: std::sync::atomic::AtomicBool::new(false),
            found: Mutex::new(None),
        }
    }

    /// The stored state as the store read it in the same step as it took
    /// the lease, at the lease's version (`None`: no state stored). A store
    /// whose lease statement can return the row (PostgreSQL) gives it, so
    /// the work under the lease starts without another round trip; the
    /// configurator otherwise reads the state. It must be the state of
    /// `version` exactly, and is forgotten at the first write under the
    /// lease.
    pub fn with_found_state(self, state: Option<LocalState>) -> Self {
        *self.found.lock().unwrap_or_else(|e| e.into_inner()) = Some(state);
        self
    }

    /// What [`StateLock::with_found_state`] gave, until the first write.
    pub fn found_state(&self) -> Option<Option<LocalState>> {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The guard a store put in, for that store's fenced writes.
    pub fn guard<T: 'static>(&self) -> Option<&T> {
        self.guard.downcast_ref::<T>()
    }

    /// The lease's holder and epoch, for a store that has them.
    pub fn lease(&self) -> Option<&LeaseInfo> {
        self.lease.as_ref()
    }

    /// The version the next fenced save expects (`None`: the store keeps
    /// no versions).
    pub fn expected_version(&self) -> Option<u64> {
        *self.version.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the version a fenced save wrote.
    pub fn set_version(&self, version: u64) {
        *self.version.lock().unwrap_or_else(|e| e.into_inner()) = Some(version);
        *self.found.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Marks the lease lost: renewals failed for too long, or a write found
    /// it taken over. Work under it stops.
    pub fn mark_lost(&self) {
        self.lost.store(true, std::sync::atomic::Ordering::SeqCst);
        *self.found.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether the lease is known lost (see [`StateLock::mark_lost`]).
    pub fn is_lost(&self) -> bool {
        self.lost.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl std::fmt::Debug for StateLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateLock")
            .field("lease", &self.lease)
            .field("expected_version", &self.expected_version())
            .field("lost", &self.is_lost())
            .finish()
    }
}

/// How often the login gate re-reads a store shared by several machines:
/// the bound on how stale its verdict can be.
pub const DEFAULT_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

/// The holder id this process uses for leases: the machine's name, the
/// process id and a random part (so a restarted process with the same pid
/// is another holder).
pub fn holder_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = hostname();
        let random = Uuid::new_v4().simple().to_string();
        format!("{host}:{}:{}", std::process::id(), &random[..8])
    })
}

fn hostname() -> String {
    let from_env = std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
        .filter(|h| !h.is_empty());
    #[cfg(unix)]
    let from_system = rustix::system::uname()
        .nodename()
        .to_str()
        .ok()
        .map(str::to_owned)
        .filter(|h| !h.is_empty());
    #[cfg(not(unix))]
    let from_system: Option<String> = None;
    let name = from_system
        .or(from_env)
        .unwrap_or_else(|| "unknown-host".to_owned());
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .take(64)
        .collect()
}

/// What a store is, for `status` and support (never a password or a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreDescription {
    /// `memory`, `file`, `postgres` or `custom`.
    pub kind: &'static str,
    /// Where: a path, or a database's host, port, database and user.
    pub location: Option<String>,
    /// For a store shared by several machines: how often the login gate
    /// re-reads it in the background, which bounds how stale its verdict
    /// can be.
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_millis")]
    pub refresh_every: Option<std::time::Duration>,
}

mod opt_millis {
    pub fn serialize<S: serde::Serializer>(
        d: &Option<std::time::Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }
}

/// What a store holds right now, besides the state: its version and who
/// holds its lease.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StoreObservation {
    /// The stored state's version (0: nothing stored yet); `None` when the
    /// store keeps no versions.
    pub version: Option<u64>,
    /// Who holds the lease, when someone does.
    pub lease_holder: Option<String>,
    /// The lease's epoch.
    pub lease_epoch: Option<u64>,
    /// In how many milliseconds the lease expires, by the store's clock.
    pub lease_expires_in_ms: Option<i64>,
}

/// Where the local state lives.
pub trait StateStore: Send + Sync {
    /// Reads the state; `None` when nothing was stored yet.
    fn load(&self) -> Result<Option<LocalState>, StateError>;

    /// Replaces the state, atomically: after a crash at any moment, `load`
    /// returns the old state or the new one, whole. Not fenced: the
    /// configurator writes through [`StateStore::save_fenced`].
    fn save(&self, state: &LocalState) -> Result<(), StateError>;

    /// Forgets the stored state.
    fn clear(&self) -> Result<(), StateError>;

    /// Takes the store's exclusive lock (its lease) without waiting: `None`
    /// when another holder (thread, process or machine) has it. Only one
    /// holder runs binding work.
    fn try_lock(&self) -> Result<Option<StateLock>, StateError>;

    /// Saves under `lock`: a compare-and-swap on the version the lock
    /// expects ([`StateLock::expected_version`], recorded when it was taken
    /// and after each of its saves), fenced by its lease. A newer state
    /// written by another holder is never overwritten
    /// ([`StateError::Conflict`]); a lease taken over is never written
    /// through ([`StateError::LeaseLost`]). The default, for stores local to
    /// one machine whose lock cannot be taken over, is [`StateStore::save`].
    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        let _ = lock;
        self.save(state)
    }

    /// Clears under `lock`, fenced as [`StateStore::save_fenced`].
    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        let _ = lock;
        self.clear()
    }

    /// For a lease that expires ([`StateStore::lease_ttl`]): extends it by
    /// its lifetime, timed by the store. [`StateError::LeaseLost`] when it
    /// expired and was taken over (or released). The default does nothing.
    fn renew(&self, lock: &StateLock) -> Result<(), StateError> {
        let _ = lock;
        Ok(())
    }

    /// The lifetime of the store's leases, when they expire (a shared
    /// store): the configurator then renews a held lease every third of it
    /// and stops its work when a renewal has not succeeded for three
    /// quarters of it, measured on this machine's monotonic clock. `None`
    /// (the default): a lock that lasts while held.
    fn lease_ttl(&self) -> Option<std::time::Duration> {
        None
    }

    /// A cheap stamp that changes whenever the stored state changes (for a
    /// file: its size, modification time and inode). The login gate reloads
    /// only when it differs from the last one seen.
    fn stamp(&self) -> Option<u128>;

    /// Whether `load`, `save` and `clear` may wait on a disk or anything
    /// slow. The configurator then runs them on the runtime's blocking pool,
    /// so an async worker never waits; a store that answers from memory says
    /// `false` and is called in place. `true` unless a store says otherwise.
    fn may_block(&self) -> bool {
        true
    }

    /// What the store is (kind, location, refresh period), for `status`.
    fn describe(&self) -> StoreDescription {
        StoreDescription {
            kind: "custom",
            location: None,
            refresh_every: None,
        }
    }

    /// Its version and lease holder right now, for `status` (may read the
    /// store). The default knows neither.
    fn observe(&self) -> Result<StoreObservation, StateError> {
        Ok(StoreObservation::default())
    }
}

/// A state store in memory: for tests, and for hosts that persist the state
/// themselves through the API.
#[derive(Debug, Default, Clone)]
pub struct MemoryStateStore {
    inner: Arc<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    state: Mutex<(Option<LocalState>, u128)>,
    /// The version in `state`, set under its mutex after each change: read
    /// by `stamp` (for the login gate) without taking the mutex.
    stamp: std::sync::atomic::AtomicU64,
    locked: Mutex<bool>,
    released: Condvar,
}

impl MemoryInner {
    /// Mirrors a new version (the state's mutex held, the change made).
    fn stamped(&self, version: u128) {
        self.stamp
            .store(version as u64, std::sync::atomic::Ordering::Release);
    }
}

struct MemoryGuard(Arc<MemoryInner>);

impl Drop for MemoryGuard {
    fn drop(&mut self) {
        let mut locked = self.0.locked.lock().unwrap_or_else(|e| e.into_inner());
        *locked = false;
        self.0.released.notify_all();
    }
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `state`.
    pub fn with_state(state: LocalState) -> Self {
        let store = Self::new();
        let mut guard = store.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        *guard = (Some(state), 1);
        store
            .inner
            .stamp
            .store(1, std::sync::atomic::Ordering::Release);
        drop(guard);
        store
    }
}

impl MemoryStateStore {
    /// A compare-and-swap on the version `lock` expects.
    fn write_fenced(&self, lock: &StateLock, state: Option<&LocalState>) -> Result<(), StateError> {
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let found = guard.1 as u64;
        if let Some(expected) = lock.expected_version()
            && expected != found
        {
            return Err(StateError::Conflict { expected, found });
        }
        guard.0 = state.cloned();
        guard.1 += 1;
        self.inner.stamped(guard.1);
        lock.set_version(guard.1 as u64);
        Ok(())
    }
}

impl StateStore for MemoryStateStore {
    fn may_block(&self) -> bool {
        false
    }

    fn load(&self) -> Result<Option<LocalState>, StateError> {
        Ok(self
            .inner
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone())
    }

    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 = Some(state.clone());
        guard.1 += 1;
        self.inner.stamped(guard.1);
        Ok(())
    }

    fn clear(&self) -> Result<(), StateError> {
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 = None;
        guard.1 += 1;
        self.inner.stamped(guard.1);
        Ok(())
    }

    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        let mut locked = self.inner.locked.lock().unwrap_or_else(|e| e.into_inner());
        if *locked {
            return Ok(None);
        }
        *locked = true;
        let version = self.inner.state.lock().unwrap_or_else(|e| e.into_inner()).1 as u64;
        Ok(Some(StateLock::leased(
            MemoryGuard(self.inner.clone()),
            None,
            version,
        )))
    }

    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        self.write_fenced(lock, Some(state))
    }

    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        self.write_fenced(lock, None)
    }

    fn describe(&self) -> StoreDescription {
        StoreDescription {
            kind: "memory",
            location: None,
            refresh_every: None,
        }
    }

    fn observe(&self) -> Result<StoreObservation, StateError> {
        Ok(StoreObservation {
            version: Some(self.inner.state.lock().unwrap_or_else(|e| e.into_inner()).1 as u64),
            ..StoreObservation::default()
        })
    }

    fn stamp(&self) -> Option<u128> {
        Some(u128::from(
            self.inner.stamp.load(std::sync::atomic::Ordering::Acquire),
        ))
    }
}
