//! The file store's sealed secret: opening it with a key file, sealing the
//! credentials on save, opening them on load, and the key's rotation.
//!
//! A sealed file's envelope carries the credentials in `sealed` (a
//! [`SealedBlob`]) and none in `state`; the rest of the state (installation,
//! binding, last task) stays readable, so that `status` can say what the
//! file is about even without the key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{FORMAT_TAG, FORMAT_VERSION, FileStateStore};
use crate::state::seal::{self, SealContext, SealError, SealKey, SealedBlob};
use crate::state::{LocalState, StateError, StateStore};

/// Options of [`FileStateStore::open_with`].
///
/// ```no_run
/// use smartlink_core::{FileStateStore, FileStoreOptions};
///
/// let options = FileStoreOptions::new().seal_key_file("/etc/smartlink/seal.key");
/// let store = FileStateStore::open_with("/srv/protheus_data/smartlink/state.json", &options)?;
/// # Ok::<(), smartlink_core::StateError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FileStoreOptions {
    /// The seal key file: when given, the stored credentials are sealed with
    /// it, and a sealed file is read only with it. Off by default.
    pub seal_key_file: Option<PathBuf>,
    /// The folder is shared by several machines (a network share): the
    /// login gate re-reads the file every this long instead of trusting
    /// `stat` (which SMB and NFS clients cache). Off by default.
    pub shared_folder: Option<std::time::Duration>,
}

impl FileStoreOptions {
    /// No options: the credentials are stored in clear, as by
    /// [`FileStateStore::open`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The folder is shared by several machines: the login gate re-reads
    /// the file every [`DEFAULT_REFRESH`](crate::state::DEFAULT_REFRESH)
    /// (2 s), which bounds how long a change made on another machine goes
    /// unseen.
    pub fn shared_folder(mut self) -> Self {
        self.shared_folder = Some(crate::state::DEFAULT_REFRESH);
        self
    }

    /// Seals the stored credentials with the key in `path` (32 bytes,
    /// owner-only; see [`SealKey::read_file`]).
    pub fn seal_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.seal_key_file = Some(path.into());
        self
    }
}

impl FileStateStore {
    /// Opens the store at `path` with `options`. The seal key file, when
    /// given, is read now: a missing, malformed or loosely protected key
    /// file is refused ([`StateError::Sealed`], naming the key file) before
    /// anything is read or written.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: &FileStoreOptions,
    ) -> Result<Self, StateError> {
        let mut store = Self::open(path)?;
        store.refresh_every = options.shared_folder;
        if options.shared_folder.is_some() && options.seal_key_file.is_none() {
            tracing::warn!(path = %store.path().display(),
                "a state on a folder shared by several machines keeps the client secret in clear: a seal key is recommended (seal_key_file)");
        }
        match &options.seal_key_file {
            None => Ok(store),
            Some(key_file) => {
                let key = SealKey::read_file(key_file).map_err(|source| StateError::Sealed {
                    path: key_file.clone(),
                    source,
                })?;
                Ok(store.with_seal_key(key))
            }
        }
    }

    /// This store, sealing with `key` from now on.
    pub fn with_seal_key(mut self, key: SealKey) -> Self {
        self.seal = Some(Arc::new(key));
        self
    }

    /// Whether this store seals the credentials it saves.
    pub fn is_sealed(&self) -> bool {
        self.seal.is_some()
    }

    /// Replaces the seal key: reads the state with this store's key (or in
    /// clear, for a file written before sealing was turned on), then writes
    /// it sealed with `new_key`, atomically, under the store's lock. Returns
    /// the store that uses the new key.
    ///
    /// When the state cannot be read with the current key, nothing is
    /// written. When another process holds the lock (a task runs), the
    /// rotation is refused rather than raced. A state without credentials
    /// is rewritten all the same, so the file never names the old key.
    pub fn rotate_seal_key(&self, new_key: SealKey) -> Result<FileStateStore, StateError> {
        let Some(_lock) = self.try_lock()? else {
            return Err(StateError::Io {
                op: "rotate the seal key (the state is locked by a running task)",
                path: self.lock_path().to_path_buf(),
                source: std::io::Error::from(std::io::ErrorKind::WouldBlock),
            });
        };
        let state = self.load()?;
        let rotated = self.clone().with_seal_key(new_key);
        if let Some(state) = state {
            rotated.write_state(&state)?;
        }
        Ok(rotated)
    }

    /// Refuses to replace a file whose credentials are sealed under a key
    /// this store does not have. A file that is missing, unreadable or not
    /// understood is left to the save (as without sealing).
    pub(super) fn check_replaceable(&self) -> Result<(), StateError> {
        use std::io::Read;
        let Ok(file) = self.open_for_read() else {
            return Ok(());
        };
        let mut bytes = Vec::new();
        if (&file)
            .take(super::MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .is_err()
        {
            return Ok(());
        }
        let bytes = zeroize::Zeroizing::new(bytes);
        let Ok((_, Some(blob))) = super::decode(&bytes) else {
            return Ok(());
        };
        match &self.seal {
            None => Err(self.sealed_err(SealError::KeyMissing)),
            Some(key) if !seal::key_matches(key, &blob) => {
                Err(self.sealed_err(SealError::WrongKey))
            }
            Some(_) => Ok(()),
        }
    }

    fn sealed_err(&self, source: SealError) -> StateError {
        StateError::Sealed {
            path: self.path().to_path_buf(),
            source,
        }
    }

    /// Opens the sealed credentials of a decoded state.
    pub(super) fn unseal(
        &self,
        mut state: LocalState,
        sealed: Option<SealedBlob>,
    ) -> Result<LocalState, StateError> {
        let Some(blob) = sealed else {
            return Ok(state);
        };
        let Some(key) = &self.seal else {
            return Err(self.sealed_err(SealError::KeyMissing));
        };
        let context = context_of(&state);
        let credentials =
            seal::open_credentials(key, &context, &blob).map_err(|e| self.sealed_err(e))?;
        state.credentials = Some(credentials);
        Ok(state)
    }

    /// For a save: the sealed credentials and the state without them, when
    /// this store seals and the state has credentials.
    pub(super) fn seal_for_save(
        &self,
        state: &LocalState,
    ) -> Result<(Option<SealedBlob>, Option<LocalState>), StateError> {
        let (Some(key), Some(credentials)) = (&self.seal, &state.credentials) else {
            return Ok((None, None));
        };
        let blob = seal::seal_credentials(key, &context_of(state), credentials)
            .map_err(|e| self.sealed_err(e))?;
        let mut rest = state.clone();
        rest.credentials = None;
        Ok((Some(blob), Some(rest)))
    }
}

fn context_of(state: &LocalState) -> SealContext<'_> {
    SealContext {
        installation_id: &state.installation_id,
        line: state.line,
        format: FORMAT_TAG,
        version: FORMAT_VERSION,
    }
}
