//! The default state store: one JSON file, 0600, written atomically, locked.

use std::path::{Path, PathBuf};

use super::{LocalState, StateError, StateLock, StateStore};

/// Keeps the local state in one JSON file.
#[derive(Debug, Clone)]
pub struct FileStateStore {
    path: PathBuf,
}

impl FileStateStore {
    /// Opens (without creating yet) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StateError> {
        Ok(Self {
            path: path.as_ref().to_path_buf(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl StateStore for FileStateStore {
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        todo!("FileStateStore::load")
    }
    fn save(&self, _state: &LocalState) -> Result<(), StateError> {
        todo!("FileStateStore::save")
    }
    fn clear(&self) -> Result<(), StateError> {
        todo!("FileStateStore::clear")
    }
    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        todo!("FileStateStore::try_lock")
    }
    fn stamp(&self) -> Option<u128> {
        None
    }
}
