//! Wiring: the installation, the platform (embedded sandbox or a real one),
//! the state store, Ctrl-C, and the dispatch to the modes.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use secrecy::{ExposeSecret, SecretString};
use smartlink_core::messages::{Locale, kind_label, line_label, render, text};
use smartlink_core::state::file::Inspection;
use smartlink_core::state::{LocalState, StateError, StateLock, StateStore};
use smartlink_core::{
    Configurator, ErpLine, FileStateStore, HttpPlatform, HttpPlatformConfig, IdentityComponents,
    InMemoryPlatform, InstallationId, InstallationSpec, MemoryStateStore, Platform, Seed,
    ValidationError,
};
use smartlink_sandbox::{RunningSandbox, Sandbox, demo_seed};

use crate::ui::{Ui, validation_text};
use crate::{Cli, Command, commands, exit, interactive};

/// The identity components of the demo installation: fixed, so that
/// re-running with the same state finds the same installation.
pub const DEMO_IDENTITY: (&str, &str, &str) = ("demo-dbsrv01", "ERP_DEMO", "LIC-DEMO-0001");

/// Held while the local state is being written, and taken for good by the
/// Ctrl-C handler before the process exits: a write under way finishes, no
/// new one starts.
static WRITE_GATE: Mutex<()> = Mutex::new(());
/// The temporary state directory, removed on Ctrl-C too.
static TEMP_DIR: OnceLock<PathBuf> = OnceLock::new();
static LOCALE: OnceLock<Locale> = OnceLock::new();

fn write_gate() -> MutexGuard<'static, ()> {
    WRITE_GATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ctrl-C: waits for a state write under way, restores the terminal, says
/// so and exits with 130.
pub fn interrupt() -> ! {
    let _gate = write_gate();
    let _ = dialoguer::console::Term::stderr().show_cursor();
    let locale = LOCALE.get().copied().unwrap_or_default();
    errln!("\n{}", text(locale, "cancelled"));
    if let Some(dir) = TEMP_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::process::exit(i32::from(exit::INTERRUPTED));
}

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
    fn stamp(&self) -> Option<u128> {
        self.0.stamp()
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

/// Everything a mode needs.
pub struct Ctx {
    pub cli: Cli,
    pub locale: Locale,
    pub spec: InstallationSpec,
    pub cfg: Configurator,
    /// The platform over HTTP (absent for `status`, which is local only).
    pub http: Option<Arc<HttpPlatform>>,
    pub platform_url: Option<String>,
    pub state: StateLocation,
    pub ui: Ui,
    /// Whether stderr is a terminal (spinners) .
    pub tty: bool,
    /// The state store (for `status`: a copy in memory of what was read).
    pub store: Arc<dyn StateStore>,
    /// `status`: why the state file could not be read (it was left as is).
    pub state_problem: Option<String>,
    _sandbox: Option<RunningSandbox>,
    _temp: Option<tempfile::TempDir>,
}

impl Ctx {
    /// The stored state when it is this installation's (else `None`).
    pub fn own_state(&self) -> Option<LocalState> {
        self.store
            .load()
            .ok()
            .flatten()
            .filter(|s| s.belongs_to(&self.spec.id, self.spec.line))
    }

    /// Keeps the installation's name in the state, for the next run. Best
    /// effort: the binding and the credentials are stored already.
    pub fn remember_name(&self, name: &str) {
        let Ok(name) = smartlink_core::InstallationName::new(name) else {
            return;
        };
        // The task that just ended may still be releasing the lock.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let guard = loop {
            match self.store.try_lock() {
                Ok(Some(guard)) => break guard,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                _ => return,
            }
        };
        if let Some(mut state) = self.own_state()
            && state.installation_name.as_ref() != Some(&name)
        {
            state.installation_name = Some(name);
            let _ = self.store.save(&state);
        }
        drop(guard);
    }
}

/// A failure before any mode ran: message and exit code.
pub struct SetupError(pub String, pub u8);

pub async fn run(cli: Cli) -> u8 {
    let locale = cli.locale();
    let _ = LOCALE.set(locale);
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupt();
        }
    });
    let ctx = match build(cli, locale).await {
        Ok(ctx) => ctx,
        Err(SetupError(message, code)) => {
            errln!("smartlink-configurator: {message}");
            return code;
        }
    };
    match &ctx.cli.command {
        Some(Command::Status) => commands::status(&ctx),
        Some(Command::Check) => commands::check(&ctx).await,
        Some(Command::Rotate) => commands::rotate(&ctx).await,
        Some(Command::Unbind { confirm }) => commands::unbind(&ctx, confirm.as_deref()).await,
        Some(Command::Forget) => commands::forget(&ctx),
        Some(Command::Token) => crate::token_cmd::run(&ctx).await,
        None if ctx.cli.unattended => commands::unattended(&ctx).await,
        None => interactive::run(&ctx).await,
    }
}

fn usage(message: String) -> SetupError {
    SetupError(message, exit::USAGE)
}

fn invalid(locale: Locale, flag: &str, e: &ValidationError) -> SetupError {
    usage(format!("{flag}: {}", validation_text(locale, e)))
}

fn random_token() -> String {
    format!("sandbox-{}", uuid::Uuid::new_v4().simple())
}

fn open_file_store(locale: Locale, path: &Path) -> Result<FileStateStore, SetupError> {
    FileStateStore::open(path).map_err(|e| {
        SetupError(
            format!(
                "{}: {}",
                path.display(),
                commands::state_error_text(locale, false, &e)
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

async fn build(cli: Cli, locale: Locale) -> Result<Ctx, SetupError> {
    let line: ErpLine = cli
        .line
        .as_str()
        .parse()
        .map_err(|e| invalid(locale, "--line", &e))?;
    let id = match &cli.installation_id {
        Some(id) => {
            InstallationId::new(id).map_err(|e| invalid(locale, "--installation-id", &e))?
        }
        None => {
            let (server, database, instance) = DEMO_IDENTITY;
            InstallationId::derive(line, &IdentityComponents::new(server, database, instance))
                .map_err(|e| invalid(locale, "--installation-id", &e))?
        }
    };
    let spec = InstallationSpec::parse(
        id.as_str(),
        cli.line.as_str(),
        cli.kind.as_str(),
        cli.installation_name.as_deref(),
    )
    .map_err(|e| invalid(locale, "--installation-name", &e))?;

    let embedded = cli.platform_url.is_none();
    let status_only = matches!(cli.command, Some(Command::Status));
    // Local only: no platform is reached.
    let offline = matches!(cli.command, Some(Command::Status | Command::Forget));
    let mut state_problem = None;

    // The state store.
    let mut temp = None;
    let (store, state): (Arc<dyn StateStore>, StateLocation) = match cli.state.as_deref() {
        Some("memory") => (Arc::new(MemoryStateStore::new()), StateLocation::Memory),
        // `status` only reads: a copy in memory of what the file holds, and
        // a file that cannot be read is reported and left untouched.
        Some(path) if status_only => {
            let path = PathBuf::from(path);
            let file = open_file_store(locale, &path)?;
            let memory = match file.inspect() {
                Ok(Inspection::Found(state)) => MemoryStateStore::with_state(*state),
                Ok(Inspection::Missing) => MemoryStateStore::new(),
                Ok(Inspection::Corrupt { detail }) => {
                    state_problem = Some(detail_text(
                        &cli,
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
                    state_problem = Some(commands::state_error_text(locale, cli.verbose, &e));
                    MemoryStateStore::new()
                }
            };
            (Arc::new(memory), StateLocation::File(path))
        }
        Some(path) => {
            let path = PathBuf::from(path);
            (
                Arc::new(open_file_store(locale, &path)?),
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
                        commands::with_detail(
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
                Arc::new(open_file_store(locale, &path)?),
                StateLocation::Temporary(path),
            );
            temp = Some(dir);
            chosen
        }
    };
    let store: Arc<dyn StateStore> = Arc::new(GatedStore(store));

    // The platform.
    let mut sandbox = None;
    let (platform, http, platform_url): (Arc<dyn Platform>, _, _) = if offline {
        let empty: Seed = serde_json::from_str(r#"{"environments":[]}"#).expect("a valid seed");
        let platform = InMemoryPlatform::from_seed(&empty)
            .map_err(|e| SetupError(e.to_string(), exit::INTERNAL))?;
        (Arc::new(platform), None, cli.platform_url.clone())
    } else {
        let (url, token) = match &cli.platform_url {
            Some(url) => {
                let token = cli
                    .token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned())
                    .or_else(|| std::env::var("SMARTLINK_TOKEN").ok())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| usage(text(locale, "cli.token_required").to_owned()))?;
                (url.clone(), token)
            }
            None => {
                let token = random_token();
                let running = start_sandbox(&cli, &token).await?;
                let url = running.url();
                sandbox = Some(running);
                (url, token)
            }
        };
        let mut config = HttpPlatformConfig::new(url.clone(), SecretString::from(token));
        if let Some(path) = &cli.ca_file {
            config = config.with_extra_ca_file(path);
        }
        if let Some(proxy) = &cli.proxy {
            config = config.with_proxy(proxy.as_str());
        }
        let http = Arc::new(HttpPlatform::new(config).map_err(|e| {
            SetupError(
                commands::with_detail(
                    cli.verbose,
                    smartlink_core::messages::code_text(locale, "config"),
                    &e.to_string(),
                ),
                exit::USAGE,
            )
        })?);
        (http.clone() as Arc<dyn Platform>, Some(http), Some(url))
    };

    let cfg = Configurator::new(spec.clone(), platform, store.clone()).map_err(|e| {
        SetupError(
            commands::with_detail(
                cli.verbose,
                smartlink_core::messages::code_text(locale, "runtime"),
                &e.to_string(),
            ),
            exit::INTERNAL,
        )
    })?;
    let plain = cli.plain || !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal();
    let ctx = Ctx {
        locale,
        spec,
        cfg,
        http,
        platform_url,
        state,
        ui: Ui::new(locale, plain),
        tty: std::io::stderr().is_terminal(),
        store,
        state_problem,
        cli,
        _sandbox: sandbox,
        _temp: temp,
    };
    if !status_only {
        print_banner(&ctx);
    }
    Ok(ctx)
}

async fn start_sandbox(cli: &Cli, token: &str) -> Result<RunningSandbox, SetupError> {
    let seed: Seed = match &cli.seed {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| usage(format!("--seed {path}: {e}")))?;
            serde_json::from_slice(&bytes).map_err(|e| usage(format!("--seed {path}: {e}")))?
        }
        None => demo_seed(),
    };
    let sandbox = match &cli.sandbox_state {
        Some(path) => Sandbox::persistent(&seed, token, PathBuf::from(path)),
        None => Sandbox::from_seed(&seed, token),
    }
    .map_err(|e| usage(format!("sandbox: {e}")))?;
    sandbox
        .serve("127.0.0.1:0")
        .await
        .map_err(|e| SetupError(format!("sandbox: {e}"), exit::INTERNAL))
}

/// The installation, the sandbox's URL (never its token) and the state file.
fn print_banner(ctx: &Ctx) {
    let loc = ctx.locale;
    errln!(
        "{}",
        render(
            loc,
            "cli.installation",
            &[
                ("id", ctx.spec.id.as_str()),
                ("line", line_label(ctx.spec.line)),
                ("kind", kind_label(loc, ctx.spec.kind)),
            ],
        )
    );
    if ctx.cli.platform_url.is_none()
        && let Some(url) = &ctx.platform_url
    {
        errln!("{}", render(loc, "cli.sandbox_started", &[("url", url)]));
    }
    match &ctx.state {
        StateLocation::File(path) => errln!(
            "{}",
            render(
                loc,
                "cli.state_file",
                &[("path", &path.display().to_string())]
            )
        ),
        StateLocation::Temporary(path) => {
            errln!(
                "{}",
                render(
                    loc,
                    "cli.state_file",
                    &[("path", &path.display().to_string())]
                )
            );
            errln!("{}", text(loc, "cli.state_temporary"));
        }
        StateLocation::Memory => errln!("{}", text(loc, "cli.state_memory")),
    }
}
