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
    Found(Box<LocalState>),
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
            Ok((state, sealed)) => Inspection::Found(Box::new(self.unseal(state, sealed)?)),
            Err(DecodeError::Corrupt(detail)) => Inspection::Corrupt { detail },
            Err(DecodeError::Newer(found)) => Inspection::Newer {
                found,
                supported: FORMAT_VERSION,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installation::{ErpLine, InstallationId};
    use crate::state::StateStore;

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn write_0600(path: &std::path::Path, bytes: &[u8]) {
        std::fs::write(path, bytes).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    #[test]
    fn inspect_reads_and_never_moves_anything() {
        let tmp = tempfile::tempdir().unwrap();
        // A directory the store creates itself: private on every platform
        // (on Windows a temporary directory inherits a readable ACL).
        let dir = tmp.path().join("erp");
        let path = dir.join("state.json");
        let store = FileStateStore::open(&path).unwrap();
        assert!(matches!(store.inspect().unwrap(), Inspection::Missing));
        assert!(!dir.exists(), "nothing created");

        let state = LocalState::new(InstallationId::new("i-1").unwrap(), ErpLine::Protheus);
        store.save(&state).unwrap();
        match store.inspect().unwrap() {
            Inspection::Found(found) => assert_eq!(*found, state),
            other => panic!("{other:?}"),
        }

        write_0600(&path, b"{ not json");
        let before = names(&dir);
        assert!(matches!(
            store.inspect().unwrap(),
            Inspection::Corrupt { .. }
        ));
        assert_eq!(names(&dir), before, "the corrupt file stays");
        assert_eq!(std::fs::read(&path).unwrap(), b"{ not json");

        write_0600(
            &path,
            br#"{"format":"smartlink-state","version":99,"state":{}}"#,
        );
        assert!(matches!(
            store.inspect().unwrap(),
            Inspection::Newer { found: 99, .. }
        ));
        assert_eq!(names(&dir), before);
        // `load` still sets it aside, as documented.
        assert!(store.load().is_err());
        assert_ne!(names(&dir), before);
    }
}
