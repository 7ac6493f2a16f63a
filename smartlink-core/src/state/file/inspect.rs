//! A read-only look at the state file, for status commands.

use std::io::{self, Read};

use super::{DecodeError, FORMAT_VERSION, FileStateStore, MAX_FILE_SIZE, decode};
use crate::state::{LocalState, StateError};

/// What [`FileStateStore::inspect`] found.
#[derive(Debug)]
#[non_exhaustive]
pub enum Inspection {
    /// No state file.
    Missing,
    /// The state, read.
    Found(LocalState),
    /// The file cannot be understood; it was left where it is.
    Corrupt {
        /// What was wrong (never the contents).
        detail: String,
    },
    /// The file has a newer format version; it was left where it is.
    Newer {
        /// Its version.
        found: u64,
        /// The newest version this library reads.
        supported: u64,
    },
}

impl FileStateStore {
    /// Reads the state without changing anything on disk.
    ///
    /// Unlike [`load`](crate::state::StateStore::load), a file that cannot be
    /// understood is reported and left in place (the next `load` moves it
    /// aside); no lock is taken and no directory is created. The same checks
    /// as `load` apply first (no symlink, a regular file, the owner's only).
    pub fn inspect(&self) -> Result<Inspection, StateError> {
        let file = match self.open_for_read() {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Inspection::Missing),
            Err(e) => return Err(self.io_err("open", self.path(), e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| self.io_err("stat", self.path(), e))?;
        self.check_file(&meta)?;
        let too_large = || Inspection::Corrupt {
            detail: format!("larger than {MAX_FILE_SIZE} bytes"),
        };
        if meta.len() > MAX_FILE_SIZE {
            return Ok(too_large());
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&file)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_err("read", self.path(), e))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Ok(too_large());
        }
        Ok(match decode(&bytes) {
            Ok(state) => Inspection::Found(state),
            Err(DecodeError::Corrupt(detail)) => Inspection::Corrupt { detail },
            Err(DecodeError::Newer(found)) => Inspection::Newer {
                found,
                supported: FORMAT_VERSION,
            },
        })
    }
}
