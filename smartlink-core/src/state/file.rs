//! The default state store: one JSON file, 0600, written atomically, locked.
//!
//! # File format
//!
//! The file holds a JSON envelope:
//!
//! ```json
//! {"format": "smartlink-state", "version": 1, "state": { ... }}
//! ```
//!
//! where `state` is a [`LocalState`]. Older versions are upgraded in memory
//! when loaded (one step at a time, see [`FORMAT_VERSION`]); the upgraded
//! form is written on the next [`save`](StateStore::save). Version 0 is the
//! bare `LocalState` object written before the envelope existed.
//!
//! A file that cannot be understood is never deleted: it is renamed aside to
//! `<name>.corrupt-<UTC timestamp>-<random>` in the same directory and
//! [`StateError::Corrupt`] (or [`StateError::UnsupportedVersion`] for a file
//! written by a newer library) names where it went. Error messages never
//! quote the file's contents, which hold secrets.
//!
//! # Files next to the state file
//!
//! - `<name>.lock`: the lock file of [`try_lock`](StateStore::try_lock)
//!   (mode 0600, never removed: removing lock files races with lockers);
//! - `.<name>.tmp-*`: temporary files of a save interrupted by a crash. They
//!   hold a whole state, secret included, so they are removed as soon as
//!   possible: when a store is opened on the path (all of them when the lock
//!   is free, since the configurator saves only while holding it; those
//!   older than a minute otherwise) and by every save (those older than a
//!   minute);
//! - `<name>.corrupt-*`: files kept aside, as above.
//!
//! # Platforms
//!
//! On Unix the file is created with mode 0600 from the start (never through
//! the umask then `chmod`), a directory the store creates gets mode 0700, a
//! symlink at the path is refused (`O_NOFOLLOW`), and `load` refuses a file
//! with any group/other permission bit or owned by another user than the
//! effective uid. After the rename the directory is fsynced, so the rename
//! itself survives a power loss.
//!
//! On Windows the state file, its temporary files, the lock file and every
//! directory the store creates get an owner-only, protected DACL (this
//! account and SYSTEM, nothing inherited) at creation time; `load` and
//! `save` refuse a file or directory whose DACL lets Everyone, Authenticated
//! Users, Users, Guests or Anonymous read or write it
//! ([`StateError::InsecurePermissions`], `mode` being the Unix equivalent).
//! The file is replaced by a POSIX-semantics rename of the temporary file's
//! handle, else `MoveFileExW(MOVEFILE_REPLACE_EXISTING |
//! MOVEFILE_WRITE_THROUGH)`, or `ReplaceFileW` while another process holds
//! it open (`load` waits out the moment that leaves the name missing);
//! readers must open it with `FILE_SHARE_DELETE` (the store's own reads do),
//! or saves fail while they hold it. Owners are not compared,
//! symlinks are not refused, the directory is not fsynced (Windows has no
//! such operation), and the lock is a `LockFileEx` lock through `fs4`. See
//! `windows_acl.rs` and docs/state.md.
//!
//! The module reads in parts: this file (opening, checks, load, save, lock),
//! `format` (the envelope and the upgrade of older versions), `leftovers`
//! (temporary files of interrupted saves, files kept aside) and `inspect`
//! (the read-only look of `status`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{LocalState, StateError, StateLock, StateStore};
use crate::json_error::describe;

pub(crate) mod format;
mod inspect;
mod leftovers;
mod sealed;
use format::{DecodeError, EnvelopeRef, decode};
pub use inspect::Inspection;
pub use sealed::FileStoreOptions;

/// The format tag of the envelope.
pub const FORMAT_TAG: &str = "smartlink-state";

/// The newest format version this library reads and the one it writes.
pub const FORMAT_VERSION: u64 = 1;

/// Files larger than this are treated as corrupt without being read whole.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Temporary files of interrupted saves older than this are removed on save.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

/// Keeps the local state in one JSON file.
///
/// See `docs/state.md` for the format, the files kept next to it and what
/// is (and is not) done on each platform.
#[derive(Debug, Clone)]
pub struct FileStateStore {
    path: PathBuf,
    lock_path: PathBuf,
    temp_prefix: String,
    file_name: String,
    /// The key that seals the stored credentials (`sealed.rs`), if any.
    seal: Option<std::sync::Arc<super::seal::SealKey>>,
    /// On a folder shared by several machines: how often the login gate
    /// re-reads the file (see [`FileStoreOptions::shared_folder`]).
    refresh_every: Option<Duration>,
}

impl FileStateStore {
    /// Opens (without creating yet) the store at `path`.
    ///
    /// Nothing is touched on disk until the first `save` or `try_lock`. The
    /// path must name a file (it must have a final file name component).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let path = path.as_ref().to_path_buf();
        let Some(name) = path.file_name() else {
            return Err(StateError::Io {
                op: "open (the path names no file)",
                path,
                source: io::Error::from(io::ErrorKind::InvalidInput),
            });
        };
        let file_name = name.to_string_lossy().into_owned();
        let mut lock_name = name.to_os_string();
        lock_name.push(".lock");
        let lock_path = path.with_file_name(lock_name);
        let store = Self {
            temp_prefix: format!(".{file_name}.tmp-"),
            lock_path,
            file_name,
            path,
            seal: None,
            refresh_every: None,
        };
        store.remove_leftover_temps();
        Ok(store)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the lock file used by [`try_lock`](StateStore::try_lock):
    /// `<name>.lock` next to the state file.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The prefix of temporary files a save creates next to the state file
    /// (`.<name>.tmp-`).
    pub fn temp_prefix(&self) -> &str {
        &self.temp_prefix
    }

    /// The directory holding the file (`.` for a bare file name).
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    fn io_err(&self, op: &'static str, path: &Path, source: io::Error) -> StateError {
        StateError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Creates the directory (mode 0700 on Unix) when it is missing.
    fn ensure_dir(&self) -> Result<(), StateError> {
        let dir = self.dir();
        if dir.is_dir() {
            return Ok(());
        }
        #[cfg(windows)]
        return super::windows_acl::create_dir_all_private(dir)
            .map_err(|e| self.io_err("create directory", dir, e));
        #[cfg(not(windows))]
        let mut builder = fs::DirBuilder::new();
        #[cfg(not(windows))]
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        #[cfg(not(windows))]
        builder
            .create(dir)
            .map_err(|e| self.io_err("create directory", dir, e))
    }

    /// Windows: when the file is missing while a save is in flight (its
    /// temporary file exists), waits up to 200 ms for the save to put it
    /// back. `ReplaceFileW`, used while another process holds the file open,
    /// moves the old file aside before moving the new one in.
    #[cfg(windows)]
    fn bridge_replace_window(&self, opened: io::Result<File>) -> io::Result<File> {
        let save_in_flight = || {
            fs::read_dir(self.dir()).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.starts_with(&self.temp_prefix))
                })
            })
        };
        let missing =
            |r: &io::Result<File>| matches!(r, Err(e) if e.kind() == io::ErrorKind::NotFound);
        // A save may end and the next one begin between an open and a
        // listing, so the file counts as missing only when three rounds of
        // (listing, open) see no save in flight; once one is seen, wait for
        // the file up to the deadline.
        let mut opened = opened;
        let deadline = std::time::Instant::now() + Duration::from_millis(200);
        let mut quiet_rounds = 0;
        let mut saw_save = false;
        while missing(&opened) && std::time::Instant::now() < deadline {
            if save_in_flight() {
                saw_save = true;
            } else if !saw_save {
                quiet_rounds += 1;
                if quiet_rounds > 3 {
                    break;
                }
            }
            if saw_save {
                std::thread::sleep(Duration::from_millis(1));
            }
            opened = self.open_for_read();
        }
        opened
    }

    /// Windows: refuses the directory when broad groups may read or write it.
    #[cfg(windows)]
    fn check_dir_acl(&self) -> Result<(), StateError> {
        let dir = self.dir();
        match super::windows_acl::dir_exposure(dir) {
            Ok(None) => Ok(()),
            Ok(Some(mode)) => Err(StateError::InsecurePermissions {
                path: dir.to_path_buf(),
                mode,
            }),
            Err(e) => Err(self.io_err("read the directory's DACL", dir, e)),
        }
    }

    /// Windows: refuses an open file when broad groups may read or write it.
    #[cfg(windows)]
    fn check_file_acl(&self, file: &File, path: &Path) -> Result<(), StateError> {
        match super::windows_acl::file_exposure(file) {
            Ok(None) => Ok(()),
            Ok(Some(mode)) => Err(StateError::InsecurePermissions {
                path: path.to_path_buf(),
                mode,
            }),
            Err(e) => Err(self.io_err("read the file's DACL", path, e)),
        }
    }

    /// Makes a rename or removal in the directory durable.
    fn sync_dir(&self) -> Result<(), StateError> {
        #[cfg(unix)]
        {
            let dir = self.dir();
            let handle = File::open(dir).map_err(|e| self.io_err("open directory", dir, e))?;
            handle
                .sync_all()
                .map_err(|e| self.io_err("fsync directory", dir, e))?;
        }
        Ok(())
    }

    /// Opens the state file for reading without following a symlink.
    fn open_for_read(&self) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // O_NONBLOCK so a FIFO planted at the path cannot hang the load;
            // it has no effect on regular files.
            options.custom_flags(
                (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
            );
        }
        #[cfg(windows)]
        {
            // Never stand in the way of a save replacing the file.
            use std::os::windows::fs::OpenOptionsExt;
            options.share_mode(super::windows_acl::SHARE_ALL);
        }
        options.open(&self.path)
    }

    /// Refuses a file that is not a regular file, belongs to another user or
    /// is accessible by group or others.
    fn check_file(&self, meta: &fs::Metadata) -> Result<(), StateError> {
        if !meta.is_file() {
            let kind = if meta.is_dir() {
                io::ErrorKind::IsADirectory
            } else {
                io::ErrorKind::InvalidInput
            };
            return Err(self.io_err(
                "open (not a regular file)",
                &self.path,
                io::Error::from(kind),
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let expected = rustix::process::geteuid().as_raw();
            if meta.uid() != expected {
                return Err(StateError::ForeignOwner {
                    path: self.path.clone(),
                    owner: meta.uid(),
                    expected,
                });
            }
            let mode = meta.mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(StateError::InsecurePermissions {
                    path: self.path.clone(),
                    mode,
                });
            }
        }
        Ok(())
    }

    /// The save of [`StateStore::save`] after `ensure_dir`, through
    /// `tempfile` (Unix and other non-Windows systems).
    #[cfg(not(windows))]
    fn save_portable(&self, bytes: &[u8]) -> Result<(), StateError> {
        self.clean_stale_temps();
        let dir = self.dir();

        let mut builder = tempfile::Builder::new();
        builder.prefix(&self.temp_prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o600));
        }
        let mut temp = builder
            .tempfile_in(dir)
            .map_err(|e| self.io_err("create temporary file", dir, e))?;
        let temp_path = temp.path().to_path_buf();
        temp.write_all(bytes)
            .map_err(|e| self.io_err("write", &temp_path, e))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| self.io_err("fsync", &temp_path, e))?;
        temp.persist(&self.path)
            .map_err(|e| self.io_err("rename over state file", &self.path, e.error))?;
        self.sync_dir()
    }

    /// The save of [`StateStore::save`] after `ensure_dir` on Windows: the
    /// temporary file is created with the owner-only DACL by `CreateFileW`,
    /// and an existing state file whose DACL is too broad is refused rather
    /// than replaced (`ReplaceFileW` would carry its DACL over).
    #[cfg(windows)]
    fn save_windows(&self, bytes: &[u8]) -> Result<(), StateError> {
        use super::windows_acl;
        self.check_dir_acl()?;
        if let Ok(existing) = self.open_for_read() {
            self.check_file_acl(&existing, &self.path)?;
        }
        self.clean_stale_temps();
        let dir = self.dir();
        let mut attempt = 0;
        let (mut file, temp_path) = loop {
            let random = uuid::Uuid::new_v4().simple().to_string();
            let candidate = dir.join(format!("{}{}", self.temp_prefix, &random[..12]));
            match windows_acl::create_new_private(&candidate) {
                Ok(file) => break (file, candidate),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 3 => attempt += 1,
                Err(e) => return Err(self.io_err("create temporary file", dir, e)),
            }
        };
        let written = file
            .write_all(bytes)
            .map_err(|e| self.io_err("write", &temp_path, e))
            .and_then(|()| {
                file.sync_all()
                    .map_err(|e| self.io_err("fsync", &temp_path, e))
            });
        let result = written.and_then(|()| {
            windows_acl::replace(file, &temp_path, &self.path)
                .map_err(|e| self.io_err("rename over state file", &self.path, e))
        });
        if result.is_err() {
            let _ = fs::remove_file(&temp_path);
        }
        result
    }
}

impl FileStateStore {
    fn write_fenced(&self, lock: &StateLock, state: Option<&LocalState>) -> Result<(), StateError> {
        let epoch = lock.lease().map_or(0, |l| l.epoch);
        let Some(guard) = lock.guard::<FileLockGuard>() else {
            return Err(StateError::LeaseLost { epoch });
        };
        let mut record = guard.record.lock().unwrap_or_else(|e| e.into_inner());
        let on_disk = LockRecord::read_from(&guard.file)
            .map_err(|e| self.io_err("read lock file", &self.lock_path, e))?;
        if on_disk.epoch != epoch {
            return Err(StateError::LeaseLost { epoch });
        }
        if let Some(expected) = lock.expected_version()
            && expected != on_disk.revision
        {
            return Err(StateError::Conflict {
                expected,
                found: on_disk.revision,
            });
        }
        match state {
            Some(state) => self.save(state)?,
            None => self.clear()?,
        }
        record.revision = on_disk.revision + 1;
        record
            .write_to(&guard.file)
            .map_err(|e| self.io_err("write lock file", &self.lock_path, e))?;
        lock.set_version(record.revision);
        Ok(())
    }

    /// The body of [`StateStore::save`] after its check that the file may be
    /// replaced (a rotation of the seal key skips that check).
    fn write_state(&self, state: &LocalState) -> Result<(), StateError> {
        let (sealed, unsealed) = self.seal_for_save(state)?;
        let bytes = zeroize::Zeroizing::new(
            serde_json::to_vec(&EnvelopeRef {
                format: FORMAT_TAG,
                version: FORMAT_VERSION,
                sealed: sealed.as_ref(),
                state: unsealed.as_ref().unwrap_or(state),
            })
            .map_err(|e| StateError::Encode(describe(&e)))?,
        );

        self.ensure_dir()?;
        #[cfg(windows)]
        return self.save_windows(&bytes);
        #[cfg(not(windows))]
        self.save_portable(&bytes)
    }
}

/// Releases the lock when dropped (closing the file releases it too),
/// after erasing the holder from the lock file.
struct FileLockGuard {
    file: File,
    record: std::sync::Mutex<LockRecord>,
}

impl Drop for FileLockGuard {
    fn drop(&mut self) {
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        record.holder = None;
        let _ = record.write_to(&self.file);
        let _ = fs4::fs_std::FileExt::unlock(&self.file);
    }
}

/// What the lock file records: the state's revision (+1 per save, kept
/// across a clear, so a version is never seen twice), the lease's epoch
/// (+1 per taking) and its holder while held. Written through the locked
/// handle only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LockRecord {
    revision: u64,
    epoch: u64,
    holder: Option<String>,
}

impl LockRecord {
    const TAG: &'static str = "smartlink-lock 1";

    fn read_from(mut file: &File) -> io::Result<Self> {
        use std::io::Seek;
        file.seek(io::SeekFrom::Start(0))?;
        let mut text = String::new();
        file.take(4096).read_to_string(&mut text)?;
        let mut record = LockRecord::default();
        let mut lines = text.lines();
        if lines.next() != Some(Self::TAG) {
            // Empty (a lock file from before the record) or unknown: start
            // from zero.
            return Ok(record);
        }
        for line in lines {
            match line.split_once(' ') {
                Some(("revision", n)) => record.revision = n.parse().unwrap_or(0),
                Some(("epoch", n)) => record.epoch = n.parse().unwrap_or(0),
                Some(("holder", h)) if !h.is_empty() => record.holder = Some(h.to_owned()),
                _ => {}
            }
        }
        Ok(record)
    }

    fn write_to(&self, mut file: &File) -> io::Result<()> {
        use std::io::Seek;
        let mut text = format!(
            "{}\nrevision {}\nepoch {}\n",
            Self::TAG,
            self.revision,
            self.epoch
        );
        if let Some(holder) = &self.holder {
            text.push_str(&format!("holder {holder}\n"));
        }
        file.set_len(0)?;
        file.seek(io::SeekFrom::Start(0))?;
        file.write_all(text.as_bytes())
    }
}

impl StateStore for FileStateStore {
    /// Reads the state: `Ok(None)` when the file is missing.
    ///
    /// Refuses a symlink, a non-regular file and (on Unix) a file with group
    /// or other permission bits or owned by another user, without reading
    /// it. An unreadable, oversized or newer-version file is renamed aside.
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        let opened = self.open_for_read();
        #[cfg(windows)]
        let opened = self.bridge_replace_window(opened);
        let file = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            #[cfg(unix)]
            Err(e) if rustix::io::Errno::from_io_error(&e) == Some(rustix::io::Errno::LOOP) => {
                return Err(self.io_err(
                    "open (a symlink at the state path is refused)",
                    &self.path,
                    e,
                ));
            }
            Err(e) => return Err(self.io_err("open", &self.path, e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| self.io_err("stat", &self.path, e))?;
        self.check_file(&meta)?;
        #[cfg(windows)]
        {
            self.check_file_acl(&file, &self.path)?;
            self.check_dir_acl()?;
        }

        let corrupt = |detail: String| -> StateError {
            match self.keep_aside(&meta) {
                Ok(kept_at) => StateError::Corrupt {
                    path: self.path.clone(),
                    kept_at,
                    detail,
                },
                Err(e) => e,
            }
        };

        if meta.len() > MAX_FILE_SIZE {
            return Err(corrupt(format!("larger than {MAX_FILE_SIZE} bytes")));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&file)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_err("read", &self.path, e))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(corrupt(format!("larger than {MAX_FILE_SIZE} bytes")));
        }
        drop(file);
        match decode(&bytes) {
            Ok((state, sealed)) => self.unseal(state, sealed).map(Some),
            Err(DecodeError::Corrupt(detail)) => Err(corrupt(detail)),
            Err(DecodeError::Newer(found)) => match self.keep_aside(&meta) {
                Ok(kept_at) => Err(StateError::UnsupportedVersion {
                    path: self.path.clone(),
                    kept_at,
                    found,
                    supported: FORMAT_VERSION,
                }),
                Err(e) => Err(e),
            },
        }
    }

    /// Replaces the file atomically: writes a temporary file (0600 from
    /// creation) in the same directory, fsyncs it, renames it over the state
    /// file and fsyncs the directory. Creates the directory (0700) when
    /// missing and removes stale temporary files of interrupted saves.
    ///
    /// With a seal key, the credentials are written sealed (see
    /// [`FileStoreOptions`]). A file whose credentials are sealed is never
    /// replaced by a store without its key: without a key
    /// ([`SealError::KeyMissing`](super::seal::SealError::KeyMissing)) or
    /// with another one ([`SealError::WrongKey`](super::seal::SealError::WrongKey)),
    /// the save is refused and the file kept.
    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        self.check_replaceable()?;
        self.write_state(state)
    }

    /// Removes the file (a missing file is fine) and fsyncs the directory.
    fn clear(&self) -> Result<(), StateError> {
        match fs::remove_file(&self.path) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io_err("remove", &self.path, e)),
        }
    }

    /// Takes an advisory exclusive lock on `<name>.lock` (created 0600; the
    /// state file itself is replaced on every save, so it cannot carry the
    /// lock). `None` when another process, or another open of the lock file
    /// in this process (another store or another `try_lock` call), holds it.
    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        self.ensure_dir()?;
        #[cfg(windows)]
        let opened = super::windows_acl::open_or_create_private(&self.lock_path);
        #[cfg(not(windows))]
        let opened = {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
                options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
            }
            options.open(&self.lock_path)
        };
        let file = opened.map_err(|e| self.io_err("open lock file", &self.lock_path, e))?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
            Ok(true) => {
                let mut record = LockRecord::read_from(&file)
                    .map_err(|e| self.io_err("read lock file", &self.lock_path, e))?;
                record.epoch += 1;
                record.holder = Some(super::holder_id().to_owned());
                record
                    .write_to(&file)
                    .map_err(|e| self.io_err("write lock file", &self.lock_path, e))?;
                let lease = super::LeaseInfo {
                    holder: super::holder_id().to_owned(),
                    epoch: record.epoch,
                };
                let revision = record.revision;
                Ok(Some(StateLock::leased(
                    FileLockGuard {
                        file,
                        record: std::sync::Mutex::new(record),
                    },
                    Some(lease),
                    revision,
                )))
            }
            Ok(false) => Ok(None),
            Err(e) => Err(self.io_err("lock", &self.lock_path, e)),
        }
    }

    /// A compare-and-swap under the lock: the revision the lock file holds
    /// must be the one `lock` expects (the file store's lock is exclusive
    /// while held, so this refuses only a lock taken from another store or
    /// a write after the lock was lost with a file server's session), then
    /// the state is saved as by [`StateStore::save`] and the revision
    /// bumped.
    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        self.write_fenced(lock, Some(state))
    }

    /// Removes the file under the lock, fenced as
    /// [`FileStateStore::save_fenced`].
    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        self.write_fenced(lock, None)
    }

    fn describe(&self) -> super::StoreDescription {
        super::StoreDescription {
            kind: "file",
            location: Some(self.path.display().to_string()),
            refresh_every: self.refresh_every,
        }
    }

    /// Reads the lock file: the revision, and the holder when the lock is
    /// held (by this process or another).
    fn observe(&self) -> Result<super::StoreObservation, StateError> {
        let record = match File::open(&self.lock_path) {
            Ok(file) => LockRecord::read_from(&file)
                .map_err(|e| self.io_err("read lock file", &self.lock_path, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => LockRecord::default(),
            Err(e) => return Err(self.io_err("open lock file", &self.lock_path, e)),
        };
        Ok(super::StoreObservation {
            version: Some(record.revision),
            lease_epoch: Some(record.epoch),
            lease_holder: record.holder,
            lease_expires_in_ms: None,
        })
    }

    /// One `stat` of the path: size, modification time (ns) and inode mixed
    /// into a `u128`; `None` when the file is missing or cannot be stat'ed.
    ///
    /// Every save renames a new inode into place, so the stamp changes even
    /// when size and time (which has the file system's granularity) do not,
    /// unless the file system reuses the inode just freed within the same
    /// time tick for a file of the same size.
    fn stamp(&self) -> Option<u128> {
        let meta = fs::metadata(&self.path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mtime_ns = (meta.mtime() as i128) * 1_000_000_000 + meta.mtime_nsec() as i128;
            let low = meta.ino() ^ meta.len().rotate_left(40);
            Some(((mtime_ns as u128) << 64) ^ low as u128)
        }
        #[cfg(not(unix))]
        {
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            Some((mtime_ns << 64) ^ meta.len() as u128)
        }
    }
}
