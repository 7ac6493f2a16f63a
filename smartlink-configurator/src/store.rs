//! The local state store: which one (a file, a temporary file, memory),
//! opened as the command needs it (`status` only reads, and leaves a file
//! it cannot read untouched), its writes gated against Ctrl-C.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use smartlink_core::Inspection;
use smartlink_core::messages::Locale;
use smartlink_core::{FileStateStore, MemoryStateStore};
use smartlink_core::{
    LocalState, StateError, StateLock, StateStore, StoreDescription, StoreObservation,
};

use crate::cli::{Cli, Command};
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

/// Where the local state lives, for messages.
#[derive(Debug, Clone)]
pub enum StateLocation {
    /// A file given with `--state`.
    File(PathBuf),
    /// A file in a temporary directory (embedded sandbox, no `--state`).
    Temporary(PathBuf),
    /// Memory (`--state memory`, or the file store unavailable).
    Memory,
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
}

/// Opens the store the command line asks for.
pub fn open(cli: &Cli, locale: Locale) -> Result<Store, SetupError> {
    let embedded = cli.platform_url.is_none();
    let status_only = matches!(cli.command, Some(Command::Status));
    let mut state_problem = None;
    let mut temp: Option<tempfile::TempDir> = None;
    let sealed_file = matches!(cli.state.as_deref(), Some(p) if p != "memory");
    if cli.seal_key_file.is_some() && !sealed_file {
        return Err(usage(text(locale, "cli.seal_key_needs_state").to_owned()));
    }
    let (store, state): (Arc<dyn StateStore>, StateLocation) = match cli.state.as_deref() {
        Some("memory") => (Arc::new(MemoryStateStore::new()), StateLocation::Memory),
        // `status` only reads: a copy in memory of what the file holds, and
        // a file that cannot be read is reported and left untouched.
        Some(path) if status_only => {
            let path = PathBuf::from(path);
            let file = open_file_store(cli, locale, &path)?;
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
            (Arc::new(memory), StateLocation::File(path))
        }
        Some(path) => {
            let path = PathBuf::from(path);
            (
                Arc::new(open_file_store(cli, locale, &path)?),
                StateLocation::File(path),
            )
        }
        None if !embedded => return Err(usage(text(locale, "cli.state_required").to_owned())),
        None if status_only => (Arc::new(MemoryStateStore::new()), StateLocation::Memory),
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
            let chosen: (Arc<dyn StateStore>, StateLocation) = (
                Arc::new(open_file_store(cli, locale, &path)?),
                StateLocation::Temporary(path),
            );
            temp = Some(dir);
            chosen
        }
    };
    Ok(Store {
        store: Arc::new(GatedStore(store)),
        location: state,
        problem: state_problem,
        temp,
    })
}

/// The file store at `path`, sealed with `--seal-key-file` when given.
fn open_file_store(cli: &Cli, locale: Locale, path: &Path) -> Result<FileStateStore, SetupError> {
    let mut options = smartlink_core::FileStoreOptions::new();
    if let Some(key) = &cli.seal_key_file {
        options = options.seal_key_file(key);
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

/// A message, with the English detail only with `--verbose`.
fn detail_text(cli: &Cli, message: String, detail: &str) -> String {
    if cli.verbose {
        format!("{message} ({detail})")
    } else {
        message
    }
}
