//! The state store: which one (a file, on a private disk or a shared
//! folder; a temporary file; memory; a PostgreSQL database), opened as the
//! command needs it (`status` only reads, and leaves a file it cannot read
//! untouched), its writes gated against Ctrl-C.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use smartlink_core::messages::Locale;
use smartlink_core::{FileStateStore, InstallationSpec, MemoryStateStore};
use smartlink_core::{Inspection, PgStateStore, PgStoreOptions, PgTarget, SealKey};
use smartlink_core::{
    LocalState, StateError, StateLock, StateStore, StoreDescription, StoreObservation,
};

use crate::cli::{Cli, Command, StateArg};
use crate::exit;
use crate::report::{state_error_text, with_detail};
use crate::setup::{SetupError, TEMP_DIR, usage, write_gate};
use crate::texts::{render, text};

/// A state store whose writes hold [`WRITE_GATE`].
struct GatedStore(Arc<dyn StateStore>);

impl StateStore for GatedStore {
    fn load(&self) -> Result<Option<LocalState>, StateError> {
        self.0.load()
    }
    fn save(&self, state: &LocalState) -> Result<(), StateError> {
        let _gate = write_gate();
        self.0.save(state)
    }
    fn clear(&self) -> Result<(), StateError> {
        let _gate = write_gate();
        self.0.clear()
    }
    fn try_lock(&self) -> Result<Option<StateLock>, StateError> {
        self.0.try_lock()
    }
    fn save_fenced(&self, lock: &StateLock, state: &LocalState) -> Result<(), StateError> {
        let _gate = write_gate();
        self.0.save_fenced(lock, state)
    }
    fn clear_fenced(&self, lock: &StateLock) -> Result<(), StateError> {
        let _gate = write_gate();
        self.0.clear_fenced(lock)
    }
    fn renew(&self, lock: &StateLock) -> Result<(), StateError> {
        self.0.renew(lock)
    }
    fn lease_ttl(&self) -> Option<std::time::Duration> {
        self.0.lease_ttl()
    }
    fn stamp(&self) -> Option<u128> {
        self.0.stamp()
    }
    fn may_block(&self) -> bool {
        self.0.may_block()
    }
    fn describe(&self) -> StoreDescription {
        self.0.describe()
    }
    fn observe(&self) -> Result<StoreObservation, StateError> {
        self.0.observe()
    }
}

/// Where the state lives, for messages.
#[derive(Debug, Clone)]
pub enum StateLocation {
    /// A file given with `--state`.
    File(PathBuf),
    /// A file in a temporary directory (embedded sandbox, no `--state`).
    Temporary(PathBuf),
    /// Memory (`--state memory`, or the file store unavailable).
    Memory,
    /// A PostgreSQL database: its host, port, database and user (never the
    /// password).
    Postgres(String),
}

/// The store behind a run, for what `status` and `check` say about it (for
/// `status` on a file, [`Store::store`] is a copy in memory of what the
/// file holds; this is the file).
#[derive(Clone)]
pub enum Backing {
    /// Memory: nothing to describe or check.
    Memory,
    /// A state file.
    File(FileStateStore),
    /// A PostgreSQL database.
    Postgres(Arc<PgStateStore>),
}

impl Backing {
    /// What the store is (kind, location, refresh period); `None` for
    /// memory.
    pub fn describe(&self) -> Option<StoreDescription> {
        match self {
            Backing::Memory => None,
            Backing::File(file) => Some(file.describe()),
            Backing::Postgres(pg) => Some(pg.describe()),
        }
    }

    /// Its version and lease holder now. Reads only: for a file, the lock
    /// file (whose recorded holder counts only while its lock is held).
    pub fn observe(&self) -> Result<StoreObservation, StateError> {
        match self {
            Backing::Memory => Ok(StoreObservation::default()),
            Backing::File(file) => {
                let mut seen = file.observe()?;
                if seen.lease_holder.is_some() && lock_is_free(file.lock_path()) {
                    // Recorded by a holder that died: the system released
                    // its lock.
                    seen.lease_holder = None;
                }
                Ok(seen)
            }
            Backing::Postgres(pg) => pg.observe(),
        }
    }
}

/// Whether nobody holds the lock of `lock_path` (probed with a shared lock,
/// released at once; nothing is written).
fn lock_is_free(lock_path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(lock_path) else {
        return true;
    };
    match fs4::fs_std::FileExt::try_lock_shared(&file) {
        Ok(true) => {
            let _ = fs4::fs_std::FileExt::unlock(&file);
            true
        }
        _ => false,
    }
}

/// The store a run uses, and what is said about it.
pub struct Store {
    /// Its writes hold the write gate.
    pub store: Arc<dyn StateStore>,
    pub location: StateLocation,
    /// `status`: why the state file could not be read (it was left as is).
    pub problem: Option<String>,
    /// The temporary directory, removed when dropped.
    pub temp: Option<tempfile::TempDir>,
    /// The store itself, for `status` and `check`.
    pub backing: Backing,
}

/// Opens the store the command line asks for, for the installation `spec`.
pub fn open(cli: &Cli, locale: Locale, spec: &InstallationSpec) -> Result<Store, SetupError> {
    let embedded = cli.platform_url.is_none();
    let status_only = matches!(cli.command, Some(Command::Status | Command::History { .. }));
    // `status`, `history` and `support-report` only read the file: a
    // corrupt one is reported and left where it is, a locked one is read
    // all the same.
    let read_only = matches!(
        cli.command,
        Some(Command::Status | Command::History { .. } | Command::SupportReport { .. })
    );
    let mut state_problem = None;
    let mut temp: Option<tempfile::TempDir> = None;
    let keyed = matches!(cli.state, Some(StateArg::File(_) | StateArg::Postgres(_)));
    if cli.seal_key_file.is_some() && !keyed {
        return Err(usage(text(locale, "cli.seal_key_needs_state").to_owned()));
    }
    if cli.shared_folder && !matches!(cli.state, Some(StateArg::File(_))) {
        return Err(usage(
            text(locale, "cli.shared_folder_needs_file").to_owned(),
        ));
    }
    let (store, state, backing): (Arc<dyn StateStore>, StateLocation, Backing) = match &cli.state {
        Some(StateArg::Memory) => (
            Arc::new(MemoryStateStore::new()),
            StateLocation::Memory,
            Backing::Memory,
        ),
        Some(StateArg::Postgres(url)) => {
            let pg = Arc::new(open_pg_store(cli, locale, spec, url)?);
            let location = StateLocation::Postgres(pg.target().to_string());
            (pg.clone(), location, Backing::Postgres(pg))
        }
        // `status` only reads: a copy in memory of what the file holds, and
        // a file that cannot be read is reported and left untouched.
        Some(StateArg::File(path)) if read_only => {
            let file = open_file_store(cli, locale, path)?;
            let memory = match file.inspect() {
                Ok(Inspection::Found(state)) => MemoryStateStore::with_state(*state),
                Ok(Inspection::Missing) => MemoryStateStore::new(),
                Ok(Inspection::Corrupt { detail }) => {
                    state_problem = Some(detail_text(
                        cli,
                        render(
                            locale,
                            "cli.state_corrupt_untouched",
                            &[("path", &path.display().to_string())],
                        ),
                        &detail,
                    ));
                    MemoryStateStore::new()
                }
                Ok(Inspection::Newer { found, .. }) => {
                    state_problem = Some(render(
                        locale,
                        "cli.state_newer_untouched",
                        &[
                            ("path", &path.display().to_string()),
                            ("version", &found.to_string()),
                        ],
                    ));
                    MemoryStateStore::new()
                }
                Ok(_) => MemoryStateStore::new(),
                Err(e) => {
                    state_problem = Some(state_error_text(locale, cli.verbose, &e));
                    MemoryStateStore::new()
                }
            };
            (
                Arc::new(memory),
                StateLocation::File(path.clone()),
                Backing::File(file),
            )
        }
        Some(StateArg::File(path)) => {
            let file = open_file_store(cli, locale, path)?;
            // A file that does not parse, or was written by a newer version:
            // the first read sets it aside, and this run says so and where
            // it went (exit 6) instead of going on as if nothing had been
            // stored. `check` only inspects it, and leaves it where it is.
            if !matches!(cli.command, Some(Command::Check))
                && let Err(e @ (StateError::Corrupt { .. } | StateError::UnsupportedVersion { .. })) =
                    file.load()
            {
                return Err(SetupError(
                    state_error_text(locale, cli.verbose, &e),
                    exit::STATE,
                ));
            }
            (
                Arc::new(file.clone()),
                StateLocation::File(path.clone()),
                Backing::File(file),
            )
        }
        None if !embedded => return Err(usage(text(locale, "cli.state_required").to_owned())),
        None if status_only => (
            Arc::new(MemoryStateStore::new()),
            StateLocation::Memory,
            Backing::Memory,
        ),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("smartlink-configurator-")
                .tempdir()
                .map_err(|e| {
                    SetupError(
                        with_detail(
                            cli.verbose,
                            smartlink_core::messages::code_text(locale, "state"),
                            &format!("temporary directory: {e}"),
                        ),
                        exit::STATE,
                    )
                })?;
            let path = dir.path().join("state.json");
            let _ = TEMP_DIR.set(dir.path().to_path_buf());
            let file = open_file_store(cli, locale, &path)?;
            temp = Some(dir);
            (
                Arc::new(file.clone()),
                StateLocation::Temporary(path),
                Backing::File(file),
            )
        }
    };
    Ok(Store {
        store: Arc::new(GatedStore(store)),
        location: state,
        problem: state_problem,
        temp,
        backing,
    })
}

/// The file store at `path`, sealed with `--seal-key-file` when given, on
/// a shared folder with `--shared-folder`.
fn open_file_store(cli: &Cli, locale: Locale, path: &Path) -> Result<FileStateStore, SetupError> {
    let mut options = smartlink_core::FileStoreOptions::new();
    if let Some(key) = &cli.seal_key_file {
        options = options.seal_key_file(key);
    }
    if cli.shared_folder {
        options = options.shared_folder();
    }
    FileStateStore::open_with(path, &options).map_err(|e| {
        SetupError(
            format!(
                "{}: {}",
                path.display(),
                state_error_text(locale, cli.verbose, &e)
            ),
            exit::STATE,
        )
    })
}

/// The PostgreSQL store at `url` for the installation, sealed with
/// `--seal-key-file` (required). Nothing here names the URL: it may hold a
/// password.
fn open_pg_store(
    cli: &Cli,
    locale: Locale,
    spec: &InstallationSpec,
    url: &SecretString,
) -> Result<PgStateStore, SetupError> {
    let Some(key_file) = &cli.seal_key_file else {
        return Err(usage(
            text(locale, "cli.postgres_needs_seal_key").to_owned(),
        ));
    };
    // What is wrong, in the library's words: never a part of the string.
    let target = PgTarget::parse(url.expose_secret()).map_err(|e| {
        let detail = match &e {
            smartlink_core::PgError::InvalidUrl { detail } => detail.clone(),
            other => other.to_string(),
        };
        usage(render(
            locale,
            "cli.postgres_url_invalid",
            &[("detail", &detail)],
        ))
    })?;
    let key_file = PathBuf::from(key_file);
    let key = SealKey::read_file(&key_file).map_err(|source| {
        let e = StateError::Sealed {
            path: key_file.clone(),
            source,
        };
        SetupError(state_error_text(locale, cli.verbose, &e), exit::STATE)
    })?;
    PgStateStore::open(
        target,
        key,
        spec.id.clone(),
        spec.line,
        PgStoreOptions::new(),
    )
    .map_err(|e| SetupError(state_error_text(locale, cli.verbose, &e), exit::STATE))
}

/// A message, with the English detail only with `--verbose`.
fn detail_text(cli: &Cli, message: String, detail: &str) -> String {
    if cli.verbose {
        format!("{message} ({detail})")
    } else {
        message
    }
}
