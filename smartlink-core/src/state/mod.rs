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

pub mod file;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod seal;
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows_acl;

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
    /// The sealed secret could not be opened or sealed, or the seal key
    /// could not be read (see [`seal`]). Nothing was written or moved.
    #[error("state {path}: {source}")]
    Sealed {
        /// The state file (or the key file, when the key could not be read).
        path: PathBuf,
        /// The cause.
        #[source]
        source: seal::SealError,
    },
}

/// A held exclusive lock on a store; released when dropped.
pub struct StateLock {
    _guard: Box<dyn Send + Sync>,
}

impl StateLock {
    /// Wraps whatever releases the lock on drop.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self {
            _guard: Box::new(guard),
        }
    }
}

impl std::fmt::Debug for StateLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateLock")
    }
}

/// Where the local state lives.
pub trait StateStore: Send + Sync {
    /// Reads the state; `None` when nothing was stored yet.
    fn load(&self) -> Result<Option<LocalState>, StateError>;

    /// Replaces the state, atomically: after a crash at any moment, `load`
    /// returns the old state or the new one, whole.
    fn save(&self, state: &LocalState) -> Result<(), StateError>;

    /// Forgets the stored state.
    fn clear(&self) -> Result<(), StateError>;

    /// Takes the store's exclusive lock without waiting: `None` when another
    /// holder (thread or process) has it. Only one holder runs binding work.
    fn try_lock(&self) -> Result<Option<StateLock>, StateError>;

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
    locked: Mutex<bool>,
    released: Condvar,
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
        *store.inner.state.lock().unwrap() = (Some(state), 1);
        store
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
        Ok(())
    }

    fn clear(&self) -> Result<(), StateError> {
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 = None;
        guard.1 += 1;
        Ok(())
    }

    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        let mut locked = self.inner.locked.lock().unwrap_or_else(|e| e.into_inner());
        if *locked {
            return Ok(None);
        }
        *locked = true;
        Ok(Some(StateLock::new(MemoryGuard(self.inner.clone()))))
    }

    fn stamp(&self) -> Option<u128> {
        Some(self.inner.state.lock().unwrap_or_else(|e| e.into_inner()).1)
    }
}
